"""Strict-fairness sampling (FairNAS, Chu et al. 2021), the "FairNas"/"Strict fairness" rows of thesis
Tables 5.1 and 5.3.

FairNAS "enforces strict fairness to ensure that at each window of training (e.g., one epoch), different
weights are updated the same number of times" (thesis §1, about line 373). Two readings, by space:

``"operations"`` (product spaces with the same number of choices at every decision, every combination
    present: NAS-Bench-201, 5 paths per step; NAS-Bench-Macro, 3). Every step trains ``m`` paths on the
    same mini-batch, where ``m`` is the number of choices per decision: an independent random
    permutation of the ``m`` choices is drawn for each decision and path ``i`` takes the ``i``-th entry
    of every permutation. So every candidate operation of every layer is trained exactly once per step;
    the trainer accumulates the ``m`` gradients and applies one update (FairNAS's own scheme).
``"architectures"`` (any other space, e.g. the Pooling space's 36 constrained flag settings, where every
    architecture uses the same weights and "operation" fairness is void). The seeds do not define
    fairness there, so (assumption, issue 14 item 7) every architecture is trained exactly once per
    window of N steps (N = population size, 36 on Pooling): each window is a fresh random permutation of
    the population, one path per step, at the cost of uniform sampling.

``mode="auto"`` (default) takes ``"operations"`` where it is defined and ``"architectures"`` otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nasrepro.samplers.base import Sampler
from nasrepro.samplers.schedules import SamplerConfigError, from_state, to_state

MODES = ("auto", "operations", "architectures")


class FairSampler(Sampler):
    name = "fair"
    summary = "strict fairness: every choice (or architecture) equally often per window"
    phase_plan = "sample"
    uses_reward = False
    guides_selection = False

    def __init__(self, encodings: np.ndarray, choices: list[int], mode: str = "auto"):
        super().__init__(encodings, choices)
        if mode not in MODES:
            raise SamplerConfigError(f"mode must be one of {MODES}, got {mode!r}")
        why = self._why_not_operations()
        if mode == "operations" and why:
            raise SamplerConfigError(f"strict fairness over operations {why}; use mode: architectures")
        self.mode = "operations" if mode == "operations" or (mode == "auto" and not why) else "architectures"
        if self.mode == "operations":
            self.paths_per_step = self.choices[0]
            self._row = {tuple(int(v) for v in row): i for i, row in enumerate(self.encodings)}
        self.window: np.ndarray | None = None  # "architectures": this window's permutation
        self.position = 0

    def _why_not_operations(self) -> str | None:
        if len(set(self.choices)) != 1:
            return f"needs the same number of choices at every decision, got {self.choices}"
        full = int(np.prod(self.choices, dtype=np.float64))
        if self.population_size != full:
            return f"needs every combination of choices in the population ({self.population_size} of {full} present)"
        return None

    def sample_paths(self, rng: np.random.Generator) -> list[int]:
        if self.mode == "architectures":
            if self.window is None or self.position >= len(self.window):
                self.window, self.position = rng.permutation(self.population_size), 0
            self.position += 1
            return [int(self.window[self.position - 1])]
        m, layers = self.paths_per_step, len(self.choices)
        perms = np.argsort(rng.random((layers, m)), axis=1)  # one permutation of the m choices per layer
        return [self._row[tuple(int(v) for v in perms[:, i])] for i in range(m)]

    def sample(self, rng: np.random.Generator) -> int:
        return self.sample_paths(rng)[0]

    def diagnostics(self, indices: np.ndarray) -> dict[str, Any]:
        return {"fairness": self.mode}

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state.update({"window": None if self.window is None else to_state(self.window), "position": self.position})
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.window = None if state.get("window") is None else from_state(state["window"], np.int64)
        self.position = int(state.get("position", 0))
