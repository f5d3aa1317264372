"""Evaluate many architectures with shared-prefix computation.

A supernet that implements ``begin(x)``, ``advance(h, j, op)`` and ``end(h)`` (with
``forward(x, arch) == end(advance(...advance(begin(x), 0, arch[0])..., D-1, arch[D-1]))``) lets us visit
the architectures in lexicographic order and recompute only the layers after the prefix they share with
the previous one. For NAS-Bench-Macro that is 9,840 layer evaluations instead of 52,488 for all 6,561
keys; the cost that remains per architecture is the head.
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

import torch
from torch import nn

from nasrepro.spaces.base import Arch


def supports_prefix(model: nn.Module) -> bool:
    return all(hasattr(model, name) for name in ("begin", "advance", "end"))


def prefix_states(model: nn.Module, archs: Sequence[Arch], x: torch.Tensor,
                  progress: Callable[[int, int], None] | None = None
                  ) -> Iterator[tuple[int, list[torch.Tensor]]]:
    """Yield ``(position in archs, activations)`` for every architecture, in lexicographic order;
    ``activations[j]`` is the hidden state after its first ``j`` decisions (``j = 0 .. D``). The list is
    reused: read it before the next step."""
    order = sorted(range(len(archs)), key=lambda i: tuple(archs[i]))
    cache: list[torch.Tensor] = [model.begin(x)]  # cache[j] = activation after the first j decisions
    prev: tuple[int, ...] = ()
    for done, i in enumerate(order, 1):
        arch = tuple(int(a) for a in archs[i])
        shared = 0
        while shared < min(len(prev), len(arch)) and prev[shared] == arch[shared]:
            shared += 1
        del cache[shared + 1:]
        for j in range(shared, len(arch)):
            cache.append(model.advance(cache[j], j, arch[j]))
        prev = arch
        yield i, cache
        if progress is not None:
            progress(done, len(archs))


def prefix_outputs(model: nn.Module, archs: Sequence[Arch], x: torch.Tensor,
                   progress: Callable[[int, int], None] | None = None) -> Iterator[tuple[int, torch.Tensor]]:
    """Yield ``(position in archs, logits)`` for every architecture, in lexicographic order."""
    for i, cache in prefix_states(model, archs, x, progress):
        yield i, model.end(cache[-1])
