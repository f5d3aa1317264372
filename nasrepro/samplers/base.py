"""The sampler interface used while training a supernet.

A sampler draws an index into a fixed population of architectures (its ``encodings``, one row per
architecture), receives a scalar reward for it after each step, and finally selects architectures.
All randomness comes from the ``numpy.random.Generator`` the caller passes in, so a run is fully
determined by its seed, and ``state_dict`` captures everything else needed to resume exactly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np


class Sampler(ABC):
    name: str = ""
    uses_reward: bool = True  # False: the trainer skips the validation reward forward
    guides_selection: bool = True  # False: probabilities say nothing about quality; select like uniform
    paths_per_step: int = 1

    def __init__(self, encodings: np.ndarray, choices: list[int]):
        self.encodings = np.asarray(encodings, dtype=np.int64)
        self.choices = [int(c) for c in choices]
        self.progress = 0.0

    @property
    def population_size(self) -> int:
        return int(self.encodings.shape[0])

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> int:
        """Index (row of ``encodings``) of the architecture to train next."""

    def bind(self, trainer: Any) -> None:
        """Called once by the supernet trainer. Samplers that look at the supernet itself (density
        estimates, re-ranking) take the trainer's measurement methods here; the default needs none."""

    def sample_paths(self, rng: np.random.Generator) -> list[int]:
        """Indices trained on the same mini-batch with one accumulated update (FairNAS: m paths)."""
        return [self.sample(rng)]

    def update(self, index: int, reward: float) -> None:
        """Feed back the reward of the architecture just trained. Stateless samplers ignore it."""

    def set_progress(self, fraction: float) -> None:
        """Fraction of the sampler's phase done, in [0, 1]; drives temperature schedules."""
        self.progress = float(min(max(fraction, 0.0), 1.0))

    def probabilities(self) -> np.ndarray:
        """p(a) over the population (used for reporting and for the max-probability selection)."""
        return np.full(self.population_size, 1.0 / self.population_size)

    def select(self, k: int, rng: np.random.Generator) -> list[int]:
        """Final candidates: ``k`` indices, best guess first. Default: the k most probable."""
        p = self.probabilities()
        order = np.lexsort((np.arange(p.size), -p))
        return [int(i) for i in order[:k]]

    def state_dict(self) -> dict[str, Any]:
        return {"progress": self.progress}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.progress = float(state["progress"])
