"""The NASBOT kernel (Kandasamy et al. 2018): OTMANN, an optimal-transport distance between networks, as
the third surrogate of seed 003 Fig. 3.

OTMANN moves the "mass" of one network's layers onto the other's. The cost of pairing two layers is a
label-mismatch penalty plus ``struct_coeff`` times a structural penalty (how far the layers sit from the
input and the output). Mass may instead go to a dummy layer at the non-assignment penalty (1 per unit).
The distance is the cost of the optimal plan, solved exactly with POT's network simplex
(``ot.lp.emd_wrap.emd_c``, the solver behind ``ot.emd2``).
NASBOT's kernel is alpha exp(-beta d) + alpha' exp(-beta' d'), with d' = d / (total masses); the four
parameters are fitted by the GP's marginal likelihood.

Layers are the nodes of the term's graph Phi (``nasrepro.grammar.terms.graph``). How NASBOT's CNN
definitions map onto them (assumptions: NASBOT never saw these operations):

* label mismatch, as in NASBOT for CNNs: 0 for equal labels; sqrt(2 |k - k'|) / 10 between convolutions
  of kernel sizes k, k' (+0.1 if one is depth-wise); 0.5 between different poolings; otherwise the pair
  cannot match (a large cost);
* mass: C^2 k^2 for a convolution (weights at the cell's C channels; C = 16), C for every other
  operation (pooling, identity, sum, activation, normalisation), and 10 % of the total for the input
  and the output, as NASBOT gives its input and output layers;
* structure: the shortest, longest and random-walk path lengths from the input and to the output,
  counting all layers and counting convolutions only, averaged over the six path types and the two
  directions (NASBOT's groups "all" and "conv"; NB201 cells have no fully connected layers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

NON_ASSIGNMENT = 1.0
STRUCT_COEFF = 0.1
IO_MASS_FRACTION = 0.1
CHANNELS = 16
NO_MATCH = 7.65432e5  # NASBOT replaces an impossible pairing by a large finite cost


def _label(name: str) -> tuple[str, int, bool]:
    """(group, kernel size, depth-wise) of a layer label."""
    if name in ("conv1x1", "conv3x3", "dconv3x3"):
        return "conv", int(name[-1]), name.startswith("d")
    if name.endswith("pool"):
        return "pool", 0, False
    return name, 0, False


def mismatch(a: str, b: str) -> float:
    if a == b:
        return 0.0
    (ga, ka, da), (gb, kb, db) = _label(a), _label(b)
    if ga == gb == "conv":
        return math.sqrt(2 * abs(ka - kb)) / 10 + (0.1 if da != db else 0.0)
    if ga == gb == "pool":
        return 0.5
    return math.inf


@dataclass(frozen=True)
class Layers:
    labels: tuple[str, ...]
    masses: np.ndarray
    back: np.ndarray  # layers x 6: shortest, longest, random-walk path lengths from the input (all, conv)
    fwd: np.ndarray  # the same to the output


def _paths(n: int, order: list[int], parents: list[list[int]], weight: np.ndarray) -> np.ndarray:
    """Shortest, longest and random-walk (mean over parents) weighted path lengths from the source."""
    out = np.zeros((n, 3))
    for v in order:
        ps = parents[v]
        if not ps:
            continue
        vals = np.array([out[p] for p in ps]) + weight[v]
        out[v] = (vals[:, 0].min(), vals[:, 1].max(), vals[:, 2].mean())
    return out


def layers_of(labels: Sequence[str], edges) -> Layers:
    n = len(labels)
    parents = [[] for _ in range(n)]
    children = [[] for _ in range(n)]
    for u, v in edges:
        parents[v].append(u)
        children[u].append(v)
    order = _topological(n, parents)
    conv = np.array([1.0 if _label(lab)[0] == "conv" else 0.0 for lab in labels])
    ones = np.ones(n)
    back = np.hstack([_paths(n, order, parents, ones), _paths(n, order, parents, conv)])
    fwd = np.hstack([_paths(n, order[::-1], children, ones), _paths(n, order[::-1], children, conv)])
    masses = np.array([CHANNELS * CHANNELS * _label(lab)[1] ** 2 if _label(lab)[0] == "conv" else float(CHANNELS)
                       for lab in labels])
    io = [i for i, lab in enumerate(labels) if lab in ("input", "output")]
    decision = masses[[i for i in range(n) if i not in io]].sum()
    masses[io] = IO_MASS_FRACTION * decision
    return Layers(tuple(labels), masses, back, fwd)


def _topological(n: int, parents: list[list[int]]) -> list[int]:
    indeg = [len(p) for p in parents]
    kids = [[] for _ in range(n)]
    for v, ps in enumerate(parents):
        for p in ps:
            kids[p].append(v)
    ready = [v for v in range(n) if indeg[v] == 0]
    order = []
    while ready:
        v = ready.pop(0)
        order.append(v)
        for c in kids[v]:
            indeg[c] -= 1
            if indeg[c] == 0:
                ready.append(c)
    return order


@lru_cache(maxsize=None)
def _mismatch_block(a: tuple[str, ...], b: tuple[str, ...]) -> np.ndarray:
    """Label-mismatch costs of two label sequences (cached: NB201 cells repeat few label sequences)."""
    return np.array([[mismatch(u, v) for v in b] for u in a]) * NON_ASSIGNMENT


def otmann(x: Layers, y: Layers, struct_coeff: float = STRUCT_COEFF) -> float:
    """The OTMANN distance: the minimum cost of transporting x's layer masses onto y's (or the dummy)."""
    from ot.lp.emd_wrap import emd_c  # POT's network simplex itself: ot.emd2's argument checks cost 70x its solve here

    m = _mismatch_block(x.labels, y.labels)
    s = (np.abs(x.back[:, None, :] - y.back[None, :, :]).mean(-1)
         + np.abs(x.fwd[:, None, :] - y.fwd[None, :, :]).mean(-1)) / 2
    cost = m + struct_coeff * s
    cost[~np.isfinite(cost)] = NO_MATCH
    cost = np.vstack([cost, np.full((1, cost.shape[1]), NON_ASSIGNMENT)])
    cost = np.hstack([cost, np.full((cost.shape[0], 1), NON_ASSIGNMENT)])
    cost[-1, -1] = 0.0
    supply = np.append(x.masses, y.masses.sum())
    demand = np.append(y.masses, x.masses.sum())
    _, value, _, _, code = emd_c(supply, demand, np.ascontiguousarray(cost), 100_000, 1)
    if code != 1:  # 1 = optimal (POT's result codes)
        raise RuntimeError(f"OTMANN transport did not solve (POT result code {code})")
    return float(value)


def distance_matrices(nets: Sequence[Layers]) -> tuple[np.ndarray, np.ndarray]:
    """All-pairs OTMANN distances and their normalisation by the two networks' total masses."""
    n = len(nets)
    d = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            d[i, j] = d[j, i] = otmann(nets[i], nets[j])
    total = np.array([net.masses.sum() for net in nets])
    return d, d / (total[:, None] + total[None, :])


def nasbot_covariance(d: np.ndarray, d_norm: np.ndarray):
    """A GPyTorch kernel over indices into the precomputed distance matrices: alpha exp(-beta d) +
    alpha' exp(-beta' d'), every parameter positive and fitted by the marginal likelihood. Distances are
    divided by their median so that the length scales start near 1."""
    import torch
    from gpytorch.constraints import Positive
    from gpytorch.kernels import Kernel

    scale = float(np.median(d[d > 0])) if np.any(d > 0) else 1.0
    scale_n = float(np.median(d_norm[d_norm > 0])) if np.any(d_norm > 0) else 1.0
    dist = torch.as_tensor(d / scale, dtype=torch.float64)
    dist_n = torch.as_tensor(d_norm / scale_n, dtype=torch.float64)

    class NasbotKernel(Kernel):
        def __init__(self):
            super().__init__()
            for name in ("alpha", "beta", "alpha_n", "beta_n"):
                self.register_parameter(f"raw_{name}", torch.nn.Parameter(torch.zeros(1, dtype=torch.float64)))
                self.register_constraint(f"raw_{name}", Positive())

        def _value(self, name: str) -> torch.Tensor:
            return getattr(self, f"raw_{name}_constraint").transform(getattr(self, f"raw_{name}"))

        def forward(self, x1, x2, diag: bool = False, **params):
            i, j = x1[..., 0].long(), x2[..., 0].long()
            if diag:
                return (self._value("alpha") + self._value("alpha_n")).expand(i.shape)
            di, dn = dist[i][..., j], dist_n[i][..., j]
            return self._value("alpha") * torch.exp(-self._value("beta") * di) + \
                self._value("alpha_n") * torch.exp(-self._value("beta_n") * dn)

    return NasbotKernel()


__all__ = ["Layers", "distance_matrices", "layers_of", "mismatch", "nasbot_covariance", "otmann"]
