"""Ranking agreement between supernet estimates and ground truth."""

from __future__ import annotations

import numpy as np


def _dense_ranks(x: np.ndarray) -> np.ndarray:
    """0-based ranks with ties sharing one rank (0, 0, 1, 2, 2, ...)."""
    _, inverse = np.unique(x, return_inverse=True)
    return inverse.ravel().astype(np.int64)


def _tied_pairs(ranks: np.ndarray) -> int:
    counts = np.bincount(ranks)
    return int((counts * (counts - 1) // 2).sum())


def _inversions(r: np.ndarray) -> int:
    """Pairs i < j with r[i] > r[j] (equal values are not inversions), in O(n log^2 n) numpy: an inversion
    is counted once, at the highest bit where the two ranks differ (same higher bits, 1 before 0)."""
    inv = 0
    for b in range(max(1, int(r.max()).bit_length())):
        order = np.argsort(r >> (b + 1), kind="stable")  # groups of equal higher bits, original order kept
        prefix, bit = (r >> (b + 1))[order], (r[order] >> b) & 1
        ones_before = np.cumsum(bit) - bit
        first = np.searchsorted(prefix, prefix, side="left")
        inv += int((ones_before - ones_before[first])[bit == 0].sum())
    return inv


def kendall_tau(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Kendall's tau-b (ties in either ranking handled), equal to ``scipy.stats.kendalltau`` (tested) without
    importing scipy.stats, which costs about a second of every job's start: P - Q = n0 - n1 - n2 + n3 - 2 D
    over the pairs sorted by the estimate (Knight 1966). NaN when either side is constant."""
    x, y = np.asarray(estimate, dtype=float).ravel(), np.asarray(truth, dtype=float).ravel()
    if x.size != y.size:
        raise ValueError(f"kendall_tau needs equal lengths, got {x.size} and {y.size}")
    n = x.size
    if n < 2:
        return float("nan")
    rx, ry = _dense_ranks(x), _dense_ranks(y)
    n0 = n * (n - 1) // 2
    n1, n2 = _tied_pairs(rx), _tied_pairs(ry)
    if n1 == n0 or n2 == n0:
        return float("nan")
    n3 = _tied_pairs(_dense_ranks(rx * (int(ry.max()) + 1) + ry))  # tied in both
    order = np.lexsort((ry, rx))  # by estimate, ties broken by truth: tied-x pairs are no inversions
    discordant = _inversions(ry[order])
    return float((n0 - n1 - n2 + n3 - 2 * discordant) / np.sqrt(float(n0 - n1) * float(n0 - n2)))


def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their mean rank (``scipy.stats.rankdata``'s default)."""
    x = np.asarray(x, dtype=float).ravel()
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    starts = np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1]])
    ends = np.r_[starts[1:], x.size]
    mean_rank = (starts + ends + 1) / 2.0  # ranks start .. end - 1 (0-based) -> their mean, 1-based
    out = np.empty(x.size)
    out[order] = np.repeat(mean_rank, ends - starts)
    return out


def spearman(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Spearman's rho (Pearson of average ranks, as scipy computes it); NaN when either side is constant,
    e.g. an untrained supernet that scores every architecture alike."""
    return pearson(average_ranks(estimate), average_ranks(truth))


def pearson(estimate: np.ndarray, truth: np.ndarray) -> float:
    """Pearson's r (NaN when either side is constant)."""
    e, t = np.asarray(estimate, dtype=float), np.asarray(truth, dtype=float)
    if e.size < 2 or np.ptp(e) == 0 or np.ptp(t) == 0:
        return float("nan")
    return float(np.corrcoef(e, t)[0, 1])


def top_k_indices(values: np.ndarray, k: int) -> np.ndarray:
    order = np.lexsort((np.arange(len(values)), -np.asarray(values)))
    return order[:k]


def precision_at_k(estimate: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Fraction of the estimate's top-k that are in the ground truth's top-k."""
    return len(set(top_k_indices(estimate, k)) & set(top_k_indices(truth, k))) / float(k)


def kendall_tau_top_k(estimate: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Tau restricted to the k best architectures by ground truth (thesis Table 4.3 style)."""
    idx = top_k_indices(truth, k)
    return kendall_tau(np.asarray(estimate)[idx], np.asarray(truth)[idx])


def ranking_summary(estimate: np.ndarray, truth: np.ndarray, ks: tuple[int, ...] = (5, 10)) -> dict[str, float]:
    out = {"kendall_tau": kendall_tau(estimate, truth), "spearman": spearman(estimate, truth),
           "pearson": pearson(estimate, truth)}
    for k in ks:
        if k < len(truth):
            out[f"precision_at_{k}"] = precision_at_k(estimate, truth, k)
            out[f"kendall_tau_top{k}"] = kendall_tau_top_k(estimate, truth, k)
    for k in (1,) + tuple(ks):
        if k <= len(truth):
            out[f"top{k}_gt_acc"] = top_k_truth(estimate, truth, k)
    return out


def top_k_truth(estimate: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Mean ground-truth value of the ``k`` architectures the supernet ranks highest (thesis Table 5.1's
    Top-1/5/10); ties in the estimate go to the earlier architecture."""
    estimate, truth = np.asarray(estimate, dtype=float), np.asarray(truth, dtype=float)
    order = np.lexsort((np.arange(estimate.size), -estimate))
    return float(truth[order[:k]].mean())
