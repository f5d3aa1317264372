"""Importance sampling with independent nodes (paper §3, thesis §3.3.2; "Nodes sampled independently").

Every decision ``d`` of the encoding is treated as an independent variable: the sampler keeps one
EMA-smoothed reward per (decision, option) node, ``ε_{d,o} <- β ε_{d,o} + (1 - β) r`` (Eq. 4 applied to
the node; every decision of the trained architecture is updated with the same reward), and each decision
follows a Boltzmann distribution over its options with the annealed temperature,
``p_d(o) = softmax_o(ε_{d,o} / T)``. An architecture's probability is the product
``p(a) = p_1(a_1) p_2(a_2) ... p_D(a_D)``.

When the population is not the full product of the options (e.g. Pooling: 36 of the 2^9 flag vectors,
exactly two pools), the product is renormalised over the valid population: ``p(a) ∝ Π_d p_d(a_d)`` for
``a`` in the population. For a full product the decisions are drawn one by one (O(D) per sample); otherwise
one vectorised O(N·D) pass scores the population.

Options without a reward yet get the mean estimate of the visited options of the same decision (all
options equal before any reward, so the start is uniform). ``ema_init`` is as in ``boltzmann``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nasrepro.samplers.schedules import (
    AnnealedSampler,
    SamplerConfigError,
    ema,
    boltzmann_choice,
    from_state,
    to_state,
)


class IndependentSampler(AnnealedSampler):
    name = "independent"
    summary = "each decision (node) sampled independently"
    phase_plan = "sample"

    def __init__(
        self,
        encodings: np.ndarray,
        choices: list[int],
        **annealing: Any,
    ):
        super().__init__(encodings, choices, **annealing)
        enc = self.encodings
        ch = np.asarray(self.choices, dtype=np.int64)
        if enc.shape[1] != ch.size or ch.size == 0 or np.any(ch < 1):
            raise SamplerConfigError("choices must give the number of options (>= 1) of every encoding column")
        if np.any(enc < 0) or np.any(enc >= ch[None, :]):
            raise SamplerConfigError("encodings hold options outside 0..choices-1")
        d, k = ch.size, int(ch.max())
        self._d, self._k = d, k
        self._valid = np.arange(k)[None, :] < ch[:, None]
        self._rows = np.arange(d)
        self._flat = enc + (np.arange(d) * k)[None, :]  # index of (decision, option) in the flat [D*K]
        self.eps = np.zeros((d, k), dtype=np.float64)
        self.visits = np.zeros((d, k), dtype=np.int64)
        self.has = np.zeros((d, k), dtype=bool) if self.ema_init == "first" else self._valid.copy()

        # full product: draw decisions independently and look the index up
        total = float(np.prod(ch.astype(np.float64)))
        self._full = False
        if total == self.population_size:
            radix = np.ones(d, dtype=np.int64)
            for j in range(d - 2, -1, -1):
                radix[j] = radix[j + 1] * ch[j + 1]
            codes = enc @ radix
            if np.unique(codes).size == self.population_size:
                self._radix = radix
                self._code_to_index = np.empty(self.population_size, dtype=np.int64)
                self._code_to_index[codes] = np.arange(self.population_size)
                self._full = True

    @property
    def full_product(self) -> bool:
        return self._full

    # ------------------------------------------------------------------ estimates
    def node_values(self) -> np.ndarray:
        """[D, K] per-node estimates, unvisited options filled with their decision's mean, -inf if invalid."""
        has = self.has
        cnt = has.sum(1)
        sums = np.where(has, self.eps, 0.0).sum(1)
        fill = np.where(cnt > 0, sums / np.maximum(cnt, 1), 0.0)
        vals = np.where(has, self.eps, fill[:, None])
        return np.where(self._valid, vals, -np.inf)

    def log_marginals(self) -> np.ndarray:
        """[D, K] log p_d(o): row-wise log-softmax of the node values at the current temperature."""
        z = self.node_values() * (1.0 / self.temperature())
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def marginals(self) -> np.ndarray:
        return np.exp(self.log_marginals())

    def probabilities(self) -> np.ndarray:
        score = self.log_marginals().ravel()[self._flat].sum(axis=1)
        w = np.exp(score - score.max())
        return w / w.sum()

    # ------------------------------------------------------------------ sampling
    def sample(self, rng: np.random.Generator) -> int:
        if self._full:
            z = self.node_values() * (1.0 / self.temperature())
            w = np.exp(z - z.max(axis=1, keepdims=True))
            c = np.cumsum(w, axis=1)
            u = rng.random(self._d) * c[:, -1]
            opt = (c <= u[:, None]).sum(axis=1)
            opt = np.minimum(opt, np.asarray(self.choices) - 1)
            return int(self._code_to_index[int(opt @ self._radix)])
        score = self.log_marginals().ravel()[self._flat].sum(axis=1)
        return boltzmann_choice(score, 1.0, rng.random())

    def update(self, index: int, reward: float) -> None:
        opts = self.encodings[int(index)]
        r = float(reward)
        old = self.eps[self._rows, opts]
        self.eps[self._rows, opts] = ema(old, r, self.beta, self.has[self._rows, opts])
        self.has[self._rows, opts] = True
        self.visits[self._rows, opts] += 1

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state.update(
            {
                "beta": self.beta,
                "ema_init": self.ema_init,
                "eps": to_state(self.eps),
                "visits": to_state(self.visits),
                "has": to_state(self.has),
            }
        )
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        eps = from_state(state["eps"], np.float64)
        if eps.shape != self.eps.shape:
            raise SamplerConfigError(f"state holds node statistics of shape {eps.shape}, expected {self.eps.shape}")
        self.beta = float(state["beta"])
        self.ema_init = str(state["ema_init"])
        self.eps = eps
        self.visits = from_state(state["visits"], np.int64)
        self.has = from_state(state["has"], bool)
