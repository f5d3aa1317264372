"""Ranking a trained supernet's architectures and selecting the final one (paper App. B.1)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from nasrepro.io import atomic_path
from nasrepro.spaces.base import Arch, SearchSpace

RANKING_SEED = 12345  # the ranked subset is shared by every method and seed of a setting


def ranking_set(n: int, limit: int | None) -> np.ndarray:
    """Architectures ranked for Kendall's tau: all, or a fixed random subset shared by every run."""
    if limit is None or limit >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(RANKING_SEED).choice(n, size=limit, replace=False))


def distinct_paths(space: SearchSpace, archs: Sequence[Arch], indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Representatives of the distinct supernet paths among ``indices`` (``space.supernet_key``) and,
    for each index, the position of its representative: ``scores_of_reps[members]`` scores them all."""
    keys = [space.supernet_key(archs[i]) for i in indices]
    first: dict[Arch, int] = {}
    members = np.array([first.setdefault(k, len(first)) for k in keys], dtype=np.int64)
    reps = np.empty(len(first), dtype=np.int64)
    reps[members[::-1]] = np.asarray(indices)[::-1]  # first occurrence wins
    return reps, members


def score_resumable(score: Callable[[Sequence[int]], np.ndarray], indices: np.ndarray, partial: Path,
                    chunk: int = 2048, log: Callable = print) -> np.ndarray:
    """Score architectures in chunks, saving each chunk, so that a killed ranking of thousands of
    architectures (all 15,625 NB201 cells) resumes where it stopped instead of starting over."""
    indices = np.asarray(indices, dtype=np.int64)
    if len(indices) <= chunk:
        return score(indices)
    acc = np.full(len(indices), np.nan)
    if partial.exists():
        saved = np.load(partial)
        if np.array_equal(saved["indices"], indices):
            acc = saved["acc"]
            log(f"ranking: resumed with {int(np.isfinite(acc).sum())}/{len(indices)} architectures scored")
    for start in range(0, len(indices), chunk):
        part = slice(start, start + chunk)
        if np.isfinite(acc[part]).all():
            continue
        acc[part] = score(indices[part])
        with atomic_path(partial) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, indices=indices, acc=acc)
    return acc


def select_final(sampler, population: int, ranked: np.ndarray, ranked_acc: np.ndarray, k: int,
                 rng: np.random.Generator, score: Callable[[list[int]], np.ndarray]) -> tuple[int, float]:
    """Paper App. B.1: k = 1 takes the maximum-probability path; k > 1 samples k architectures with
    lambda = 0 and keeps the best on validation data. Uniform training has no probabilities: with k = 1
    it takes the best ranked architecture, with k > 1 the best of k uniform draws."""
    if sampler is not None and not sampler.guides_selection:
        sampler = None  # density / fairness probabilities say nothing about quality: select as uniform
    if sampler is None and k == 1:
        best = int(np.argmax(ranked_acc))
        return int(ranked[best]), float(ranked_acc[best])
    if sampler is None:
        candidates = [int(i) for i in dict.fromkeys(rng.integers(population, size=k))]
    else:
        candidates = [int(i) for i in sampler.select(k, rng)]
    if k == 1:
        return candidates[0], float("nan")
    acc = score(candidates)
    best = int(np.argmax(acc))
    return candidates[best], float(acc[best])


def chosen_ground_truth(gt, arch: Arch) -> dict:
    """Ground-truth accuracy and rank of the found architecture (NaN / None if the table lacks it)."""
    if gt is None:
        return {"gt_acc": float("nan"), "gt_rank": None, "ground_truth": "none: retrain the found network"}
    try:
        return {"gt_acc": gt.accuracy_of(arch), "gt_rank": gt.rank_of(arch), "ground_truth": gt.source}
    except KeyError:
        return {"gt_acc": float("nan"), "gt_rank": None, "ground_truth": gt.source}
