"""Training phases and the phase plans samplers declare.

A search run is a sequence of phases over its training iterations (thesis App. I.1: the MCTS methods
split them roughly 40/25/35 into uniform sampling / MCTS warm-up / MCTS sampling):

- ``uniform``: architectures drawn uniformly by the trainer; no reward is computed;
- ``explore``: drawn uniformly, but the reward is fed to the sampler so its statistics warm up;
- ``sample``: drawn from the sampler, which is updated with the reward every step.

A sampler class says which sequence it needs with ``phase_plan`` (one of ``PHASE_PLANS``); the search
job turns that plan and the setting's ``search`` section into phases with ``plan_phases``. This is the
one place that knows the plans, so no code outside a sampler switches on sampler names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from nasrepro.errors import ConfigError

PHASE_MODES = ("uniform", "explore", "sample")

# Default ``search.phases`` of the "mcts" plan: the separate warm-up run is the 40 % uniform part
# (thesis App. I.1), so inside the search: 0 uniform / 0.25 explore / 0.35 sample, renormalised.
MCTS_PHASES = (0.0, 0.25, 0.35)

PHASE_PLANS = {
    "uniform": "the sampler is never consulted: every step draws uniformly (SPOS)",
    "sample": "the sampler draws every step",
    "mcts": "search.phases = [uniform, explore, sample] fractions (MCTS warm-up, thesis App. I.1)",
    "warmup": "search.warmup_fraction uniform steps, then the sampler (Algs. 4.1, 5.1, 5.2)",
}


@dataclass(frozen=True)
class Phase:
    mode: str
    fraction: float

    def __post_init__(self) -> None:
        if self.mode not in PHASE_MODES:
            raise ConfigError(f"phase mode {self.mode!r} unknown; use one of {PHASE_MODES}")


def plan_phases(plan: str, search: Mapping) -> list[Phase]:
    """Phases of a sampler's ``phase_plan`` under a setting's ``search`` section."""
    if plan == "uniform":
        return [Phase("uniform", 1.0)]
    if plan == "sample":
        return [Phase("sample", 1.0)]
    if plan == "mcts":
        u, w, s = search.get("phases", MCTS_PHASES)
        return [Phase("uniform", u), Phase("explore", w), Phase("sample", s)]
    if plan == "warmup":
        warm = float(search.get("warmup_fraction", 0.0))
        return ([Phase("uniform", warm)] if warm > 0 else []) + [Phase("sample", 1.0 - warm)]
    raise ConfigError(f"phase plan {plan!r} unknown; use one of {sorted(PHASE_PLANS)}")


def phase_bounds(phases: Sequence[Phase], total_steps: int) -> list[tuple[Phase, int, int]]:
    """[start, end) iteration of each phase; fractions are normalised and the last phase ends at total."""
    total_frac = sum(p.fraction for p in phases)
    if total_frac <= 0:
        raise ConfigError("phase fractions must sum to a positive number")
    bounds, start, acc = [], 0, 0.0
    for i, p in enumerate(phases):
        acc += p.fraction / total_frac
        end = total_steps if i == len(phases) - 1 else int(round(acc * total_steps))
        bounds.append((p, start, end))
        start = end
    return bounds
