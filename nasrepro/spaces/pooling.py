"""Pooling search spaces (thesis §2.2.1, §2.4 "Search Space Details", Tables 2.1 and 2.7).

A ResNet backbone is a stem and a sequence of residual blocks. Its ``p`` downsampling operations (2x2
max-pooling; strided convolutions are replaced by pooling, §2.4) are placed after ``p`` of the layers,
at most one per layer and never after the last, so a space holds C(L - 1, p) architectures for L
searched layers (Table 2.7). An architecture is named by its layers per resolution, ``[n_0, ..., n_p]``
(summing to L), e.g. ResNet20 itself is ``[4,3,3]``.

Table 2.7's five spaces:

============================  =====================  =====  =====  ======
backbone / dataset            feature maps           L      p      size
============================  =====================  =====  =====  ======
ResNet20 / CIFAR-10           [32,16,8]              10     2      36
ResNet18 / CIFAR-10           [32,16,8,4]            9      3      56
ResNet50 / CIFAR-100          [32,16,8,4]            17     3      560
ResNet50 / Food101            [56,28,14,7]           16     3      455
ResNet18 / ImageNet           [56,28,14,7]           8      3      35
============================  =====================  =====  =====  ======

On CIFAR the stem is one 3x3 convolution and counts as the first searched layer (ResNet20: 1 + 9
blocks = 10; ResNet50: 1 + 16 = 17, whose default is the printed [4,4,6,3]). For ImageNet and Food101
the stem (7x7/2 convolution and 3x3/2 max-pooling) is fixed (Table 2.7: "we keep the first layer
(convolution and maxpooling) predefined") and only the blocks are searched (ResNet18: 8, default
[2,2,2,2]; ResNet50: 16, default [3,4,6,3]). §2.3.5 calls the CIFAR ResNet18 default [2,2,2,2], its
blocks per stage; counting the stem as this space does, it is [3,2,2,2].

Input size for the two large-image spaces: Table 2.7's feature maps [56,28,14,7] are those of a
224-pixel input behind the /4 stem, while §2.3.6 says Food101 runs "on an input image resolution of
256". We read the 256 as the resize before the standard 224 crop, which satisfies both (choice,
documented as such in ``Backbone.input_size``).

Channels are fixed per layer index, as the thesis requires ("a pre-defined number of channels for
all architectures, ensuring the same number of parameters"): layer i has the width of the stage it
belongs to in the default network (ResNet20: stem and blocks 1-3 16 channels, blocks 4-6 32, blocks
7-9 64). Where the channel count changes the shortcut is a 1x1 convolution + BN. The thesis removes the
fully connected layer, but channels must still become class scores: we keep global average pooling and
one linear classifier (equivalently a 1x1 convolution head).

The architecture tuple holds L - 1 flags: flag j is 1 when a pooling follows layer j + 1.
``enumerate`` lists them with the first pooling position slowest, the order of Table 2.1, so
``display_index`` is the configuration number printed there.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from nasrepro.spaces.base import Arch, SearchSpace, Supernet


@dataclass(frozen=True)
class Backbone:
    """A ResNet of the pooling spaces: its default blocks and widths per stage and its stem."""

    name: str
    stage_blocks: tuple[int, ...]       # blocks per stage of the default network
    stage_widths: tuple[int, ...]       # channels per stage (bottleneck: the inner width; output x4)
    bottleneck: bool = False
    imagenet_stem: bool = False         # fixed 7x7/2 conv + 3x3/2 max-pool (Table 2.7), else a searched 3x3 conv
    input_size: int = 32                # 224 for the ImageNet stem: see the module docstring

    @property
    def num_layers(self) -> int:
        return sum(self.stage_blocks) + (0 if self.imagenet_stem else 1)

    @property
    def pools(self) -> int:
        return len(self.stage_blocks) - 1

    def layer_channels(self, width: float = 1.0) -> list[int]:
        """Output channels of every searched layer (the ImageNet stem is not one)."""
        expand = 4 if self.bottleneck else 1
        blocks = [w * expand for w, n in zip(self.stage_widths, self.stage_blocks) for _ in range(n)]
        chans = blocks if self.imagenet_stem else [self.stage_widths[0]] + blocks
        return [max(4, int(round(c * width))) for c in chans]

    def default_blocks(self) -> tuple[int, ...]:
        first = self.stage_blocks[0] + (0 if self.imagenet_stem else 1)
        return (first, *self.stage_blocks[1:])


RESNET20 = Backbone("ResNet20", (3, 3, 3), (16, 32, 64))
RESNET18_CIFAR = Backbone("ResNet18", (2, 2, 2, 2), (64, 128, 256, 512))
RESNET50_CIFAR = Backbone("ResNet50", (3, 4, 6, 3), (64, 128, 256, 512), bottleneck=True)
RESNET50_IMAGENET = Backbone("ResNet50", (3, 4, 6, 3), (64, 128, 256, 512), bottleneck=True, imagenet_stem=True,
                             input_size=224)
RESNET18_IMAGENET = Backbone("ResNet18", (2, 2, 2, 2), (64, 128, 256, 512), imagenet_stem=True, input_size=224)
IMAGENET_STEM_CHANNELS = 64

NUM_LAYERS = RESNET20.num_layers
POOL_SLOTS = NUM_LAYERS - 1


def blocks_to_flags(blocks: tuple[int, ...], backbone: Backbone = RESNET20) -> Arch:
    n = backbone.num_layers
    if len(blocks) != backbone.pools + 1 or min(blocks) < 1 or sum(blocks) != n:
        raise ValueError(f"layers per resolution {list(blocks)} must be {backbone.pools + 1} numbers >= 1 "
                         f"summing to {n} ({backbone.name})")
    flags = [0] * (n - 1)
    for position in itertools.accumulate(blocks[:-1]):
        flags[position - 1] = 1
    return tuple(flags)


def flags_to_blocks(flags: Arch, backbone: Backbone = RESNET20) -> tuple[int, ...]:
    n = backbone.num_layers
    where = [j + 1 for j, f in enumerate(flags) if f]
    if len(flags) != n - 1 or len(where) != backbone.pools or any(f not in (0, 1) for f in flags):
        raise ValueError(f"{flags!r} is not a {backbone.name} pooling architecture ({n - 1} binary flags, "
                         f"exactly {backbone.pools} set)")
    edges = [0, *where, n]
    return tuple(b - a for a, b in zip(edges, edges[1:]))


def _shortcut(c_in: int, c_out: int) -> nn.Module:
    return nn.Identity() if c_in == c_out else nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))


class BasicBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = _shortcut(c_in, c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand (ResNet50), stride 1: pooling does the downsampling."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        mid = max(1, c_out // 4)
        self.body = nn.Sequential(
            nn.Conv2d(c_in, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(),
            nn.Conv2d(mid, mid, 3, padding=1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(),
            nn.Conv2d(mid, c_out, 1, bias=False), nn.BatchNorm2d(c_out))
        self.shortcut = _shortcut(c_in, c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + self.shortcut(x))


class PoolingSupernet(Supernet):
    """Every architecture of a pooling space shares every weight; only where the max-pools sit changes."""

    def __init__(self, num_classes: int = 10, width: float = 1.0, backbone: Backbone = RESNET20):
        super().__init__()
        self.backbone = backbone
        chans = backbone.layer_channels(width)
        block = Bottleneck if backbone.bottleneck else BasicBlock
        if backbone.imagenet_stem:
            c0 = max(4, int(round(IMAGENET_STEM_CHANNELS * width)))
            self.stem = nn.Sequential(nn.Conv2d(3, c0, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(c0),
                                      nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1))
            layers = [block(c0, chans[0])] + [block(chans[i - 1], chans[i]) for i in range(1, len(chans))]
        else:
            self.stem = nn.Identity()  # the 3x3 stem convolution is searched layer 1
            stem = nn.Sequential(nn.Conv2d(3, chans[0], 3, padding=1, bias=False), nn.BatchNorm2d(chans[0]), nn.ReLU())
            layers = [stem] + [block(chans[i - 1], chans[i]) for i in range(1, len(chans))]
        self.layers = nn.ModuleList(layers)
        self.pool = nn.MaxPool2d(2)
        self.classifier = nn.Linear(chans[-1], num_classes)

    def forward(self, x: torch.Tensor, arch: Arch) -> torch.Tensor:
        h = self.begin(x)
        for j, flag in enumerate(arch):
            h = self.advance(h, j, flag)
        return self.end(h)

    def choice_parameters(self, decision: int, choice: int) -> list[nn.Parameter]:
        """None: a pooling flag owns no weights (every architecture uses all of them)."""
        return []

    # Layer-by-layer protocol used for shared-prefix evaluation (nasrepro.evaluation.prefix):
    # decision j is "pool after layer j", so step j runs layer j and then pools or not.
    def begin(self, x: torch.Tensor) -> torch.Tensor:
        return self.stem(x)

    def advance(self, h: torch.Tensor, j: int, flag: int) -> torch.Tensor:
        h = self.layers[j](h)
        return self.pool(h) if flag else h

    def end(self, h: torch.Tensor) -> torch.Tensor:
        h = self.layers[-1](h)
        return self.classifier(torch.flatten(nn.functional.adaptive_avg_pool2d(h, 1), 1))


class PoolingSpace(SearchSpace):
    """The Pooling benchmark: ResNet20 on CIFAR-10, 36 architectures with published ground truth (Table 2.1).
    Subclasses set another ``backbone`` (Table 2.7)."""

    name = "pooling"
    backbone: Backbone = RESNET20

    def choices_per_decision(self) -> list[int]:
        return [2] * (self.backbone.num_layers - 1)

    def size(self) -> int:
        return len(self.enumerate())

    def enumerate(self) -> list[Arch]:
        n, p = self.backbone.num_layers, self.backbone.pools
        cached = getattr(self, "_archs", None)
        if cached is None:
            cached = [tuple(1 if j + 1 in where else 0 for j in range(n - 1))
                      for where in itertools.combinations(range(1, n), p)]
            self._archs = cached
        return list(cached)

    def format(self, arch: Arch) -> str:
        return "[" + ",".join(str(b) for b in flags_to_blocks(arch, self.backbone)) + "]"

    def parse(self, text: str) -> Arch:
        """Accepts ``[4,3,3]``, ``4,3,3``, a configuration number (1-based, Table 2.1 for ResNet20) or the
        flags as a 0/1 string (``000100100``)."""
        s = str(text).strip()
        slots = self.backbone.num_layers - 1
        if re.fullmatch(r"[01]{%d}" % slots, s):
            arch = tuple(int(c) for c in s)
            flags_to_blocks(arch, self.backbone)
            return arch
        if re.fullmatch(r"\d{1,4}", s):
            n = int(s)
            archs = self.enumerate()
            if not 1 <= n <= len(archs):
                raise ValueError(f"pooling configuration number must be 1..{len(archs)}, got {n}")
            return archs[n - 1]
        nums = re.findall(r"\d+", s)
        if len(nums) != self.backbone.pools + 1:
            raise ValueError(f"cannot parse {self.backbone.name} pooling architecture {text!r}; use e.g. "
                             f"{self.format(self.default_arch())} or a configuration number")
        return blocks_to_flags(tuple(int(n) for n in nums), self.backbone)

    def default_arch(self) -> Arch:
        """The backbone's own pooling configuration (ResNet20: [4,3,3], Table 2.1 no. 24)."""
        return blocks_to_flags(self.backbone.default_blocks(), self.backbone)

    def build_supernet(self, num_classes: int = 10, width: float = 1.0) -> PoolingSupernet:
        return PoolingSupernet(num_classes, width, self.backbone)

    def vector_encodings(self, archs: list[Arch] | None = None) -> np.ndarray:
        """The thesis' own representation, layers per resolution (Table 2.1).

        On the binary flags a "vector" and a one-hot encoding would give proportional distances, so
        Table 2's vector rows use the categorical description the thesis names architectures by.
        """
        archs = self.enumerate() if archs is None else archs
        return np.asarray([flags_to_blocks(a, self.backbone) for a in archs], dtype=np.int64)

    def tree_paths(self, archs: list[Arch] | None = None):
        """Decisions of the default (Su et al. 2021a) tree: one binary level per layer, pool or identity.

        Thesis §3.5 / paper §5: "For MCTS default tree, used by Su et al. (2021a), each layer of CNN is
        considered as a level of tree, with operations providing the branching", and in this space "each
        layer has the binary choice of performing downsampling (pooling) or maintaining resolution
        (identity)" (§3.5.1). The default tree therefore has one binary level per pooling flag.
        Branches that cannot end with exactly p pools are absent (a trie of the valid flag vectors), so
        some nodes have a single child (a forced choice) and every root-to-leaf path is a valid
        architecture. Nodes at the same level with the same flag are the "equivalent nodes" of MCTS + Reg.
        """
        return self.encodings(archs)


class ResNet18PoolingSpace(PoolingSpace):
    """ResNet18 on CIFAR-10 (Table 2.7: 9 layers, 3 poolings, 56 architectures; Table 2.4)."""

    name = "pooling-resnet18"
    backbone = RESNET18_CIFAR


class ResNet50PoolingSpace(PoolingSpace):
    """ResNet50 on CIFAR-100 (Table 2.7: 17 layers, 3 poolings, 560 architectures; Table 2.4)."""

    name = "pooling-resnet50"
    backbone = RESNET50_CIFAR


class ResNet50ImageNetPoolingSpace(PoolingSpace):
    """ResNet50 with the fixed ImageNet stem, for Food101 (Table 2.7: 16 layers, 3 poolings, 455; Table 2.5)."""

    name = "pooling-resnet50-224"
    backbone = RESNET50_IMAGENET


class ResNet18ImageNetPoolingSpace(PoolingSpace):
    """ResNet18 with the fixed ImageNet stem (Table 2.7: 8 layers, 3 poolings, 35 architectures; Table 2.6)."""

    name = "pooling-resnet18-224"
    backbone = RESNET18_IMAGENET
