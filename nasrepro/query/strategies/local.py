"""Local search (White et al. 2020; seed 004 App. A/B) and ANASOD-LS (seed 004 Alg. 3).

* ``LocalSearch``: start from the best of ``n_init`` random cells; query every neighbour (edit distance 1)
  of the best cell so far and move to the best of them while it improves; at a local optimum restart from
  new random cells while budget remains (App. A: "terminates (and restarts again if there is still unused
  budget)").
* ``AnasodLocalSearch``: the same walk first on the ANASOD grid (a grid point is scored by one cell decoded
  from it, Alg. 3 line 3; a point keeps its first score), then, at the encoding optimum, one cell sampled
  from the best encoding starts the walk in cell space (lines 8-15). Restarts repeat the whole of Alg. 3.

Both queries a neighbourhood in a random order, so which of two equal neighbours wins depends on the seed.
"""

from __future__ import annotations

import numpy as np

from nasrepro.query import anasod


class LocalSearch:
    family = "ls"
    summary = "local search in cell space (best of n_init, full neighbourhood, restarts)"

    def __init__(self, space, rng: np.random.Generator, n_init: int = 10):
        self.space, self.rng, self.n_init = space, rng, int(n_init)

    def climb(self, oracle, arch, value) -> tuple:
        """Best-neighbour ascent from ``arch`` to a local optimum in cell space."""
        while True:
            nbrs = self.space.neighbours(arch)
            scored = [(oracle(nbrs[i]), nbrs[i]) for i in self.rng.permutation(len(nbrs))]
            best_value, best_arch = min(scored, key=lambda t: t[0])
            if best_value >= value:
                return arch, value
            arch, value = best_arch, best_value

    def start(self, oracle) -> tuple:
        scored = [(oracle(a), a) for a in (self.space.random(self.rng) for _ in range(self.n_init))]
        value, arch = min(scored, key=lambda t: t[0])
        return arch, value

    def run(self, oracle) -> None:
        while True:
            self.climb(oracle, *self.start(oracle))


class AnasodLocalSearch(LocalSearch):
    summary = "ANASOD-LS: local search on the encoding grid, then in cell space from the best encoding (Alg. 3)"

    def __init__(self, space, rng: np.random.Generator, n_init: int = 10):
        super().__init__(space, rng, n_init)

    def run(self, oracle) -> None:
        while True:
            score: dict[tuple, float] = {}  # grid point -> value of the one cell decoded from it

            def evaluate(p) -> float:
                key = tuple(int(v) for v in p)
                if key not in score:
                    score[key] = oracle(anasod.decode_shuffle(key, self.rng))
                return score[key]

            for _ in range(self.n_init):
                evaluate(anasod.round_to_grid(self.rng.dirichlet(np.ones(self.space.k)), self.space.n))
            p = min(score, key=score.get)
            while True:  # Alg. 3 lines 4-6, on the grid
                nbrs = anasod.grid_neighbours(p)
                scored = [(evaluate(nbrs[i]), tuple(nbrs[i])) for i in self.rng.permutation(len(nbrs))]
                best_value, best_p = min(scored, key=lambda t: t[0])
                if best_value >= score[p]:
                    break
                p = best_p
            best = min(score, key=score.get)
            arch = anasod.decode_shuffle(best, self.rng)  # line 9: a cell from the best encoding
            self.climb(oracle, arch, oracle(arch))
