"""Optuna's TPE (Bergstra et al. 2011) over the cell's categorical choices: the TPE row of ANASOD Table 2,
run with Optuna's implementation (not the automl/nas_benchmarks one the seed quotes), and labelled so.
``n_init`` random start-up trials (seed 004 App. A: "initialised with 10 random samples")."""

from __future__ import annotations

import numpy as np


class OptunaTPE:
    family = "tpe"
    summary = "Optuna's TPE sampler over the categorical op choices"

    def __init__(self, space, rng: np.random.Generator, n_init: int = 10):
        self.space, self.rng, self.n_init = space, rng, int(n_init)

    def run(self, oracle) -> None:
        import optuna
        from optuna.distributions import CategoricalDistribution

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = optuna.samplers.TPESampler(seed=int(self.rng.integers(2**31 - 1)), n_startup_trials=self.n_init)
        study = optuna.create_study(direction="minimize", sampler=sampler)
        dist = {f"e{i}": CategoricalDistribution(list(range(self.space.k))) for i in range(self.space.n)}
        while True:
            trial = study.ask(dist)
            arch = tuple(int(trial.params[f"e{i}"]) for i in range(self.space.n))
            study.tell(trial, oracle(arch))
