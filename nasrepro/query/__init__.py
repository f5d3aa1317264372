"""Query-based (black-box) NAS: a strategy proposes cells, a budgeted oracle answers with their benchmark
value, and a trial logs every query (``nasrepro.query.trial``).

A strategy is a class with ``family`` (which budget of the setting applies: rs, ls, bo, evolution, tpe),
``summary`` (one line for tables) and ``run(oracle)``, constructed as ``Class(space, rng, **options)``.
A new one is one module plus one line in ``STRATEGIES``, or a plug-in named ``"package.module:Class"``.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from nasrepro.errors import ConfigError
from nasrepro.registry import resolve

STRATEGIES: dict[str, str] = {
    "random": "nasrepro.query.strategies.random:RandomSearch",
    "anasod-rs": "nasrepro.query.strategies.random:AnasodRandomSearch",
    "anasod-biased-rs": "nasrepro.query.strategies.random:AnasodBiasedRandomSearch",
    "local-search": "nasrepro.query.strategies.local:LocalSearch",
    "anasod-ls": "nasrepro.query.strategies.local:AnasodLocalSearch",
    "regularized-evolution": "nasrepro.query.strategies.evolution:RegularizedEvolution",
    "tpe": "nasrepro.query.strategies.tpe:OptunaTPE",
    "bo": "nasrepro.query.strategies.bo:BayesianOptimisation",
    "grammar-rs": "nasrepro.query.strategies.grammar:GrammarRandomSearch",
    "grammar-re": "nasrepro.query.strategies.grammar:GrammarEvolution",
    "banat": "nasrepro.query.strategies.grammar:Banat",
}
FAMILIES = ("rs", "ls", "bo", "evolution", "tpe")


def strategy_class(name: str) -> type:
    cls = resolve(STRATEGIES, name, "query strategy")
    for attr in ("family", "summary", "run"):
        if not hasattr(cls, attr):
            raise ConfigError(f"query strategy {name!r} ({cls.__name__}) lacks {attr!r}: a strategy declares "
                              "family, summary and run(oracle)")
    if cls.family not in FAMILIES:
        raise ConfigError(f"query strategy {name!r}: family {cls.family!r} is not one of {', '.join(FAMILIES)}")
    return cls


def accepted_options(cls: type) -> list[str]:
    params = inspect.signature(cls.__init__).parameters
    return [p for p in params if p not in ("self", "space", "rng")]


def make_strategy(name: str, space: Any, rng: np.random.Generator, **options: Any):
    cls = strategy_class(name)
    unknown = sorted(set(options) - set(accepted_options(cls)))
    if unknown:
        raise ConfigError(f"query strategy {name!r} has no option {unknown[0]!r}; its options: "
                          f"{', '.join(accepted_options(cls)) or 'none'}")
    return cls(space, rng, **options)


__all__ = ["FAMILIES", "STRATEGIES", "accepted_options", "make_strategy", "strategy_class"]
