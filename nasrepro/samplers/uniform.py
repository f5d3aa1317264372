"""Uniform single-path sampling (SPOS, Guo et al. 2020)."""

from __future__ import annotations

import numpy as np

from nasrepro.samplers.base import Sampler


class UniformSampler(Sampler):
    name = "uniform"
    summary = "uniform sampling of architectures"
    phase_plan = "uniform"  # the trainer draws uniformly; this class is never asked
    uses_reward = False

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.population_size))
