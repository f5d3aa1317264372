"""ResNet20 with its own weights per feature-map resolution (thesis §2.3.3, Table 2.2, SPOS "Not shared").

The Pooling space shares every block's weights across resolutions. Relaxing that, each of the 9 blocks
after the stem has one copy of its weights per resolution (32, 16 and 8 pixels on CIFAR-10), and an
architecture picks a resolution per block: 3^9 = 19,683 paths. Between two blocks the feature map is
max-pooled down (as in the Pooling space) or, on the paths that go back up, upsampled by nearest
neighbour (assumption: the seed names no upsampling operator for SPOS). The stem stays at full
resolution ("we manually select the highest resolution for the first layer", §2.3.4).

Two spaces, as Table 2.2's two "Not shared" SPOS rows:

- ``pooling-resolution``: only the 36 paths of the Pooling benchmark (resolution never rises, moves one
  step at a time, ends at 8 pixels; layers per resolution as in Table 2.1);
- ``pooling-resolution-all``: all 19,683, upsampling paths included ("to avoid that [bias], we also
  consider a case in which all 19,683 possible configurations are used").

An architecture is the 9 resolution indices (0 = 32 px). The 36 benchmark paths are named as in
Table 2.1 (``[4,3,3]``) and have its ground truth; the others are named by their indices
(``r000111222``) and have none, so the ranking covers the 36.
"""

from __future__ import annotations

import functools
import itertools
import re

import torch
from torch import nn

from nasrepro.spaces.base import Arch, SearchSpace, Supernet
from nasrepro.spaces.pooling import RESNET20, BasicBlock, PoolingSpace

RESOLUTIONS = 3  # 32, 16, 8 px: ResNet20's two poolings
BLOCKS = RESNET20.num_layers - 1  # 9 searched blocks after the fixed stem
_POOLING = PoolingSpace()


def flags_to_resolutions(flags: Arch) -> Arch:
    """Pooling flags (pool after layer j + 1) -> resolution index of each of the 9 blocks."""
    return tuple(itertools.accumulate(flags))


def resolutions_to_flags(res: Arch) -> Arch | None:
    """Inverse of ``flags_to_resolutions`` on the 36 benchmark paths; None for any other path."""
    return benchmark_paths().get(tuple(int(r) for r in res))


@functools.lru_cache(maxsize=1)
def benchmark_paths() -> dict[Arch, Arch]:
    """Resolution path -> pooling flags, for the 36 benchmark paths (ground truth of thesis Table 2.1)."""
    return {flags_to_resolutions(f): f for f in _POOLING.enumerate()}


@functools.lru_cache(maxsize=1)
def _all_paths() -> tuple[Arch, ...]:
    return tuple(itertools.product(range(RESOLUTIONS), repeat=BLOCKS))


class ResolutionSupernet(Supernet):
    """Block i at resolution r has weights ``blocks[i][r]``; the stem and the classifier are shared."""

    def __init__(self, num_classes: int = 10, width: float = 1.0):
        super().__init__()
        chans = RESNET20.layer_channels(width)
        self.stem = nn.Sequential(nn.Conv2d(3, chans[0], 3, padding=1, bias=False), nn.BatchNorm2d(chans[0]), nn.ReLU())
        self.blocks = nn.ModuleList([nn.ModuleList([BasicBlock(chans[i - 1], chans[i]) for _ in range(RESOLUTIONS)])
                                     for i in range(1, len(chans))])
        self.classifier = nn.Linear(chans[-1], num_classes)
        self._size = 0

    def forward(self, x: torch.Tensor, arch: Arch) -> torch.Tensor:
        h = self.begin(x)
        for j, r in enumerate(arch):
            h = self.advance(h, j, r)
        return self.end(h)

    # Prefix protocol (nasrepro.evaluation.prefix): decision j is block j's resolution.
    def begin(self, x: torch.Tensor) -> torch.Tensor:
        self._size = x.shape[-1]
        return self.stem(x)

    def advance(self, h: torch.Tensor, j: int, r: int) -> torch.Tensor:
        return self.blocks[j][int(r)](self.rescale(h, self._size >> int(r)))

    @staticmethod
    def rescale(h: torch.Tensor, target: int) -> torch.Tensor:
        """Max-pool down or nearest-neighbour up to ``target`` pixels (the multi-scale DARTS block
        resamples the same way, so its one-hot paths equal these)."""
        if h.shape[-1] > target:
            return nn.functional.max_pool2d(h, h.shape[-1] // target)
        if h.shape[-1] < target:
            return nn.functional.interpolate(h, scale_factor=target // h.shape[-1], mode="nearest")
        return h

    def end(self, h: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(h, 1), 1))

    def prune_to(self, arch: Arch) -> None:
        for j, r in enumerate(arch):
            for k in range(RESOLUTIONS):
                if k != int(r):
                    self.blocks[j][k] = nn.Identity()


class ResolutionSpace(SearchSpace):
    """All 19,683 resolution paths (Table 2.2, SPOS "Not shared", 19,683 paths)."""

    name = "pooling-resolution-all"

    def choices_per_decision(self) -> list[int]:
        return [RESOLUTIONS] * BLOCKS

    def enumerate(self) -> list[Arch]:
        return list(_all_paths())

    def size(self) -> int:
        return len(self.enumerate())

    def format(self, arch: Arch) -> str:
        flags = resolutions_to_flags(tuple(arch))
        return _POOLING.format(flags) if flags is not None else "r" + "".join(str(int(r)) for r in arch)

    def parse(self, text: str) -> Arch:
        """``[4,3,3]`` (a benchmark path, as Table 2.1 names it) or ``r`` and 9 resolution indices."""
        s = str(text).strip()
        if re.fullmatch(r"r[0-2]{%d}" % BLOCKS, s):
            return tuple(int(c) for c in s[1:])
        arch = flags_to_resolutions(_POOLING.parse(s))
        if arch not in benchmark_paths():
            raise ValueError(f"{text!r} is not a path of space {self.name!r}")
        return arch

    def build_supernet(self, num_classes: int = 10, width: float = 1.0) -> ResolutionSupernet:
        return ResolutionSupernet(num_classes, width)

    def describe_path(self, arch: Arch, input_size: int) -> dict:
        """Thesis Fig. 2.7: the feature-map size of every layer, the fixed full-resolution stem first, and how
        many times the path upsamples."""
        return {"resolutions": [input_size] + [input_size >> int(r) for r in arch],
                "upsamples": int(sum(b < a for a, b in zip(arch, arch[1:])))}

    def build_relaxed(self, num_classes: int = 10, width: float = 1.0, **options) -> Supernet:
        """The differentiable relaxation over these paths: multi-scale resolution blocks (Eq. 2.4)."""
        from nasrepro.spaces.multiscale import MultiScaleSupernet

        return MultiScaleSupernet(num_classes, width, **options)


class ResolutionBenchmarkSpace(ResolutionSpace):
    """The 36 Pooling-benchmark paths, in Table 2.1 order (Table 2.2, SPOS "Not shared", 36 paths)."""

    name = "pooling-resolution"

    def enumerate(self) -> list[Arch]:
        return list(benchmark_paths())


__all__ = ["ResolutionSpace", "ResolutionBenchmarkSpace", "ResolutionSupernet", "benchmark_paths",
           "flags_to_resolutions", "resolutions_to_flags"]
