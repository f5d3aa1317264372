"""The NAS-Bench-201 cell relaxed DARTS-style: a mixed operation on every edge (issue 19).

Every edge e of a cell computes ``sum_o w[e, o] * o(x)`` over the five NB201 operations (Liu et al. 2018b,
Eq. 2; ``none`` contributes zero and is not run), each operation once per edge input, never once per path.
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

import numpy as np
import torch

from nasrepro.nb201_cells import EDGES, NUM_EDGES, NUM_NODES, OPS
from nasrepro.spaces.base import Arch
from nasrepro.spaces.nb201 import NB201Supernet, SearchCell
from nasrepro.spaces.relaxed import (CATEGORICALS, PARAMETRISATIONS, RelaxedSupernet,  # noqa: F401  (re-exported)
                                     log_likelihood_per_decision, sample_per_decision)

NUM_OPS = len(OPS)


def mixed_cell(cell: SearchCell, x: torch.Tensor, w: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """One NB201 cell with every edge mixed by ``w`` [6, 5] over the operations ``keep`` [6, 5] allows.
    Sums run in the single-path cell's edge order, so a one-hot ``w`` adds only exact zeros."""
    nodes = [x]
    for i in range(1, NUM_NODES):
        total = None
        for e, (src, dst) in enumerate(EDGES):
            if dst != i:
                continue
            for o in range(1, NUM_OPS):  # op 0 is ``none``: zero output whatever its weight
                if keep[e, o]:
                    y = w[e, o] * cell.edges[e][OPS[o]](nodes[src])
                    total = y if total is None else total + y
        nodes.append(torch.zeros_like(x) if total is None else total)
    return nodes[-1]


class MixedOpNB201(RelaxedSupernet):
    """The relaxed NB201 network: the single-path supernet's weights plus architecture weights [6, 5] (module doc)."""

    def __init__(self, net: NB201Supernet, categorical: str = "per-edge", parametrisation: str = "softmax"):
        super().__init__(net, (NUM_EDGES, NUM_OPS), categorical, parametrisation)

    def forward(self, x: torch.Tensor, arch: Arch | None = None) -> torch.Tensor:
        if arch is not None:  # one path: the single-path supernet's own computation
            return self.net(x, arch)
        w = self.arch_weights()
        h = self.net.stem(x)
        for layer in self.net.cells:
            h = mixed_cell(layer, h, w, self.keep) if isinstance(layer, SearchCell) else layer(h)
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
