"""Temperature schedules and the shared base of the temperature-annealed samplers.

A schedule maps the sampler's progress ``p`` in [0, 1] (``Sampler.set_progress``) to a temperature:

* ``constant``:    ``T(p) = t_start`` (``t_end`` ignored);
* ``linear``:      ``T(p) = t_start + (t_end - t_start) * p``;
* ``exponential``: ``T(p) = t_start * (t_end / t_start) ** p`` (geometric interpolation);
* ``inverse_linear``: the inverse temperature ``1/T`` runs linearly from ``1/t_start`` to ``1/t_end``
  (BSE, thesis Eq. 2.6: "we increase tau from 1 linearly", tau = 1/T).

Paper settings (seed 000 Appendix B, thesis Appendix I.1; Table 11 compares the three shapes):
Pooling uses linear annealing 0.02 -> 0.0025; NAS-Bench-Macro "T linearly annealing from 0.01" -- the
end value is not printed in either seed. ``PAPER_SCHEDULES["nas-bench-macro"]`` assumes the Pooling end
value 0.0025 (flagged as an assumption). Temperatures apply to rewards that are accuracies in [0, 1].

``AnnealedSampler`` holds what the Boltzmann, Independent and MCTS samplers share, with the one
default of each option: the schedule, Eq. 4's smoothing ``beta`` (``ema`` is the one implementation of
that update), and helpers to put numpy state into ``torch.load(weights_only=True)``-safe dicts. The
uniform "MCTS warm-up" is not a sampler mode: the trainer's ``explore`` phase draws uniformly and still
feeds the rewards to ``update`` (``nasrepro.samplers.phases``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nasrepro.errors import ConfigError
from nasrepro.samplers.base import Sampler

SCHEDULES = ("constant", "linear", "exponential", "inverse_linear")

PAPER_SCHEDULES: dict[str, dict[str, Any]] = {
    "pooling": {"schedule": "linear", "t_start": 0.02, "t_end": 0.0025},
    # seeds: "T linearly annealing from 0.01"; the end value is our assumption (Pooling's end value)
    "nas-bench-macro": {"schedule": "linear", "t_start": 0.01, "t_end": 0.0025},
}


class SamplerConfigError(ConfigError, ValueError):
    """Invalid sampler or schedule setting (a ``ConfigError`` for the CLI, a ``ValueError`` for callers)."""


class TemperatureSchedule:
    """Callable ``progress -> temperature``; see the module docstring for the shapes."""

    def __init__(self, name: str = "linear", t_start: float = 0.02, t_end: float = 0.0025):
        if name not in SCHEDULES:
            raise SamplerConfigError(f"unknown temperature schedule {name!r}; known: {', '.join(SCHEDULES)}")
        t_start, t_end = float(t_start), float(t_end)
        if not (math.isfinite(t_start) and t_start > 0):
            raise SamplerConfigError(f"t_start must be a positive temperature, got {t_start}")
        if name != "constant" and not (math.isfinite(t_end) and t_end > 0):
            raise SamplerConfigError(f"t_end must be a positive temperature, got {t_end}")
        self.name, self.t_start, self.t_end = name, t_start, t_end

    def __call__(self, progress: float) -> float:
        p = min(max(float(progress), 0.0), 1.0)
        if self.name == "constant":
            return self.t_start
        if self.name == "linear":
            if p >= 1.0:
                return self.t_end
            return self.t_start + (self.t_end - self.t_start) * p
        if p >= 1.0:
            return self.t_end
        if self.name == "inverse_linear":
            return 1.0 / (1.0 / self.t_start + (1.0 / self.t_end - 1.0 / self.t_start) * p)
        return self.t_start * (self.t_end / self.t_start) ** p

    def __repr__(self) -> str:
        return f"TemperatureSchedule({self.name!r}, t_start={self.t_start}, t_end={self.t_end})"


def make_schedule(name: str, t_start: float, t_end: float) -> TemperatureSchedule:
    return TemperatureSchedule(name, t_start, t_end)


# ---------------------------------------------------------------------- state helpers
def to_state(arr: np.ndarray):
    """numpy array -> torch tensor (an independent copy), safe for ``torch.load(weights_only=True)``."""
    import torch

    return torch.from_numpy(np.ascontiguousarray(arr).copy())


def from_state(value: Any, dtype) -> np.ndarray:
    """Inverse of ``to_state``; also accepts lists and numpy arrays."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.array(value, dtype=dtype, copy=True)


def check_unit_interval(name: str, value: float, *, closed_right: bool = False) -> float:
    v = float(value)
    ok = 0.0 <= v <= 1.0 if closed_right else 0.0 <= v < 1.0
    if not ok:
        bound = "[0, 1]" if closed_right else "[0, 1)"
        raise SamplerConfigError(f"{name} must be in {bound}, got {value}")
    return v


EMA_INITS = ("first", "zero")


def ema(old, reward: float, beta: float, seeded):
    """Eq. 4, ``C <- beta C + (1 - beta) r``, elementwise; where ``seeded`` is False (no reward yet,
    ``ema_init="first"``) the estimate takes ``r``. ``old`` and ``seeded`` are scalars or arrays."""
    new = beta * old + (1.0 - beta) * reward
    if np.ndim(new) == 0:
        return new if seeded else reward
    return np.where(seeded, new, reward)


class AnnealedSampler(Sampler):
    """Base for samplers whose probabilities anneal with a temperature schedule (Eq. 2, App. B.1).

    Its constructor holds the defaults of the annealing options; the paper settings cite their
    values in ``config/config.yaml``."""

    guides_selection = True  # every subclass overrides probabilities with its learned estimate

    def __init__(
        self,
        encodings: np.ndarray,
        choices: list[int],
        schedule: str = "linear",
        t_start: float = 0.02,
        t_end: float = 0.0025,
        beta: float = 0.95,
        ema_init: str = "first",
    ):
        super().__init__(encodings, choices)
        if self.encodings.ndim != 2 or self.population_size == 0:
            raise SamplerConfigError("encodings must be a non-empty [N, D] integer array")
        self.schedule = make_schedule(schedule, t_start, t_end)
        # Eq. 4 smoothing, shared by every annealed sampler
        self.beta = check_unit_interval("beta", beta)
        if ema_init not in EMA_INITS:
            raise SamplerConfigError(f"ema_init must be one of {EMA_INITS}, got {ema_init!r}")
        self.ema_init = ema_init

    def temperature(self) -> float:
        return self.schedule(self.progress)

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state.update(
            {
                "sampler": self.name,
                "population": self.population_size,
                "schedule": self.schedule.name,
                "t_start": self.schedule.t_start,
                "t_end": self.schedule.t_end,
            }
        )
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("sampler", self.name) != self.name:
            raise SamplerConfigError(f"state of sampler {state.get('sampler')!r} cannot load into {self.name!r}")
        if int(state.get("population", self.population_size)) != self.population_size:
            raise SamplerConfigError(
                f"state holds {state.get('population')} architectures, this sampler {self.population_size}"
            )
        super().load_state_dict(state)
        if "schedule" in state:
            self.schedule = make_schedule(str(state["schedule"]), float(state["t_start"]), float(state["t_end"]))


_BLOCK = 256


def inverse_cdf(weights: np.ndarray, u: float) -> int:
    """Index drawn with probability ∝ ``weights`` (non-negative, positive sum) from one uniform ``u``.

    Two-level inverse CDF (block sums, then one block) so large populations avoid a full cumsum.
    """
    n = weights.size
    if n <= 4 * _BLOCK:
        c = np.cumsum(weights)
        return int(min(np.searchsorted(c, u * c[-1], side="right"), n - 1))
    starts = np.arange(0, n, _BLOCK)
    cb = np.cumsum(np.add.reduceat(weights, starts))
    thr = u * cb[-1]
    j = int(min(np.searchsorted(cb, thr, side="right"), starts.size - 1))
    prev = float(cb[j - 1]) if j > 0 else 0.0
    seg = weights[j * _BLOCK : (j + 1) * _BLOCK]
    k = int(np.searchsorted(np.cumsum(seg) + prev, thr, side="right"))
    return j * _BLOCK + min(k, seg.size - 1)


def boltzmann_choice(values: np.ndarray, temperature: float, u: float) -> int:
    """Index drawn from softmax(values / T) by inverse CDF with one uniform ``u`` in [0, 1)."""
    return inverse_cdf(np.exp((values - values.max()) * (1.0 / temperature)), u)


def softmax(values: np.ndarray, temperature: float) -> np.ndarray:
    w = np.exp((values - values.max()) * (1.0 / temperature))
    return w / w.sum()


__all__ = [
    "AnnealedSampler",
    "EMA_INITS",
    "PAPER_SCHEDULES",
    "SCHEDULES",
    "SamplerConfigError",
    "TemperatureSchedule",
    "ema",
    "make_schedule",
]
