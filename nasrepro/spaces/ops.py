"""Blocks and architecture rules shared by more than one search space."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from nasrepro.spaces.base import Arch


def canonical_identities(arch: Sequence[int], stages: Sequence[int]) -> Arch:
    """Move the identities (op 0) after each stage's first layer to the end of that stage.

    Inside a stage such an identity only shortens the stage, so these architectures compute the same
    function; NAS-Bench-Macro and the MobileNet ImageNet space apply it with their own stage plans.
    """
    arch = tuple(int(a) for a in arch)
    out: list[int] = []
    start = 0
    for n in stages:
        stage = arch[start : start + n]
        rest = [a for a in stage[1:] if a != 0]
        out += [stage[0], *rest, *([0] * (n - 1 - len(rest)))]
        start += n
    return tuple(out)


class IdentityOp(nn.Module):
    """Identity; a 1x1 conv + BN where stride or channels change."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.downsample = (
            nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
            if stride != 1 or c_in != c_out
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.downsample is None else self.downsample(x)
