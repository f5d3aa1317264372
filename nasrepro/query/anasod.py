"""The ANASOD encoding (Wan et al., WACV 2022; seed 004 §3.1): a cell as its operation distribution.

A cell of ``N`` operation blocks over ``k`` candidate operations is encoded by the counts
``p = (n(o_1), ..., n(o_k))`` (sum ``N``) or the normalised ``p~ = p / N`` on the simplex. There are
``C(N + k - 1, k - 1)`` encodings (210 for NAS-Bench-201's N = 6, k = 5) against ``k**N`` cells.

Here: counts of a cell, the grid of every encoding, rounding of any point onto the grid (Eq. 1,
Bomze et al.: round up the ``g(m) = N - sum floor(m)`` entries with the largest fractional parts), the
two decoders (1: shuffle the operations of a grid point over the blocks; 2: Eq. 2, every block drawn
i.i.d. from Cat(p~)), the grid neighbours ANASOD-LS walks (App. B), and the biased Dirichlet of Eq. 3.
"""

from __future__ import annotations

from math import comb
from typing import Iterator, Sequence

import numpy as np

Arch = tuple[int, ...]


def num_encodings(n: int, k: int) -> int:
    """``C(N + k - 1, k - 1)``: the number of grid points (compositions of N into k parts)."""
    return comb(n + k - 1, k - 1)


def counts(arch: Sequence[int], k: int) -> np.ndarray:
    """Unnormalised encoding p: how many blocks use each of the k operations."""
    return np.bincount(np.asarray(arch, dtype=np.int64), minlength=k)[:k]


def encode(arch: Sequence[int], k: int) -> np.ndarray:
    """Normalised encoding p~ = p / N (a point of the simplex)."""
    return counts(arch, k) / float(len(arch))


def grid(n: int, k: int) -> np.ndarray:
    """Every encoding as counts, shape (C(N+k-1, k-1), k), in lexicographic order."""

    def rec(remaining: int, parts: int) -> Iterator[tuple[int, ...]]:
        if parts == 1:
            yield (remaining,)
            return
        for first in range(remaining + 1):
            for rest in rec(remaining - first, parts - 1):
                yield (first, *rest)

    return np.array(list(rec(n, k)), dtype=np.int64)


def round_to_grid(m: Sequence[float], n: int) -> np.ndarray:
    """Eq. 1: the grid point (counts summing to ``n``) nearest to ``m`` (any point with sum n, or a
    simplex point, which is scaled by n first). Floors every entry, then rounds up the g(m) entries with
    the largest fractional parts (ties: the lower index first). This is the nearest valid point in every
    l^p norm, p >= 1 (Bomze et al.)."""
    m = np.asarray(m, dtype=np.float64)
    if np.any(m < -1e-12):
        raise ValueError(f"an encoding has non-negative entries, got {m.tolist()}")
    m = np.clip(m, 0.0, None)
    total = float(m.sum())
    if total <= 0:
        raise ValueError("an encoding must have a positive sum")
    if abs(total - n) > 1e-9:
        m = m * (n / total)  # a simplex point (sum 1) or any positive vector: scale onto sum n
    floor = np.floor(m + 1e-12).astype(np.int64)
    g = int(n - floor.sum())
    frac = m - floor
    order = np.lexsort((np.arange(len(m)), -frac))  # largest fractional part first, then index
    out = floor.copy()
    out[order[:g]] += 1
    return out


def decode_shuffle(p: Sequence[int], rng: np.random.Generator) -> Arch:
    """Decoder 1: the operations of grid point ``p`` (counts) placed on the blocks in random order.
    Every cell with these counts is equally likely."""
    ops = np.repeat(np.arange(len(p)), np.asarray(p, dtype=np.int64))
    return tuple(int(o) for o in rng.permutation(ops))


def decode_categorical(p_tilde: Sequence[float], n: int, rng: np.random.Generator) -> Arch:
    """Decoder 2 (Eq. 2): every block's operation drawn independently from Cat(p~); the cell's
    distribution equals p~ only in expectation."""
    p = np.asarray(p_tilde, dtype=np.float64)
    p = p / p.sum()
    return tuple(int(o) for o in rng.choice(len(p), size=n, p=p))


def decode(p_tilde: Sequence[float], n: int, rng: np.random.Generator, decoder: str = "shuffle") -> Arch:
    """A cell sampled from encoding ``p~``: ``shuffle`` rounds p~ onto the grid (Eq. 1) and shuffles;
    ``categorical`` is Eq. 2."""
    if decoder == "shuffle":
        return decode_shuffle(round_to_grid(p_tilde, n), rng)
    if decoder == "categorical":
        return decode_categorical(p_tilde, n, rng)
    raise ValueError(f"unknown ANASOD decoder {decoder!r}; use 'shuffle' (Eq. 1 + shuffle) or 'categorical' (Eq. 2)")


def grid_neighbours(p: Sequence[int]) -> list[np.ndarray]:
    """Adjacent vertices of grid point ``p`` (App. B): one unit moved from operation i to operation j.
    For N = 5, k = 3 the neighbours of [1, 1, 3] are [0,1,4], [1,0,4], [0,2,3], [2,0,3], [1,2,2], [2,1,2]."""
    p = np.asarray(p, dtype=np.int64)
    out = []
    for i in range(len(p)):
        if p[i] == 0:
            continue
        for j in range(len(p)):
            if j != i:
                q = p.copy()
                q[i] -= 1
                q[j] += 1
                out.append(q)
    return out


def biased_dirichlet(best: Sequence[float], beta: float) -> np.ndarray:
    """Eq. 3: the concentration alpha_i = k * beta * p~*_i + 1, whose mode is the best encoding p~*
    (beta = 0 is the uniform Dir(1, ..., 1))."""
    best = np.asarray(best, dtype=np.float64)
    return len(best) * float(beta) * best + 1.0


__all__ = ["biased_dirichlet", "counts", "decode", "decode_categorical", "decode_shuffle", "encode", "grid",
           "grid_neighbours", "num_encodings", "round_to_grid"]
