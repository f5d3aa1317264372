"""What every DARTS-style relaxation of a space shares (NB201: ``nb201_mixed``; the DARTS cells: ``darts``): the
architecture weights ``alpha`` and the operation mask ``keep``, their checks, and the weights over the kept
operations. A subclass supplies the mixed forward pass and the discretisation (``derive``, ``sample``).

``parametrisation``: ``softmax`` keeps logits (DARTS, updated by Adam); ``simplex`` keeps the weights on the
simplex (``training.bilevel``'s exponentiated-gradient step, GAEA). ``alpha`` has the mask's shape for one
categorical per edge, or a shape of ones over all but the last axis for one shared categorical (ANASOD-DNAS).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from nasrepro.errors import ConfigError
from nasrepro.spaces.base import Arch, Supernet

CATEGORICALS = ("per-edge", "shared")
PARAMETRISATIONS = ("softmax", "simplex")


def sample_per_decision(w: np.ndarray, decisions: int, rng: np.random.Generator) -> Arch:
    """One choice per decision drawn from weights [decisions, choices] (a shared [choices] row broadcasts)."""
    w = np.broadcast_to(np.asarray(w, dtype=np.float64), (decisions, np.shape(w)[-1]))
    return tuple(int(rng.choice(w.shape[1], p=row / row.sum())) for row in w)


def log_likelihood_per_decision(w: np.ndarray, arch: Arch) -> float:
    """log of the product over decisions of the weight of ``arch``'s choice (floored at 1e-12)."""
    w = np.broadcast_to(np.asarray(w, dtype=np.float64), (len(arch), np.shape(w)[-1]))
    return float(np.log(np.maximum(w[np.arange(len(arch)), list(arch)], 1e-12)).sum())


class RelaxedSupernet(Supernet):
    """``net`` (a single-path supernet) plus architecture weights over a mask of shape ``mask_shape`` (the last
    axis: the operations)."""

    def __init__(self, net: nn.Module, mask_shape: tuple[int, ...], categorical: str = "per-edge",
                 parametrisation: str = "softmax"):
        super().__init__()
        if categorical not in CATEGORICALS:
            raise ConfigError(f"differentiable.categorical must be one of {CATEGORICALS}, got {categorical!r}")
        if parametrisation not in PARAMETRISATIONS:
            raise ConfigError(f"parametrisation must be one of {PARAMETRISATIONS}, got {parametrisation!r}")
        self.net, self.categorical, self.parametrisation = net, categorical, parametrisation
        self.mask_shape = tuple(mask_shape)
        shape = self.mask_shape if categorical == "per-edge" else (1,) * (len(mask_shape) - 1) + mask_shape[-1:]
        ops = self.mask_shape[-1]
        self.alpha = nn.Parameter(torch.zeros(shape) if parametrisation == "softmax" else torch.full(shape, 1.0 / ops))
        self.register_buffer("keep", torch.ones(self.mask_shape, dtype=torch.bool))

    def arch_parameters(self) -> list[nn.Parameter]:
        return [self.alpha]

    def weight_parameters(self) -> list[nn.Parameter]:
        return list(self.net.parameters())

    def set_mask(self, keep: torch.Tensor | np.ndarray) -> None:
        """Keep only the operations ``keep`` marks; every edge must keep at least one."""
        keep = torch.as_tensor(np.asarray(keep), dtype=torch.bool, device=self.keep.device)
        if tuple(keep.shape) != self.mask_shape or not bool(keep.any(dim=-1).all()):
            raise ValueError(f"an operation mask is {list(self.mask_shape)} booleans with one kept per edge")
        self.keep.copy_(keep)

    def arch_weights(self) -> torch.Tensor:
        """Per edge, the softmax of its (or the shared) logits, or the simplex weights, over the kept operations
        (masked ones 0), shaped like the mask."""
        a = self.alpha.expand(*self.mask_shape)
        if self.parametrisation == "softmax":
            return torch.softmax(a.masked_fill(~self.keep, float("-inf")), dim=-1)
        w = a * self.keep
        return w / w.sum(dim=-1, keepdim=True)

    @staticmethod
    def sample_weights(w: np.ndarray, rng: np.random.Generator) -> Arch:
        """An architecture drawn from weights shaped like the mask (the space's reading of a categorical draw)."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator) -> Arch:
        """An architecture drawn from the current weights (ANASOD-DNAS Alg. 1 line 7: no argmax)."""
        return self.sample_weights(self.arch_weights().detach().double().cpu().numpy(), rng)

    # ------------------------------------------------------------------ HEP-NAS's view of the mask
    def rows(self) -> torch.Tensor:
        """The mask as [rows, operations] (a view): one row per edge (NB201: the 6 edges; DARTS: the normal
        cell's 14 edges, then the reduction cell's). HEP-NAS splits rows 0..len(space.edges()) - 1."""
        return self.keep.view(-1, self.mask_shape[-1])

    def row_modules(self, row: int) -> list[nn.Module]:
        """The modules that compute row ``row``'s operations (gradient matching leaves their weights out)."""
        raise NotImplementedError(f"{type(self).__name__} does not name the modules of a mask row")

    def remaining_space(self) -> int:
        """How many architectures the mask still allows (HEP-NAS Fig. 3's remaining space size)."""
        raise NotImplementedError(f"{type(self).__name__} does not count the architectures its mask allows")

    def path(self, x: torch.Tensor, arch: Arch) -> torch.Tensor:
        """One path: the single-path supernet's own computation."""
        return self.net(x, arch)
