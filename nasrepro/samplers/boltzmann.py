"""Boltzmann sampling over whole architectures (joint probabilities; paper §3, thesis §3.3.3).

``p(a) ∝ exp(ε_a / T)`` over the population, with ``T`` annealed by the schedule (high -> almost
uniform, low -> almost categorical) and ``ε_a`` the reward of architecture ``a`` smoothed by the
exponential moving average of Eq. 4: ``ε_a <- β ε_a + (1 - β) r`` (β = 0.95 in the paper). Only the
sampled architecture's estimate changes per step, which is why the paper calls this estimator slow for
large populations (sampling rate 1/|S|).

Unvisited architectures: the seeds do not say how they are scored; they only ask that the start of
training be unbiased. By default (``unvisited="mean"``) an architecture without a reward yet is scored
with the mean estimate of the visited ones, i.e. neither favoured nor penalised (before any reward every
architecture is equally likely). ``"max"`` scores them optimistically (forces visiting everything
early) and a number scores them with that constant. With ``ema_init="first"`` (default) the first reward
initialises ``ε_a``; ``"zero"`` applies Eq. 4 literally from ``ε_a = 0``.

Per step: ``sample`` is O(N) vectorised numpy (one exp/cumsum over the population, one uniform draw);
``update`` is O(1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nasrepro.samplers.schedules import (
    AnnealedSampler,
    SamplerConfigError,
    boltzmann_choice,
    ema,
    from_state,
    softmax,
    to_state,
)


class BoltzmannSampler(AnnealedSampler):
    name = "boltzmann"
    summary = "joint sampling of architectures (softmax of their rewards)"
    phase_plan = "sample"

    def __init__(
        self,
        encodings: np.ndarray,
        choices: list[int],
        unvisited: str | float = "mean",
        **annealing: Any,
    ):
        super().__init__(encodings, choices, **annealing)
        if isinstance(unvisited, str) and unvisited not in ("mean", "max"):
            raise SamplerConfigError(f"unvisited must be 'mean', 'max' or a number, got {unvisited!r}")
        self.unvisited = unvisited if isinstance(unvisited, str) else float(unvisited)
        n = self.population_size
        self.eps = np.zeros(n, dtype=np.float64)
        self.visits = np.zeros(n, dtype=np.int64)
        self.has = np.zeros(n, dtype=bool) if self.ema_init == "first" else np.ones(n, dtype=bool)
        self._sum = 0.0  # sum of eps over has, maintained incrementally (stored in the state)
        self._count = int(self.has.sum())

    # ------------------------------------------------------------------ estimates
    def _fill_value(self) -> float:
        if not isinstance(self.unvisited, str):
            return self.unvisited
        if self._count == 0:
            return 0.0
        if self.unvisited == "mean":
            return self._sum / self._count
        return float(self.eps[self.has].max())

    def values(self) -> np.ndarray:
        """ε_a with unvisited architectures filled as configured."""
        if self._count == self.population_size:
            return self.eps
        return np.where(self.has, self.eps, self._fill_value())

    def probabilities(self) -> np.ndarray:
        return softmax(self.values(), self.temperature())

    # ------------------------------------------------------------------ sampling
    def sample(self, rng: np.random.Generator) -> int:
        return boltzmann_choice(self.values(), self.temperature(), rng.random())

    def update(self, index: int, reward: float) -> None:
        i = int(index)
        r = float(reward)
        old = float(self.eps[i])
        new = ema(old, r, self.beta, bool(self.has[i]))
        if self.has[i]:
            self._sum += new - old
        else:
            self.has[i] = True
            self._count += 1
            self._sum += new
        self.eps[i] = new
        self.visits[i] += 1

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state.update(
            {
                "beta": self.beta,
                "ema_init": self.ema_init,
                "unvisited": self.unvisited,
                "eps": to_state(self.eps),
                "visits": to_state(self.visits),
                "has": to_state(self.has),
                "sum": float(self._sum),
                "count": int(self._count),
            }
        )
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.beta = float(state["beta"])
        self.ema_init = str(state["ema_init"])
        u = state["unvisited"]
        self.unvisited = u if isinstance(u, str) else float(u)
        self.eps = from_state(state["eps"], np.float64)
        self.visits = from_state(state["visits"], np.int64)
        self.has = from_state(state["has"], bool)
        self._sum = float(state["sum"])
        self._count = int(state["count"])


class BSESampler(BoltzmannSampler):
    """Boltzmann Softmax Exploration (thesis Eq. 2.6, §2.3.4) as the supernet's sampler, thesis Table 2.3's
    "SBE": p(c) = softmax(tau a_c) with the inverse temperature tau linear from 1 to ``tau_end``, and a
    uniform warm-up of ``search.warmup_fraction`` (a method's ``search: {warmup_fraction: ...}``; "SBE + Unif.
    Smp."). The same distribution searches a trained supernet (``nasrepro.evaluation.bse``). The seed gives no
    end value: ``tau_end`` 400 (assumption: 1 / 0.0025, the paper's end temperature of Boltzmann sampling)."""

    name = "bse"
    summary = "Boltzmann softmax exploration (inverse temperature rising linearly from 1)"
    phase_plan = "warmup"

    def __init__(self, encodings: np.ndarray, choices: list[int], tau_end: float = 400.0, beta: float = 0.95):
        from nasrepro.evaluation.bse import TAU_START

        if not tau_end > TAU_START:
            raise SamplerConfigError(f"BSE tau_end must exceed the starting inverse temperature {TAU_START}, "
                                     f"got {tau_end}")
        super().__init__(encodings, choices, schedule="inverse_linear", t_start=1.0 / TAU_START,
                         t_end=1.0 / float(tau_end), beta=beta)
