"""M weight sets over one search space: the supernet of a balanced mixture (thesis §2.2.2, Fig. 2.4).

A sampler with ``weight_sets`` = M > 1 (``nasrepro.samplers.mixture``) trains the M * N (weight set,
architecture) pairs. Their paths are the architecture tuples with the weight set in front,
``(m, *arch)``, in the order m * N + i, and ``MixtureSupernet`` runs path ``(m, *arch)`` through
member m. The members are built one after another from the same seed, so member 0 starts with the
weights the single supernet of the same seed starts with, and the others are independent
initialisations ("M independent supernet models or weight sets", §2.2.2).

After training, ``routed`` gives the network the evaluation scores: every architecture through the
weight set the sampler assigns it (argmax_m p(m|c)), so ranking, final selection and BSE see an
ordinary supernet over the N architectures.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from nasrepro.spaces.base import Arch, Supernet


def joint_archs(archs: Sequence[Arch], weight_sets: int) -> list[Arch]:
    """The trainer's paths: the architectures themselves for one weight set, else every
    ``(m, *arch)`` in the order m * N + i."""
    if weight_sets == 1:
        return [tuple(a) for a in archs]
    return [(m, *a) for m in range(weight_sets) for a in archs]


def joint_label(format_arch: Callable[[Arch], str], archs: Sequence[Arch], weight_sets: int) -> Callable[[int], str]:
    """Label of trainer path ``index`` (visit logs): the architecture, with ``@m`` for its weight set."""
    n = len(archs)
    if weight_sets == 1:
        return lambda index: format_arch(archs[index])
    return lambda index: f"{format_arch(archs[index % n])}@{index // n}"


def fold_visits(visits: np.ndarray, n: int) -> np.ndarray:
    """Paths trained per architecture, summed over the weight sets of a joint visit count [M * N]."""
    return np.asarray(visits).reshape(-1, n).sum(axis=0)


class MixtureSupernet(Supernet):
    """Member ``arch[0]`` runs the path ``arch[1:]``."""

    def __init__(self, members: Sequence[Supernet]):
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor, arch: Arch) -> torch.Tensor:
        return self.members[int(arch[0])](x, tuple(arch[1:]))

    def routed(self, archs: Sequence[Arch], weight_set_of: np.ndarray) -> "RoutedMixture":
        return RoutedMixture(self, {tuple(a): int(m) for a, m in zip(archs, weight_set_of)})


class RoutedMixture(Supernet):
    """Each architecture through its assigned member (evaluation after training)."""

    def __init__(self, mixture: MixtureSupernet, route: dict[Arch, int]):
        super().__init__()
        self.mixture = mixture
        self.route = route

    def forward(self, x: torch.Tensor, arch: Arch) -> torch.Tensor:
        arch = tuple(arch)
        try:
            member = self.route[arch]
        except KeyError:
            raise ValueError(f"{arch!r} has no weight set assigned in this mixture") from None
        return self.mixture.members[member](x, arch)


def build_mixture(make: Callable[[], Supernet], weight_sets: int) -> Supernet:
    """One supernet, or a ``MixtureSupernet`` of ``weight_sets`` independently initialised members."""
    if weight_sets == 1:
        return make()
    return MixtureSupernet([make() for _ in range(weight_sets)])


def evaluation_model(model: nn.Module, archs: Sequence[Arch], weight_set_of: np.ndarray) -> nn.Module:
    """The network that scores ``archs`` after training: ``model`` itself, or a mixture routed by
    ``weight_set_of``."""
    return model.routed(archs, weight_set_of) if isinstance(model, MixtureSupernet) else model
