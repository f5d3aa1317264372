"""Running the edges that leave one state of a cell as one call per operation type (the DARTS cell:
``darts_mixed``; NAS-Bench-201's: ``nb201_mixed``).

Why: at the sizes a laptop searches, a relaxed cell is bound by per-operation overhead, not arithmetic, and
every edge leaving a state runs the same operation types on the same input. The parameters stay each edge's own
modules (concatenated in the pass), so gradients, optimiser state, checkpoints and HEP-NAS's weight inheritance
see the per-edge modules unchanged.
"""

from __future__ import annotations

import functools
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def batch_norm(x: torch.Tensor, bns: Sequence[nn.BatchNorm2d]) -> torch.Tensor:
    """``bns[i]`` applied to channel group i of ``x`` (groups of ``bns[i].num_features`` channels, in order),
    their running statistics updated as each module's own forward would."""
    first = bns[0]
    if len(bns) == 1:
        return first(x)
    tracked = first.track_running_stats and first.running_mean is not None
    mean = torch.cat([b.running_mean for b in bns]) if tracked else None
    var = torch.cat([b.running_var for b in bns]) if tracked else None
    use_batch = first.training or not tracked
    if first.momentum is None and first.training and tracked:
        raise ValueError("batched batch norm needs a fixed momentum (a cumulative average reads each module's count)")
    weight = torch.cat([b.weight for b in bns]) if first.affine else None
    bias = torch.cat([b.bias for b in bns]) if first.affine else None
    y = F.batch_norm(x, mean, var, weight, bias, use_batch, first.momentum or 0.0, first.eps)
    if first.training and tracked:
        with torch.no_grad():
            torch._foreach_copy_([b.running_mean for b in bns], list(mean.chunk(len(bns))))
            torch._foreach_copy_([b.running_var for b in bns], list(var.chunk(len(bns))))
            torch._foreach_add_([b.num_batches_tracked for b in bns], 1)
    return y


@functools.lru_cache(maxsize=1024)
def _index(positions: tuple[int, ...], device: torch.device) -> torch.Tensor:
    """A device tensor of ``positions``, made once (a fresh host-to-device copy per pass would wait for the
    device's queue)."""
    return torch.tensor(positions, device=device)


def add_weighted(total: torch.Tensor | None, y: torch.Tensor, w: torch.Tensor, ids: Sequence[int], o: int,
                 pos: tuple[int, ...], n: int) -> torch.Tensor:
    """``total`` [N, n, ...] plus ``w[ids[i], o] * y[:, i]`` at position ``pos[i]`` (``y`` [N, len(pos), ...], or
    [N, 1, ...] to broadcast one output to every edge)."""
    k = len(pos)
    y = y * w[_index(tuple(ids), w.device), o].view(1, k, *([1] * (y.dim() - 2)))
    if k == n:
        return y if total is None else total + y
    if total is None:
        total = y.new_zeros(y.shape[0], n, *y.shape[2:])
    return total.index_add(1, _index(pos, y.device), y)
