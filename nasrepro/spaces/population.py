"""The architectures a run trains and ranks, and what a found network costs."""

from __future__ import annotations

import functools

from nasrepro.spaces import get_space
from nasrepro.spaces.base import Arch, SearchSpace


def population(scfg: dict, space: SearchSpace) -> list[Arch]:
    """The architectures a setting names (``population_archs``), the whole space, or, for a space too large to enumerate (ImageNet MobileNet, 13^21), the
    FLOPs-budget population of the section (``budget_mmacs``, ``population_size``):
    ``spaces.budget.budget_population`` with seed 0, so every method, seed and job of a setting shares
    one population."""
    if scfg.get("population_archs"):  # a setting over a few named architectures (thesis Fig. 2.3)
        return [space.parse(a) for a in scfg["population_archs"]]
    if "budget_mmacs" not in scfg:
        return space.enumerate()
    return _budget_population(space.name, float(scfg["budget_mmacs"]), int(scfg.get("population_size", 10_000)),
                              budget_low(scfg))


def budget_low(scfg: dict) -> float:
    """Lower end of a setting's MACs window, as a fraction of ``budget_mmacs`` (paper §5.4: 0.99)."""
    return float(scfg.get("budget_low", 0.99))


@functools.lru_cache(maxsize=4)
def _budget_population(space_name: str, mmacs: float, n: int, low: float = 0.99) -> list[Arch]:
    from nasrepro.spaces.budget import budget_population

    rows = budget_population(get_space(space_name), mmacs * 1e6, n=n, seed=0, low=low)
    return [tuple(int(v) for v in row) for row in rows]


def random_feasible(scfg: dict, space: SearchSpace, n: int) -> list[Arch]:
    """``n`` distinct uniform draws from the setting's MACs window (seed 0: every job sees the same ones), the
    networks of thesis Table 5.5's Random search ("randomly select ten architectures")."""
    if "budget_mmacs" not in scfg:
        from nasrepro.errors import ConfigError

        raise ConfigError("standalone_random draws from a budget window: give the setting budget_mmacs")
    return _budget_population(space.name, float(scfg["budget_mmacs"]), int(n), budget_low(scfg))


def section_supernet(space: SearchSpace, num_classes: int, scfg: dict):
    """The supernet of a setting: its width, plus the ``network`` options of its space's ``build_supernet``
    (checked when the config is resolved, ``config.check_network_options``)."""
    return space.build_supernet(num_classes, scfg["width"], **(scfg.get("network") or {}))


def network_cost(scfg: dict, space: SearchSpace, arch: Arch) -> dict:
    """MACs and parameters (millions) of a found network at paper scale (width 1, the space's input
    size), for settings searched under a FLOPs budget; empty for the others."""
    if "budget_mmacs" not in scfg:
        return {}
    from nasrepro.spaces.budget import estimate_macs, estimate_params

    table = space.cost_table()
    return {"macs_m": float(estimate_macs(table, [arch])[0]) / 1e6,
            "params_m": float(estimate_params(table, [arch])[0]) / 1e6}


def search_candidates(scfg: dict, space: SearchSpace):
    """What a search over the whole space (not only the population) may propose for a setting: uniform draws
    from its MACs window and the window test where it has a budget, else uniform draws from the space
    (``nasrepro.evaluation.ea_shift``)."""
    from nasrepro.evaluation.ea_shift import Candidates

    choices = space.choices_per_decision()
    if "budget_mmacs" not in scfg:  # an enumerable space: its members, drawn uniformly
        members = [tuple(a) for a in space.enumerate()]
        known = set(members)
        return Candidates(draw=lambda rng: members[int(rng.integers(len(members)))], feasible=known.__contains__,
                          choices=choices, canonical=space.aliases)
    from nasrepro.spaces.budget import estimate_macs, sample_within_budget

    table, budget, low = space.cost_table(), float(scfg["budget_mmacs"]) * 1e6, budget_low(scfg)

    def feasible(arch) -> bool:
        return bool(low * budget <= float(estimate_macs(table, [arch])[0]) <= budget)

    return Candidates(draw=lambda rng: sample_within_budget(space, rng, budget, low, 1, table=table)[0],
                      feasible=feasible, choices=choices, canonical=space.aliases)
