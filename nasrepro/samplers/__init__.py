"""Sampler registry. A new sampler is one module plus one line here."""

from __future__ import annotations

from typing import Any

import numpy as np

from nasrepro.errors import ConfigError
from nasrepro.registry import resolve
from nasrepro.samplers.base import Sampler

SAMPLERS: dict[str, str] = {
    "uniform": "nasrepro.samplers.uniform:UniformSampler",
    "independent": "nasrepro.samplers.independent:IndependentSampler",
    "boltzmann": "nasrepro.samplers.boltzmann:BoltzmannSampler",
    "mcts": "nasrepro.samplers.mcts:MCTSSampler",
    "density": "nasrepro.samplers.density:DensitySampler",
    "fair": "nasrepro.samplers.fair:FairSampler",
    "iterative-mcts": "nasrepro.samplers.iterative_mcts:IterativeMCTSSampler",
}


def make_sampler(name: str, encodings: np.ndarray, choices: list[int], **options: Any) -> Sampler:
    cls = resolve(SAMPLERS, name, "sampler")
    try:
        return cls(encodings, choices, **options)
    except TypeError as exc:
        raise ConfigError(f"bad options for sampler {name!r}: {exc}") from None


__all__ = ["Sampler", "SAMPLERS", "make_sampler"]
