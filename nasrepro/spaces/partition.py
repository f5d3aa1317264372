"""Few-shot supernet partitioning (HEP-NAS, seed 002 Eqs. 1-4): operation groups per edge by a min-cut of
their gradient similarities, and the sub-supernets of one hierarchy as the Cartesian product of its edges'
groups. Masks are booleans whose last axis is the operations (``RelaxedSupernet.set_mask``): NB201's [6, 5], or
DARTS's [2, 14, 8], where an edge index is a row of the mask viewed as [rows, operations] (``rows()``), so
edges 0..13 are the normal cell's. HEP-NAS's code splits the normal cell only (``split_eid`` runs over its
edges); the reduction cell keeps every operation, so the DARTS cell gives 4, 8, 16 and 32 sub-supernets.

A *hierarchy* is every edge that ends in one node (Eq. 3); HEP-NAS splits them in node order (Alg. 1), so on
NB201 (node k has k in-edges) the three splits give 2, 4 and 8 sub-supernets.
"""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np

SPLIT_ORDERS = ("natural", "reverse", "random")  # HEP-NAS Table 6


def hierarchies(edges: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Edge indices grouped by their end node, in node order (Eq. 3: h_k = {E_ik, i < k})."""
    ends = sorted({dst for _, dst in edges})
    return [[e for e, (_, dst) in enumerate(edges) if dst == node] for node in ends]


def split_order(n: int, order: str, rng: np.random.Generator | None = None) -> list[int]:
    """The order in which the ``n`` hierarchies are split (HEP-NAS Table 6: natural, reverse or random)."""
    if order == "natural":
        return list(range(n))
    if order == "reverse":
        return list(range(n))[::-1]
    if order == "random":
        if rng is None:
            raise ValueError("a random split order needs a generator")
        return [int(i) for i in rng.permutation(n)]
    raise ValueError(f"split order must be one of {SPLIT_ORDERS}, got {order!r}")


def min_cut_bipartition(similarity: np.ndarray, ops: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """Eq. 2 by enumeration: the split of ``ops`` (similarity rows/columns in this order) into two non-empty
    groups with the least summed similarity across the cut. Each bipartition is visited once (the last
    operation always sits in the second group); ties keep the first found. One operation cannot split."""
    ops = list(ops)
    n = len(ops)
    if n < 2:
        return (tuple(ops),)
    sim = np.asarray(similarity, dtype=np.float64)
    best: tuple[float, tuple[int, ...], tuple[int, ...]] | None = None
    for bits in range(1, 2 ** (n - 1)):
        inside = [i for i in range(n) if bits >> i & 1]
        outside = [i for i in range(n) if not bits >> i & 1]
        cut = float(sim[np.ix_(inside, outside)].sum())
        if best is None or cut < best[0]:
            best = (cut, tuple(ops[i] for i in inside), tuple(ops[i] for i in outside))
    return best[1], best[2]


def hierarchy_masks(keep: np.ndarray, groups: dict[int, Sequence[Sequence[int]]]) -> list[np.ndarray]:
    """Eq. 4: one mask per element of the Cartesian product of the hierarchy's edges' groups; every edge of
    the hierarchy keeps one of its groups, the other edges keep what ``keep`` keeps."""
    edges = sorted(groups)
    keep = np.asarray(keep, dtype=bool)
    masks = []
    for combo in itertools.product(*(groups[e] for e in edges)):
        mask = np.array(keep, dtype=bool, copy=True)
        rows = mask.reshape(-1, keep.shape[-1])  # a view: edge e is row e
        for e, group in zip(edges, combo):
            rows[e] = False
            rows[e, list(group)] = True
        masks.append(mask)
    return masks
