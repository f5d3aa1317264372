"""Random search in cell space (the baseline) and in ANASOD encoding space (seed 004 §3.2).

* ``RandomSearch``: every cell uniformly.
* ``AnasodRandomSearch``: p~ ~ Dir(1, ..., 1), then one cell decoded from it.
* ``AnasodBiasedRandomSearch`` (Eq. 3): p~_{t+1} ~ Dir(k beta_t p~* + 1), p~* the encoding of the best cell
  so far, beta_t = t beta_max / T linear up to beta_max = 2 at the last query (App. A, "Algorithm Setup").
"""

from __future__ import annotations

import numpy as np

from nasrepro.query import anasod


class RandomSearch:
    family = "rs"
    summary = "uniform random cells"

    def __init__(self, space, rng: np.random.Generator):
        self.space, self.rng = space, rng

    def run(self, oracle) -> None:
        while True:
            oracle(self.space.random(self.rng))


class AnasodRandomSearch:
    family = "rs"
    summary = "ANASOD encodings from Dir(1), one cell decoded from each"

    def __init__(self, space, rng: np.random.Generator, decoder: str = "shuffle"):
        self.space, self.rng, self.decoder = space, rng, decoder
        anasod.decode(np.ones(space.k) / space.k, space.n, np.random.default_rng(0), decoder)  # checks the name

    def alpha(self, oracle) -> np.ndarray:
        return np.ones(self.space.k)

    def run(self, oracle) -> None:
        while True:
            p = self.rng.dirichlet(self.alpha(oracle))
            oracle(anasod.decode(p, self.space.n, self.rng, self.decoder))


class AnasodBiasedRandomSearch(AnasodRandomSearch):
    summary = "ANASOD encodings from the Dirichlet biased to the best encoding (Eq. 3), beta linear to beta_max"

    def __init__(self, space, rng: np.random.Generator, decoder: str = "shuffle", beta_max: float = 2.0):
        super().__init__(space, rng, decoder)
        self.beta_max = float(beta_max)

    def alpha(self, oracle) -> np.ndarray:
        best, _ = oracle.best()
        if best is None:
            return np.ones(self.space.k)
        # t beta_max / T for the t-th query (t = 1..T), so the last query uses beta_max
        beta = min(oracle.spent + 1, oracle.budget) * self.beta_max / oracle.budget
        return anasod.biased_dirichlet(anasod.encode(best, self.space.k), beta)
