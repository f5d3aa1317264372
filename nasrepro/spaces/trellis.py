"""The network-level (macro) search space of Auto-DeepLab (Liu et al. 2019a), thesis §4.4 / Table 4.5.

L = 12 cells follow a stride-4 stem; each cell runs at stride 4, 8, 16 or 32 (levels 0-3) and may keep, halve
(level + 1) or double (level - 1) the resolution of the cell before it. The thesis gives the space as
"2.9 x 10^4" paths: with the first cell fixed at stride 4 and 11 free moves the trellis holds 28,657 paths
(with all 12 moves free from the stem, 75,025), so the first cell is fixed (the reading that matches the seed;
counted by enumeration and tested). An architecture is its 12 levels, written as strides, e.g.
``4-8-8-16-16-16-32-32-16-16-8-8``.
"""

from __future__ import annotations

import functools
import itertools
import re

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from nasrepro.spaces.base import Arch, SearchSpace, Supernet

CELLS = 12
LEVELS = 4
STRIDES = tuple(4 * 2 ** k for k in range(LEVELS))  # 4, 8, 16, 32


@functools.lru_cache(maxsize=None)
def trellis_paths(cells: int = CELLS, levels: int = LEVELS, first: int | None = 0) -> tuple[Arch, ...]:
    """Every level sequence of ``cells`` cells whose consecutive levels differ by at most one, starting at
    level ``first`` (None: the first cell also moves, from the stem's level 0), in lexicographic order."""
    start = [(first,)] if first is not None else [(lv,) for lv in (0, 1) if lv < levels]
    paths = start
    for _ in range(cells - 1):
        paths = [p + (lv,) for p in paths for lv in (p[-1] - 1, p[-1], p[-1] + 1) if 0 <= lv < levels]
    return tuple(sorted(paths))


def format_path(arch: Arch) -> str:
    return "-".join(str(STRIDES[int(lv)]) for lv in arch)


def parse_path(text: str, cells: int = CELLS) -> Arch:
    """``4-8-8-...`` (strides) back to levels; one clear error for anything else."""
    parts = re.split(r"[-,\s]+", str(text).strip())
    try:
        arch = tuple(STRIDES.index(int(p)) for p in parts)
    except ValueError:
        raise ValueError(f"a trellis path is {cells} strides from {STRIDES} joined by '-', got {text!r}") from None
    if len(arch) != cells or arch[0] != 0 or any(abs(a - b) > 1 for a, b in itertools.pairwise(arch)):
        raise ValueError(f"{text!r} is not a trellis path: {cells} cells from stride 4, each keeping, halving or "
                         "doubling the previous resolution")
    return arch


# ------------------------------------------------------------------------------------------ the supernet
BLOCKS, FILTERS = 5, 8  # Auto-DeepLab: a level-l cell has B x F x 2^l channels (B = 5 blocks, F = 8 for -S)
ASPP_RATES = (6, 12, 18)  # DeepLabV3+ at output stride 16; rates scale with 16 / stride (as DeepLab doubles them)


def _conv_bn_relu(c_in: int, c_out: int, kernel: int = 3, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    pad = dilation * (kernel // 2)
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, pad, dilation=dilation, bias=False),
                         nn.BatchNorm2d(c_out), nn.ReLU())


class FixedCell(nn.Module):
    """The cell every trellis node runs. The thesis searches the macro level only and does not print the cell:
    a residual pair of 3x3 conv-BN-ReLU (assumption; Auto-DeepLab's found cell is a DARTS-style graph)."""

    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(_conv_bn_relu(c, c), nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.body(x))


class Resample(nn.Module):
    """Between consecutive cells: keep (1x1 conv when channels change), halve (3x3 conv, stride 2) or double
    (bilinear x2, then 1x1 conv) the resolution, as Auto-DeepLab's network level connects cells."""

    def __init__(self, c_in: int, c_out: int, move: int):
        super().__init__()
        self.move = move
        self.op = _conv_bn_relu(c_in, c_out, 3, stride=2) if move > 0 else _conv_bn_relu(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.move < 0:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return self.op(x)


class ASPPDecoder(nn.Module):
    """DeepLabV3+'s decoder, unaltered as the thesis says: ASPP (1x1, three atrous 3x3, image pooling) on the
    encoder output, upsampled to stride 4 and joined with the stem's 1x1-reduced stride-4 features, two 3x3
    convolutions and the per-pixel classifier, upsampled to the input."""

    def __init__(self, c_in: int, c_low: int, num_classes: int, c_aspp: int, c_dec: int, stride: int):
        super().__init__()
        rates = [max(1, r * 16 // stride) for r in ASPP_RATES]
        self.branches = nn.ModuleList([_conv_bn_relu(c_in, c_aspp, 1)] +
                                      [_conv_bn_relu(c_in, c_aspp, 3, dilation=r) for r in rates])
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c_in, c_aspp, 1, bias=False), nn.ReLU())
        self.project = _conv_bn_relu(c_aspp * (len(rates) + 2), c_aspp, 1)
        self.low = _conv_bn_relu(c_low, max(4, c_low // 2), 1)
        self.fuse = nn.Sequential(_conv_bn_relu(c_aspp + max(4, c_low // 2), c_dec), _conv_bn_relu(c_dec, c_dec))
        self.classifier = nn.Conv2d(c_dec, num_classes, 1)

    def forward(self, h: torch.Tensor, low: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        pooled = F.interpolate(self.pool(h), size=h.shape[-2:], mode="bilinear", align_corners=False)
        h = self.project(torch.cat([b(h) for b in self.branches] + [pooled], 1))
        h = F.interpolate(h, size=low.shape[-2:], mode="bilinear", align_corners=False)
        out = self.classifier(self.fuse(torch.cat([h, self.low(low)], 1)))
        return F.interpolate(out, size=size, mode="bilinear", align_corners=False)


class TrellisSupernet(Supernet):
    """One weight set per (cell, level) node, per (cell, move) transition, and one decoder per final level;
    ``forward(x, arch)`` runs the single path ``arch`` (levels per cell) and returns [B, classes, H, W] logits."""

    def __init__(self, num_classes: int = 19, width: float = 1.0, cells: int = CELLS):
        super().__init__()
        chans = [max(4, int(round(BLOCKS * FILTERS * 2 ** lv * width))) for lv in range(LEVELS)]
        c_stem = max(4, int(round(64 * width)))
        self.chans, self.cells_count = chans, cells
        # Auto-DeepLab's stem: three 3x3 convolutions, two of them strided, to stride 4
        self.stem = nn.Sequential(_conv_bn_relu(3, c_stem, 3, 2), _conv_bn_relu(c_stem, c_stem),
                                  _conv_bn_relu(c_stem, chans[0], 3, 2))
        self.cells = nn.ModuleList(nn.ModuleList(FixedCell(c) for c in chans) for _ in range(cells))
        self.moves = nn.ModuleList(
            nn.ModuleDict({f"{a}{b}": Resample(chans[a], chans[b], b - a)
                           for a in range(LEVELS) for b in range(LEVELS) if abs(a - b) <= 1})
            for _ in range(cells))
        self.decoders = nn.ModuleList(ASPPDecoder(chans[lv], chans[0], num_classes, max(8, int(round(256 * width))),
                                                  max(8, int(round(256 * width))), STRIDES[lv])
                                      for lv in range(LEVELS))

    def forward(self, x: torch.Tensor, arch: Arch) -> torch.Tensor:
        size = x.shape[-2:]
        h = low = self.stem(x)
        prev = 0
        for i, lv in enumerate(arch):
            lv = int(lv)
            h = self.moves[i][f"{prev}{lv}"](h)
            h = self.cells[i][lv](h)
            prev = lv
        return self.decoders[prev](h, low, size)

    def prune_to(self, arch: Arch) -> None:
        """Keep only the path's nodes, transitions and decoder (a stand-alone network)."""
        prev = 0
        for i, lv in enumerate(arch):
            for j in range(LEVELS):
                if j != int(lv):
                    self.cells[i][j] = nn.Identity()
            for key in list(self.moves[i].keys()):
                if key != f"{prev}{int(lv)}":
                    del self.moves[i][key]
            prev = int(lv)
        for j in range(LEVELS):
            if j != prev:
                self.decoders[j] = nn.Identity()


class TrellisSpace(SearchSpace):
    """Auto-DeepLab's network level with the first cell at stride 4: 28,657 paths (thesis: 2.9 x 10^4)."""

    name = "trellis"
    task = "segmentation"

    def choices_per_decision(self) -> list[int]:
        return [LEVELS] * CELLS

    def enumerate(self) -> list[Arch]:
        return list(trellis_paths())

    def size(self) -> int:
        return len(trellis_paths())

    def format(self, arch: Arch) -> str:
        return format_path(arch)

    def parse(self, text: str) -> Arch:
        return parse_path(text)

    def build_supernet(self, num_classes: int = 19, width: float = 1.0) -> TrellisSupernet:
        return TrellisSupernet(num_classes, width)

    def encodings(self, archs=None) -> np.ndarray:
        archs = self.enumerate() if archs is None else archs
        return np.asarray(archs, dtype=np.int64)
