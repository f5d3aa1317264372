"""The NAS-Bench-201 cell relaxed DARTS-style: a mixed operation on every edge (issue 19).

Every edge e of a cell computes ``sum_o w[e, o] * o(x)`` over the five NB201 operations (Liu et al. 2018b,
Eq. 2; ``none`` contributes zero and is not run), each operation once per edge input, never once per path;
the edges leaving one node run as one convolution per kind (``spaces.batched``).
The operations' weights are those of the single-path supernet (``NB201Supernet``), so ``forward(x, arch)``
is exactly the single-path network and a one-hot ``w`` computes it too (tested).

Architecture weights, by ``categorical``:

- ``per-edge``: a [6, 5] matrix, one categorical per edge (DARTS; GAEA-DARTS, Li et al. 2020d);
- ``shared``: one categorical over the five operations that every edge uses (ANASOD-DNAS, seed 004 Alg. 1:
  "the parameters of the categorical distribution are shared"), the ANASOD encoding p~ itself.

``parametrisation``: ``softmax`` keeps logits (DARTS, updated by Adam); ``simplex`` keeps the weights on the
simplex (updated by ``bilevel``'s exponentiated-gradient step). Seed 004 Alg. 1 line 4 writes an additive step
followed by normalisation, which can leave the simplex (a negative weight); we use the exponentiated step
(true mirror descent, as GAEA, whose code ANASOD-DNAS is built on), which cannot.

``keep`` masks operations per edge: a masked operation has weight 0 and is not computed (a HEP-NAS
sub-supernet keeps only its groups). ``derive()`` is DARTS's per-edge argmax over the kept operations;
``sample(rng)`` draws every edge from its categorical (ANASOD-DNAS Alg. 1 line 7: "sample cells from the
optimised encoding", no argmax).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nasrepro.nb201_cells import EDGES, NUM_EDGES, NUM_NODES, OPS
from nasrepro.spaces.base import Arch
from nasrepro.spaces.batched import add_weighted, batch_norm
from nasrepro.spaces.nb201 import NB201Supernet, SearchCell
from nasrepro.spaces.relaxed import (CATEGORICALS, PARAMETRISATIONS, RelaxedSupernet,  # noqa: F401  (re-exported)
                                     log_likelihood_per_decision, sample_per_decision)

NUM_OPS = len(OPS)


def _source_sums(edges: nn.ModuleList, x: torch.Tensor, out: Sequence[int], w: torch.Tensor,
                 keep: Sequence[Sequence[bool]]) -> torch.Tensor | None:
    """Per edge in ``out`` (all leaving state ``x``), ``sum_o w[e, o] * o(x)`` over its kept operations, in op
    order: [N, len(out), C, H, W], or None where they keep only ``none``. The convolutions of all those edges
    read the same activated input, so each kind is one convolution with every edge's filters; skip and pooling
    have no parameters and give every edge the same output."""
    n, total, relu = len(out), None, None
    for o in range(1, NUM_OPS):  # op 0 is ``none``: zero output whatever its weight
        pos = tuple(i for i, e in enumerate(out) if keep[e][o])
        if not pos:
            continue
        ids = [out[i] for i in pos]
        name = OPS[o]
        if name == "skip_connect":
            y = x.unsqueeze(1)
        elif name == "avg_pool_3x3":
            y = edges[ids[0]][name](x).unsqueeze(1)
        else:
            ops = [edges[e][name].op for e in ids]
            conv = ops[0][1]
            relu = ops[0][0](x) if relu is None else relu  # the edges' own activation module (one kind)
            bias = torch.cat([op[1].bias for op in ops]) if conv.bias is not None else None
            y = F.conv2d(relu, torch.cat([op[1].weight for op in ops]), bias, conv.stride, conv.padding)
            y = batch_norm(y, [op[2] for op in ops])
            y = y.view(y.shape[0], len(pos), -1, *y.shape[2:])
        total = add_weighted(total, y, w, ids, o, pos, n)
    return total


def mixed_cell(cell: SearchCell, x: torch.Tensor, w: torch.Tensor, keep: Sequence[Sequence[bool]]) -> torch.Tensor:
    """One NB201 cell with every edge mixed by ``w`` [6, 5] over the operations ``keep`` [6, 5] allows, the edges
    leaving each node batched (``spaces.batched``). A node adds its sources' sums in source order, as the
    single-path cell adds its edges, so a one-hot ``w`` adds only exact zeros."""
    nodes, pending = [x], [None] * NUM_NODES
    for src in range(NUM_NODES - 1):  # the last node feeds no edge
        if src > 0:
            nodes.append(torch.zeros_like(x) if pending[src] is None else pending[src])
        out = [e for e, (s, _) in enumerate(EDGES) if s == src]
        sums = _source_sums(cell.edges, nodes[src], out, w, keep)
        if sums is None:
            continue
        for i, e in enumerate(out):
            dst = EDGES[e][1]
            pending[dst] = sums[:, i] if pending[dst] is None else pending[dst] + sums[:, i]
    return torch.zeros_like(x) if pending[-1] is None else pending[-1]


class MixedOpNB201(RelaxedSupernet):
    """The relaxed NB201 network: the single-path supernet's weights plus architecture weights [6, 5] (module doc)."""

    def __init__(self, net: NB201Supernet, categorical: str = "per-edge", parametrisation: str = "softmax"):
        super().__init__(net, (NUM_EDGES, NUM_OPS), categorical, parametrisation)

    def forward(self, x: torch.Tensor, arch: Arch | None = None) -> torch.Tensor:
        if arch is not None:  # one path: the single-path supernet's own computation
            return self.net(x, arch)
        w, keep = self.arch_weights(), self.keep.tolist()
        h = self.net.stem(x)
        for layer in self.net.cells:
            h = mixed_cell(layer, h, w, keep) if isinstance(layer, SearchCell) else layer(h)
        h = self.net.global_pool(self.net.lastact(h))
        return self.net.classifier(torch.flatten(h, 1))

    def forward_many(self, x: torch.Tensor, archs) -> torch.Tensor:
        """Paths scored together through the shared weights (``NB201Supernet.forward_many``)."""
        return self.net.forward_many(x, archs)

    def row_modules(self, row: int) -> list[torch.nn.Module]:
        """Edge ``row``'s operations in every cell."""
        return [cell.edges[row] for cell in self.net.cells if isinstance(cell, SearchCell)]

    def remaining_space(self) -> int:
        """One operation per edge: the product of the kept operations per edge."""
        return int(np.prod(self.keep.sum(dim=1).cpu().numpy(), dtype=np.int64))

    def derive(self) -> Arch:
        """DARTS's discretisation: the kept operation with the largest weight on every edge."""
        return tuple(int(o) for o in self.arch_weights().detach().argmax(dim=-1).tolist())

    @staticmethod
    def sample_weights(w: np.ndarray, rng: np.random.Generator) -> Arch:
        """A cell drawn edge by edge from [6, 5] weights (ANASOD-DNAS Alg. 1 line 7)."""
        return sample_per_decision(w, NUM_EDGES, rng)

    def log_likelihood(self, arch: Arch) -> float:
        """log of the product over edges of the weight of ``arch``'s operation (floored at 1e-12)."""
        return log_likelihood_per_decision(self.arch_weights().detach().double().cpu().numpy(), arch)
