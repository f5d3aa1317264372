"""The search-space interface: every space enumerates (or samples) architectures and builds a supernet.

An architecture is a tuple of ints, one categorical decision per searchable position.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

import numpy as np
import torch
from torch import nn

Arch = tuple[int, ...]


class Supernet(nn.Module):
    """A weight-sharing network: ``forward(x, arch)`` runs the single path chosen by ``arch``."""

    def forward(self, x: torch.Tensor, arch: Arch) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def choice_parameters(self, decision: int, choice: int) -> list[nn.Parameter]:
        """The parameters that only candidate ``choice`` of ``decision`` owns, over every layer the decision
        sets (PA&DA's path importance reads their gradient norms, ``nasrepro.samplers.pada``). A space
        whose supernet does not map its decisions to candidate modules leaves this undefined."""
        raise NotImplementedError(f"{type(self).__name__} does not map decisions to candidate parameters")

    def prune_to(self, arch: Arch) -> None:
        """Drop the candidate modules that ``arch`` does not use (stand-alone training).

        Spaces whose candidates own parameters override this; the default keeps everything.
        """


class FixedArch(nn.Module):
    """A stand-alone network: a supernet with its path frozen, so it owns only the weights it uses."""

    def __init__(self, supernet: Supernet, arch: Arch):
        super().__init__()
        self.net = supernet
        self.arch = tuple(int(a) for a in arch)
        supernet.prune_to(self.arch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x, self.arch)


class SearchSpace(ABC):
    """Architectures, their names, and the supernet that contains them all."""

    name: str = ""
    # What the supernet's forward returns: "classification" logits [B, classes], or "segmentation" logits
    # [B, classes, H, W] at the input's resolution (the trellis space of thesis Table 4.5)
    task: str = "classification"
    # True: ``build_network(arch)`` is the supernet's path ``arch`` alone (weight-sharing one-shot spaces). False:
    # the stand-alone network is another, larger skeleton built from the architecture (DARTS's 20-cell evaluation
    # network searched with an 8-cell supernet, DARTS §3.3)
    network_is_subnet: bool = True
    # Whether the space's benchmark counts a linear layer's bias as a MAC (NAS-Bench-201's flops do), so
    # ``nasrepro arch`` prints the benchmark's own figure.
    macs_count_linear_bias: bool = False

    @abstractmethod
    def choices_per_decision(self) -> list[int]:
        """Number of options at each decision, e.g. [3]*8 for NAS-Bench-Macro."""

    @abstractmethod
    def enumerate(self) -> list[Arch]:
        """Every architecture, in the space's canonical order (the order of ``index``)."""

    @abstractmethod
    def format(self, arch: Arch) -> str:
        """Human-readable name used in tables and on the command line."""

    @abstractmethod
    def parse(self, text: str) -> Arch:
        """Inverse of ``format``; also accepts the space's other common spellings."""

    @abstractmethod
    def build_supernet(self, num_classes: int = 10, width: float = 1.0) -> Supernet:
        """A supernet containing every architecture of the space."""

    def build_relaxed(self, num_classes: int = 10, width: float = 1.0, **options) -> Supernet:
        """A differentiable (DARTS-style) relaxation of the space: ``forward(x)`` mixes every choice with
        architecture weights (``arch_parameters()``), ``forward(x, arch)`` runs one path and ``derive()``
        returns the path the weights choose (``nasrepro.training.bilevel``)."""
        from nasrepro.errors import ConfigError

        raise ConfigError(f"space {self.name!r} has no differentiable relaxation; the DARTS methods need one "
                          f"(pooling-resolution-all has it)")

    def edges(self) -> list[tuple[int, int]]:
        """A cell space's (source, destination) node pairs, one per decision (HEP-NAS splits by hierarchy)."""
        from nasrepro.errors import ConfigError

        raise ConfigError(f"space {self.name!r} has no cell edges to split; HEP-NAS runs on nb201")

    def describe_path(self, arch: Arch, input_size: int) -> dict:
        """Extra summary fields a differentiable search reports for its derived ``arch`` (default none)."""
        return {}

    def build_network(self, arch: Arch, num_classes: int = 10, width: float = 1.0) -> nn.Module:
        """A stand-alone network for ``arch`` with only the parameters of its path."""
        return FixedArch(self.build_supernet(num_classes, width), arch)

    def standalone_model(self, arch: Arch, num_classes: int = 10, width: float = 1.0, **network) -> nn.Module:
        """What a stand-alone training trains (``jobs.standalone``): a module with ``forward(x, arch)``; here the
        pruned supernet, which owns only the path's weights. ``network``: a setting's ``standalone.network``."""
        if network:
            from nasrepro.errors import ConfigError

            raise ConfigError(f"space {self.name!r} takes no standalone.network options, got {sorted(network)}")
        return self.build_network(arch, num_classes, width).net

    def size(self) -> int:
        return int(np.prod(self.choices_per_decision(), dtype=np.float64))

    def index(self, arch: Arch) -> int:
        """Position of ``arch`` in ``enumerate()``."""
        lookup = getattr(self, "_index_cache", None)
        if lookup is None:
            lookup = {a: i for i, a in enumerate(self.enumerate())}
            self._index_cache = lookup
        try:
            return lookup[tuple(arch)]
        except KeyError:
            raise ValueError(f"{arch!r} is not an architecture of space {self.name!r}") from None

    def cost_table(self, width: float = 1.0, resolution: int | None = None, num_classes: int | None = None):
        """Per-layer MACs / parameters (``spaces.budget.CostTable``) for FLOPs budgets, in a layer-wise
        space where each decision's cost does not depend on the others. None of the cell spaces has one."""
        raise NotImplementedError(f"space {self.name!r} has no per-layer cost table, so it cannot take a FLOPs "
                                  f"budget (budget_mmacs); only layer-wise spaces such as mobilenet-imagenet can")

    def display_index(self, arch: Arch) -> int:
        """1-based number of the architecture as the documents print it."""
        return self.index(arch) + 1

    def encodings(self, archs: Sequence[Arch] | None = None) -> np.ndarray:
        """Categorical encodings [N, D] (int64) of ``archs`` (default: the whole space)."""
        archs = self.enumerate() if archs is None else archs
        return np.asarray([tuple(a) for a in archs], dtype=np.int64)

    def vector_encodings(self, archs: Sequence[Arch] | None = None) -> np.ndarray:
        """Categorical "vector" representation used by the zero-cost encoding trees (paper Table 2)."""
        return self.encodings(archs)

    def tree_paths(self, archs: Sequence[Arch] | None = None) -> np.ndarray:
        """Decisions from root to leaf of the default layer-by-layer tree (Su et al. 2021a).

        By default one level per searchable layer, i.e. the categorical encoding itself.
        """
        return self.encodings(archs)

    def aliases(self, arch: Arch) -> Arch:
        """Canonical representative of architectures that compute the same function."""
        return tuple(arch)

    def supernet_key(self, arch: Arch) -> Arch:
        """Canonical member of the architectures that run *exactly* the same computation through the
        supernet's shared weights, so ranking can score each class once. Unlike ``aliases`` (the
        benchmark's notion of duplicates), this must be exact: the default is the architecture itself.
        """
        return tuple(arch)
