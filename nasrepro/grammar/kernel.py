"""The Weisfeiler-Lehman subtree kernel (seed 003 Alg. 3; Shervashidze et al. 2011) and BANAT's
hierarchical WL kernel (Eq. 3), as features a GP can use.

``wl_features(labels, edges, h)`` are the counts of every node label after 0..h relabelling rounds; a
node's new label is its old label followed by the sorted labels of its **predecessors** (the nodes feeding
it: the direction data flows; assumption, the seed says "neighbours" of a DAG). Labels are kept as strings,
which is an injective compression. k_WL(G1, G2) is the inner product of the two count vectors.

The hierarchical kernel sums one WL kernel per fold level, k_hWL = sum_{l=2..L} lambda_l k_WL(Phi(F_l)),
with lambda_l fitted with the GP's other hyperparameters by the marginal likelihood: ``HWLKernel`` is a
GPyTorch kernel over the stacked, per-level normalised feature blocks, one ``LinearKernel`` (variance =
lambda_l) per level. Each level's features are normalised to unit length (k(G, G) = 1; NAS-BOWL's
normalisation; assumption). h = 2 rounds (assumption: the seed leaves H open).
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np

from nasrepro.grammar.terms import Term, fold, graph

WL_ROUNDS = 2


def wl_features(labels: Sequence[str], edges, h: int = WL_ROUNDS) -> Counter:
    preds: dict[int, list[int]] = {i: [] for i in range(len(labels))}
    for u, v in edges:
        preds[v].append(u)
    current = list(labels)
    feats: Counter = Counter((0, lab) for lab in current)
    for r in range(1, h + 1):
        current = [current[v] + "(" + ",".join(sorted(current[u] for u in preds[v])) + ")" for v in range(len(current))]
        feats.update((r, lab) for lab in current)
    return feats


def wl_kernel(g1, g2, h: int = WL_ROUNDS) -> float:
    a, b = wl_features(*g1, h=h), wl_features(*g2, h=h)
    return float(sum(a[k] * b[k] for k in a.keys() & b.keys()))


def term_features(term: Term, hierarchical: bool, depth: int, h: int = WL_ROUNDS) -> list[Counter]:
    """One WL count vector per fold level l = 2..depth (hWL; F_l of a shallower term is the term itself),
    or one for the whole term (WL, as NAS-BOWL). Level 1 is left out: it has no edges (§3)."""
    if not hierarchical:
        return [wl_features(*graph(term), h=h)]
    return [wl_features(*graph(fold(term, lv)), h=h) for lv in range(2, max(2, depth) + 1)]


def feature_matrix(per_term: Sequence[Sequence[Counter]], vocab: list[dict] | None = None) -> tuple[np.ndarray, list[dict], list[int]]:
    """Stack per-level counts into one matrix with a block per level, each row block normalised to unit
    length. ``vocab`` (per level, label -> column) from the training terms is reused for candidates; a
    candidate's unseen labels still count towards its norm. Returns (matrix, vocab, block widths)."""
    n_levels = max(len(t) for t in per_term)
    if vocab is None:
        vocab = [{} for _ in range(n_levels)]
        for t in per_term:
            for lv, c in enumerate(t):
                for key in c:
                    vocab[lv].setdefault(key, len(vocab[lv]))
    widths = [len(v) for v in vocab]
    out = np.zeros((len(per_term), sum(widths)))
    offsets = np.cumsum([0] + widths[:-1])
    for i, t in enumerate(per_term):
        for lv, c in enumerate(t[: len(vocab)]):
            norm = np.sqrt(sum(v * v for v in c.values()))
            if norm == 0:
                continue
            for key, v in c.items():
                j = vocab[lv].get(key)
                if j is not None:
                    out[i, offsets[lv] + j] = v / norm
    return out, vocab, widths


def hwl_covariance(widths: Sequence[int]):
    """sum_l lambda_l <phi_l, phi_l'> as a GPyTorch kernel: one LinearKernel per feature block."""
    from gpytorch.kernels import AdditiveKernel, LinearKernel

    start, parts = 0, []
    for w in widths:
        parts.append(LinearKernel(active_dims=tuple(range(start, start + w))))
        start += w
    return AdditiveKernel(*parts) if len(parts) > 1 else parts[0]


__all__ = ["WL_ROUNDS", "feature_matrix", "hwl_covariance", "term_features", "wl_features", "wl_kernel"]
