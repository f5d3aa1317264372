"""The DARTS search cell's mixed forward pass, batched source by source.

Why: at the sizes a laptop searches (C = 2..8, 16-32 px) a relaxed DARTS cell is bound by per-operation
overhead, not arithmetic: 14 edges x 7 operations are about 170 convolutions and 80 batch norms per cell and
pass. Every edge leaving one state runs the same operation types on the same input, so each type is one call
for all of them: the input repeated once per edge, a depthwise convolution with one group per channel of every
edge, a pointwise convolution with one group per edge, and one batch norm over every edge's channels. The
parameters stay the edges' own modules (``SearchCell.edges[e][name]``; their weights are concatenated in the
pass, so gradients, optimiser state, checkpoints and HEP-NAS's weight inheritance see the per-edge modules),
and each batch norm's running statistics are its own (written back after the pass).

Order of operations per edge, kept from DARTS's ``MixedOp``: ``sum_o w[o] * o(x)`` in op-id order, masked and
``none`` operations neither run nor weighted. A node adds its sources' sums in source order (DARTS adds each
edge's sum in that order too), so with one operation kept per edge the node adds exactly what the single path
adds.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from nasrepro.spaces.batched import add_weighted, batch_norm

# op ids (``darts.OPS``): 1 max_pool_3x3, 2 avg_pool_3x3, 3 skip_connect, 4 sep_conv_3x3, 5 sep_conv_5x5,
# 6 dil_conv_3x3, 7 dil_conv_5x5
_POOLS = {1: "max_pool_3x3", 2: "avg_pool_3x3"}
_SEP = {4: "sep_conv_3x3", 5: "sep_conv_5x5"}
_DIL = {6: "dil_conv_3x3", 7: "dil_conv_5x5"}
SKIP = 3


def _unit(x: torch.Tensor, units: Sequence[nn.Module]) -> torch.Tensor:
    """DARTS ``DilConv`` bodies (depthwise, pointwise, BN; ``units[i].op``) of n edges on ``x`` [N, n*C, H, W]
    (edge-major; the activation, ``op[0]``, is the caller's)."""
    dw, pw = units[0].op[1], units[0].op[2]
    n = len(units)
    y = F.conv2d(x, torch.cat([u.op[1].weight for u in units]), None, dw.stride, dw.padding, dw.dilation,
                 groups=x.shape[1])
    y = F.conv2d(y, torch.cat([u.op[2].weight for u in units]), None, 1, 0, 1, groups=n)
    return batch_norm(y, [u.op[3] for u in units])


def _factorized_reduce(xr: torch.Tensor, mods: Sequence[nn.Module]) -> torch.Tensor:
    """``FactorizedReduce`` of n edges on the ReLU'd, repeated input ``xr`` [N, n*C, H, W]."""
    n = len(mods)
    c1 = F.conv2d(xr, torch.cat([m.conv_1.weight for m in mods]), None, 2, 0, 1, groups=n)
    c2 = F.conv2d(xr[:, :, 1:, 1:], torch.cat([m.conv_2.weight for m in mods]), None, 2, 0, 1, groups=n)
    b, _, h, w = c1.shape
    y = torch.cat([c1.view(b, n, -1, h, w), c2.view(b, n, -1, h, w)], dim=2).view(b, -1, h, w)
    return batch_norm(y, [m.bn for m in mods])


def _activation(edge: nn.ModuleDict, o: int) -> nn.Module:
    """The ReLU module that operation ``o`` of ``edge`` applies to its input first (every operation with weights
    starts with one: FactorizedReduce, DilConv, SepConv's first DilConv), so a swapped activation is honoured."""
    if o == SKIP:
        return edge["skip_connect"].relu
    return edge[_SEP[o]].op[0].op[0] if o in _SEP else edge[_DIL[o]].op[0]


def source_sums(edges: nn.ModuleList, x: torch.Tensor, out_edges: Sequence[int], w: torch.Tensor,
                keep: Sequence[Sequence[bool]], stride: int) -> torch.Tensor | None:
    """Per edge in ``out_edges`` (all leaving state ``x``), ``sum_o w[e, o] * o(x)`` over its kept operations:
    [N, len(out_edges), C, H', W'], or None where no edge keeps anything but ``none``."""
    n = len(out_edges)
    relu, repeated = None, {}
    total = None
    for o in range(1, 8):
        pos = tuple(i for i, e in enumerate(out_edges) if keep[e][o])
        if not pos:
            continue
        ids = [out_edges[i] for i in pos]
        k = len(pos)
        if o == SKIP and stride == 1:
            y = x.unsqueeze(1)  # broadcast over the k edges by their weights below
        else:
            if o in _POOLS:  # parameter-free: pooled once, each edge's own batch norm on a copy
                pooled = edges[ids[0]][_POOLS[o]][0](x)
                y = batch_norm(pooled.repeat(1, k, 1, 1), [edges[e][_POOLS[o]][1] for e in ids])
            else:
                relu = _activation(edges[ids[0]], o)(x) if relu is None else relu
                if k not in repeated:  # one copy per edge, shared by every type run on as many edges
                    repeated[k] = relu.repeat(1, k, 1, 1)
                xr = repeated[k]
                if o == SKIP:
                    y = _factorized_reduce(xr, [edges[e]["skip_connect"] for e in ids])
                elif o in _SEP:
                    seps = [edges[e][_SEP[o]].op for e in ids]
                    y = _unit(seps[0][1].op[0](_unit(xr, [s[0] for s in seps])), [s[1] for s in seps])
                else:
                    y = _unit(xr, [edges[e][_DIL[o]] for e in ids])
            y = y.view(y.shape[0], k, -1, *y.shape[2:])
        total = add_weighted(total, y, w, ids, o, pos, n)
    return total
