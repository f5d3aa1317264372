"""DARTS over feature-map resolutions: ResNet20 with multi-scale resolution blocks (thesis §2.3.4, Eq. 2.4,
Eq. 2.5, Fig. 2.6, Table 2.2, Fig. 2.7).

Every block after the fixed full-resolution stem sees the full-resolution map h and computes

    M(h) = sum_r w_{l,r} U_{2^r}( V( S_{2^r}(h), f_l ) ),     w_{l,r} = softmax_r(alpha_{l,r})   (2.4, 2.5)

with S max-pooling by 2^r (as the Pooling space downsamples), V the residual block f_l and U
nearest-neighbour upsampling back to full resolution (the seed names no upsampling operator:
assumption). Because nearest upsampling followed by max-pooling of the same factor is the identity, a
one-hot w runs exactly the discrete per-resolution path ``(r_1, ..., r_9)`` of ``pooling-resolution-all``
(``nasrepro.spaces.resolution``), upsampling paths included, and the derived architecture
(argmax_r alpha_{l,r} per layer, §2.3.4) is a path of that space, retrained stand-alone there.

Weight sharing (Table 2.2): ``shared`` uses one block f_l for every resolution ("Fully shared");
``same-init`` and ``random-init`` give each resolution its own copy of f_l ("Not shared"), initialised
identically or independently.

``parametrisation``: ``softmax`` keeps alpha as logits (DARTS, Eq. 2.5; updated by Adam); ``simplex``
keeps the weights w themselves on the simplex per layer, for GAEA's exponentiated-gradient update
(Li et al., 2020d), starting uniform.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from nasrepro.errors import ConfigError
from nasrepro.spaces.base import Arch, Supernet
from nasrepro.spaces.pooling import RESNET20, BasicBlock
from nasrepro.spaces.relaxed import (PARAMETRISATIONS,  # one list of the relaxations' parametrisations
                                     log_likelihood_per_decision, sample_per_decision)
from nasrepro.spaces.resolution import BLOCKS, RESOLUTIONS, ResolutionSupernet

SHARING = ("shared", "same-init", "random-init")


class MultiScaleSupernet(Supernet):
    """``forward(x)`` runs the relaxed network (Eq. 2.4); ``forward(x, arch)`` one discrete path."""

    def __init__(self, num_classes: int = 10, width: float = 1.0, sharing: str = "shared",
                 parametrisation: str = "softmax"):
        super().__init__()
        if sharing not in SHARING:
            raise ConfigError(f"differentiable.sharing must be one of {SHARING}, got {sharing!r}")
        if parametrisation not in PARAMETRISATIONS:
            raise ConfigError(f"differentiable parametrisation must be one of {PARAMETRISATIONS}, got {parametrisation!r}")
        self.sharing, self.parametrisation = sharing, parametrisation
        chans = RESNET20.layer_channels(width)
        self.stem = nn.Sequential(nn.Conv2d(3, chans[0], 3, padding=1, bias=False), nn.BatchNorm2d(chans[0]), nn.ReLU())
        copies = 1 if sharing == "shared" else RESOLUTIONS
        blocks = []
        for i in range(1, len(chans)):
            first = BasicBlock(chans[i - 1], chans[i])
            rest = [copy.deepcopy(first) if sharing == "same-init" else BasicBlock(chans[i - 1], chans[i])
                    for _ in range(copies - 1)]
            blocks.append(nn.ModuleList([first, *rest]))
        self.blocks = nn.ModuleList(blocks)
        self.classifier = nn.Linear(chans[-1], num_classes)
        init = torch.zeros(BLOCKS, RESOLUTIONS) if parametrisation == "softmax" else \
            torch.full((BLOCKS, RESOLUTIONS), 1.0 / RESOLUTIONS)
        self.alpha = nn.Parameter(init)

    def arch_parameters(self) -> list[nn.Parameter]:
        return [self.alpha]

    def weight_parameters(self) -> list[nn.Parameter]:
        return [p for name, p in self.named_parameters() if name != "alpha"]

    def arch_weights(self) -> torch.Tensor:
        """w_{l,r} [9, 3]: Eq. 2.5's softmax of alpha, or alpha itself on the simplex (GAEA)."""
        return torch.softmax(self.alpha, dim=-1) if self.parametrisation == "softmax" else self.alpha

    def block(self, layer: int, r: int) -> nn.Module:
        copies = self.blocks[layer]
        return copies[0] if len(copies) == 1 else copies[r]

    def forward(self, x: torch.Tensor, arch: Arch | None = None) -> torch.Tensor:
        h = self.stem(x)
        if arch is not None:  # a discrete path, exactly the per-resolution supernet's computation
            return self._discrete(h, x.shape[-1], arch)
        w = self.arch_weights()
        size = h.shape[-1]
        for layer in range(BLOCKS):
            out = 0.0
            for r in range(RESOLUTIONS):
                z = nn.functional.max_pool2d(h, 2 ** r) if r else h
                z = self.block(layer, r)(z)
                if r:
                    z = nn.functional.interpolate(z, size=(size, size), mode="nearest")
                out = out + w[layer, r] * z
            h = out
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(h, 1), 1))

    def _discrete(self, h: torch.Tensor, size: int, arch: Arch) -> torch.Tensor:
        for layer, r in enumerate(arch):
            h = ResolutionSupernet.rescale(h, size >> int(r))
            h = self.block(layer, int(r))(h)
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(h, 1), 1))

    def derive(self) -> Arch:
        """The final architecture: the resolution with the largest alpha per layer (§2.3.4)."""
        return tuple(int(r) for r in self.alpha.detach().argmax(dim=-1).tolist())

    @staticmethod
    def sample_weights(w, rng) -> Arch:
        """A resolution per block drawn from [9, 3] weights."""
        return sample_per_decision(w, BLOCKS, rng)

    def log_likelihood(self, arch: Arch) -> float:
        """log of the product over blocks of the weight of ``arch``'s resolution (floored at 1e-12)."""
        return log_likelihood_per_decision(self.arch_weights().detach().double().cpu().numpy(), arch)
