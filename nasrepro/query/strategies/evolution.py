"""Regularised evolution (Real et al. 2019): ageing tournament selection with one-edit mutations.

Population 30 and tournament 10 are the settings of BANAT's RE baseline (seed 003 §4); ANASOD (seed 004)
quotes RE from automl/nas_benchmarks without its settings, so the same values serve it (assumption).
"""

from __future__ import annotations

from collections import deque

import numpy as np


class RegularizedEvolution:
    family = "evolution"
    summary = "regularised evolution (ageing tournament, one-edit mutation)"

    def __init__(self, space, rng: np.random.Generator, population: int = 30, sample: int = 10):
        if not 1 <= int(sample) <= int(population):
            raise ValueError(f"regularised evolution needs 1 <= sample <= population, got {sample}, {population}")
        self.space, self.rng = space, rng
        self.population, self.sample = int(population), int(sample)

    # What a member is, how one is drawn and mutated and how it is scored: cells of the space here,
    # grammar terms in ``strategies.grammar.GrammarEvolution``; the loop below is shared.
    def draw(self):
        return self.space.random(self.rng)

    def mutate(self, member):
        return self.space.mutate(member, self.rng)

    def score(self, oracle, member) -> float:
        return oracle(member)

    def run(self, oracle) -> None:
        pop: deque = deque()
        while len(pop) < self.population:
            member = self.draw()
            pop.append((member, self.score(oracle, member)))
        while True:
            picks = self.rng.choice(len(pop), size=self.sample, replace=False)
            parent = min((pop[i] for i in picks), key=lambda t: t[1])[0]
            child = self.mutate(parent)
            pop.append((child, self.score(oracle, child)))
            pop.popleft()  # the oldest dies, not the worst
