"""Strict-fairness sampling (FairNAS, Chu et al. 2021), the "FairNas"/"Strict fairness" rows of thesis
Tables 5.1 and 5.3.

Every step trains ``m`` paths on the same mini-batch, where ``m`` is the number of choices per
decision: an independent random permutation of the ``m`` choices is drawn for each decision and path
``i`` takes the ``i``-th entry of every permutation. So every candidate operation of every layer is
trained exactly once per step; the trainer accumulates the ``m`` gradients and applies one update.

Needs a product space with the same number of choices at every decision, all of them present in the
population (NAS-Bench-201: 5 paths per step, NAS-Bench-Macro: 3). The Pooling space is a constrained
set of flags, where strict fairness is undefined; constructing this sampler there raises.
"""

from __future__ import annotations

import numpy as np

from nasrepro.samplers.base import Sampler
from nasrepro.samplers.schedules import SamplerConfigError


class FairSampler(Sampler):
    name = "fair"
    phase_plan = "sample"
    uses_reward = False
    guides_selection = False

    def __init__(self, encodings: np.ndarray, choices: list[int]):
        super().__init__(encodings, choices)
        if len(set(self.choices)) != 1:
            raise SamplerConfigError(
                f"strict fairness needs the same number of choices at every decision, got {self.choices}"
            )
        if self.population_size != int(np.prod(self.choices, dtype=np.float64)):
            raise SamplerConfigError(
                "strict fairness needs every combination of choices in the population "
                f"({self.population_size} of {int(np.prod(self.choices, dtype=np.float64))} present)"
            )
        self.paths_per_step = self.choices[0]
        self._row = {tuple(int(v) for v in row): i for i, row in enumerate(self.encodings)}

    def sample_paths(self, rng: np.random.Generator) -> list[int]:
        m, layers = self.paths_per_step, len(self.choices)
        perms = np.argsort(rng.random((layers, m)), axis=1)  # one permutation of the m choices per layer
        return [self._row[tuple(int(v) for v in perms[:, i])] for i in range(m)]

    def sample(self, rng: np.random.Generator) -> int:
        return self.sample_paths(rng)[0]
