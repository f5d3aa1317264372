"""Sampler registry. A new sampler is one module plus one line here, or a plug-in named in the config
as ``"package.module:Class"`` (``nasrepro.registry``). Every lookup checks the class's declarations
(``base.check_contract``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nasrepro.errors import ConfigError
from nasrepro.registry import resolve
from nasrepro.samplers.base import Sampler, accepted_options, check_contract

SAMPLERS: dict[str, str] = {
    "uniform": "nasrepro.samplers.uniform:UniformSampler",
    "independent": "nasrepro.samplers.independent:IndependentSampler",
    "boltzmann": "nasrepro.samplers.boltzmann:BoltzmannSampler",
    "bse": "nasrepro.samplers.boltzmann:BSESampler",
    "mcts": "nasrepro.samplers.mcts:MCTSSampler",
    "density": "nasrepro.samplers.density:DensitySampler",
    "fair": "nasrepro.samplers.fair:FairSampler",
    "iterative-mcts": "nasrepro.samplers.iterative_mcts:IterativeMCTSSampler",
    "balanced-mixture": "nasrepro.samplers.mixture:BalancedMixtureSampler",
    "pada": "nasrepro.samplers.pada:PadaSampler",
}


def sampler_class(name: str) -> type[Sampler]:
    """The class behind a registered name or plug-in, after its contract is checked."""
    return check_contract(resolve(SAMPLERS, name, "sampler"), name)


def make_sampler(name: str, encodings: np.ndarray, choices: list[int], **options: Any) -> Sampler:
    cls = sampler_class(name)
    try:
        return cls(encodings, choices, **options)
    except TypeError as exc:
        raise ConfigError(f"bad options for sampler {name!r}: {exc}") from None


__all__ = ["Sampler", "SAMPLERS", "accepted_options", "make_sampler", "sampler_class"]
