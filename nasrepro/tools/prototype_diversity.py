"""Do the density prototypes of Alg. 5.2 stay distinct? (issue 14 item 5; README "Density prototypes")

Runs the density sampler's own prototype mode (``DensitySampler`` with ``prototypes=K``: K-Means on a
uniform sample of ``population`` architectures, then Eq. 5.10 accept/reject draws, every draw moving
the prototypes by Eqs. 5.8-5.9) over fixed features, and records the prototypes' mean pairwise cosine
distance (``prototype_diversity``) as the number of prototype updates grows, for each reading of
Eq. 5.8 (``assignment``). The features are frozen, so only the update rule moves the prototypes.

Features: a ``.npz`` with an ``outputs`` array [N, ...] (a warm-up job's ``outputs.npz``: supernet
logits per architecture), or, by default, synthetic clustered unit vectors (``clustered_features``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from nasrepro.samplers.density import ASSIGNMENTS, DensitySampler, prototype_diversity, unit_rows


def clustered_features(n: int = 15_625, dim: int = 64, clusters: int = 20, spread: float = 0.5,
                       seed: int = 0) -> np.ndarray:
    """``n`` unit vectors around ``clusters`` random directions, cluster sizes ∝ a Zipf law (dense and
    sparse regions, as a space with many near-equivalent architectures has)."""
    rng = np.random.default_rng(seed)
    centres = unit_rows(rng.standard_normal((clusters, dim)))
    weights = 1.0 / np.arange(1, clusters + 1)
    member = rng.choice(clusters, size=n, p=weights / weights.sum())
    return unit_rows(centres[member] + spread * rng.standard_normal((n, dim)) / np.sqrt(dim))


def simulate(features: np.ndarray, prototypes: int = 100, proto_lr: float = 0.05, updates: int = 10_000,
             assignment: str = "nearest", population: int = 2000, tau: float = 5.0, seed: int = 0,
             every: int = 1000) -> list[dict]:
    """Diversity after K-Means (``updates`` 0) and every ``every`` prototype updates, up to ``updates``."""
    feats = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    sampler = DensitySampler(np.zeros((len(feats), 1), dtype=np.int64), [1], tau=tau, prototypes=prototypes,
                             population=population, proto_lr=proto_lr, assignment=assignment)
    sampler.featurize = lambda idx: feats[np.asarray(idx)]
    rng = np.random.default_rng(seed)
    sampler._initialise(rng)  # K-Means on the uniform sample, as the first draw of a search does
    rows = [{"assignment": assignment, "updates": 0, "diversity": prototype_diversity(sampler.centres)}]
    for mark in range(every, updates + 1, every):
        while sampler.tries < mark:  # every draw, accepted or not, moves the prototypes
            sampler.sample(rng)
        rows.append({"assignment": assignment, "updates": int(sampler.tries),
                     "diversity": prototype_diversity(sampler.centres)})
    return rows


def run(features: np.ndarray | None = None, assignments: Sequence[str] = ASSIGNMENTS, **options) -> list[dict]:
    feats = clustered_features() if features is None else features
    return [row for a in assignments for row in simulate(feats, assignment=a, **options)]


def load_features(path: str) -> np.ndarray:
    with np.load(path) as data:
        if "outputs" not in data:
            raise KeyError(f"{path}: no 'outputs' array (expected a warm-up job's outputs.npz)")
        out = np.asarray(data["outputs"], dtype=np.float64)
    return out.reshape(len(out), -1)
