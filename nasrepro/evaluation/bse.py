"""Boltzmann Softmax Exploration (BSE) as a search on a trained supernet (thesis Eq. 2.6, §2.3.4; the
final-selection method of thesis Tables 5.1 and 5.2, "we apply BSE to the trained supernet").

Eq. 2.6: ``p(c) = softmax(tau * a_c)``, with ``a_c`` the reward of architecture ``c`` (its validation
accuracy) and the inverse temperature ``tau`` raised linearly from 1. Each iteration draws one
architecture from ``p``, scores it on one validation mini-batch and updates its estimate; the result is
the architecture with the highest estimate.

This is the ``boltzmann`` sampler with the ``inverse_linear`` schedule (``t_start = 1``,
``t_end = 1 / tau_end``), so thesis Table 2.3's BSE *sampler* (a supernet trained while BSE draws its
paths) and this search are one implementation. Rewards are accuracies in [0, 1], as for every sampler.

Assumptions (the seed gives none of these): the number of iterations, ``tau_end`` and the mini-batch size are
settings (``selection.bse`` in the config, values marked there); the reward is top-1 accuracy on one
mini-batch of the validation half, drawn per iteration; ``a_c`` is Eq. 4's moving average (beta of the
sampler's defaults), unvisited architectures scored with the mean of the visited ones (the sampler's
default), so the first draws are uniform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from nasrepro.errors import ConfigError
from nasrepro.samplers.boltzmann import BoltzmannSampler

TAU_START = 1.0  # Eq. 2.6: "we increase tau from 1 linearly"


@dataclass(frozen=True)
class BSEResult:
    chosen: int            # index into the population
    estimate: float        # its a_c (accuracy in [0, 1])
    visits: np.ndarray     # draws per architecture; sums to the iterations


def bse_sampler(encodings: np.ndarray, choices: list[int], tau_end: float, beta: float = 0.95) -> BoltzmannSampler:
    """The BSE distribution of Eq. 2.6 as a sampler: ``1/T`` linear from ``TAU_START`` to ``tau_end``."""
    from nasrepro.samplers.boltzmann import BSESampler

    return BSESampler(encodings, choices, tau_end=tau_end, beta=beta)


def bse_search(sampler: BoltzmannSampler, score: Callable[[int, int], float], iterations: int,
               rng: np.random.Generator) -> BSEResult:
    """Run BSE for ``iterations`` draws. ``score(index, iteration)`` is the reward of one architecture on
    that iteration's mini-batch (accuracy in [0, 1]); it trains nothing."""
    if iterations < 1:
        raise ConfigError(f"BSE needs at least one iteration, got {iterations}")
    for t in range(iterations):
        sampler.set_progress(t / max(1, iterations - 1))
        i = sampler.sample(rng)
        sampler.update(i, score(i, t))
    values = np.where(sampler.has, sampler.eps, -np.inf)  # only what was measured can be chosen
    chosen = int(np.argmax(values))
    return BSEResult(chosen, float(sampler.eps[chosen]), sampler.visits.copy())


def bse_on_supernet(model, encodings: np.ndarray, choices: list[int], archs, images, labels, runtime,
                    options: dict, seed: int, beta: float = 0.95) -> BSEResult:
    """BSE over ``archs`` on a trained supernet: each iteration scores the drawn architecture on
    ``options['batch_images']`` validation images drawn for that iteration (a fixed stream per seed)."""
    from nasrepro.evaluation.evaluate import evaluate_architectures

    batch = min(int(options["batch_images"]), len(labels))
    draws = np.random.default_rng([seed, 26])  # Eq. 2.6's mini-batches, apart from the search's own stream

    def score(index: int, _iteration: int) -> float:
        pick = np.sort(draws.choice(len(labels), size=batch, replace=False))
        acc = evaluate_architectures(model, [archs[index]], images[pick], labels[pick], runtime, batch)
        return float(acc[0]) / 100.0

    sampler = bse_sampler(encodings, choices, float(options["tau_end"]), beta)
    return bse_search(sampler, score, int(options["iterations"]), np.random.default_rng([seed, 27]))
