"""The NAS-Bench-Macro space (Su et al., CVPR 2021; thesis §3.5 / paper §4 "NAS-Bench-Macro").

Network (CIFAR-10, 3x32x32 input), as trained for the benchmark:

* stem: 3x3 conv (stride 1, padding 1, no bias) to 32 channels + BN + ReLU;
* 8 searchable layers in stages of [2, 3, 3]; the first layer of a stage has stride 2 and doubles
  the channels (32 -> 64 -> 128 -> 256); the other layers keep stride 1 and channels;
* head: 1x1 conv to 1280 + BN + ReLU, global average pooling, linear classifier to 10 classes.

Every searchable layer picks one of three operations (the digit of the architecture string):

* ``0`` Identity. Where the layer changes stride or channels (a stage's first layer) it is a
  1x1 conv with that stride + BN (no activation); elsewhere it is parameter-free.
* ``1`` MB3_K3: MobileNetV2 inverted residual, expansion 3, kernel 3.
* ``2`` MB6_K5: MobileNetV2 inverted residual, expansion 6, kernel 5.

An inverted residual with expansion t is 1x1 conv to ``round(t * C_in)`` + BN + ReLU, depthwise
k x k conv (stride of the layer, padding k // 2) + BN + ReLU, 1x1 conv to C_out + BN; it adds its
input when stride is 1 and channels do not change. No convolution has a bias; only the classifier
does. The parameters and Conv2d + Linear multiply-accumulates of these networks equal the
benchmark's ``params`` and ``flops`` for all 6,561 keys (``nasrepro.tools.verify.verify_nb_macro``).

Aliases: inside a stage an Identity after the first layer computes nothing, so moving it to the end
of its stage gives the same function. The 3^8 = 6,561 architectures are therefore only 3,969 distinct
networks; ``aliases`` returns the canonical member (the benchmark trained only those and copied their
records to the other keys). An Identity at a stage's first layer is a real 1x1 conv and is not moved.

Architectures are tuples of 8 ints in {0, 1, 2}. Tables write them as the paper prints them,
``[22212220]`` (``format``), so CSV readers keep the leading zeros; the benchmark file keys them by the bare
digits (``benchmark_key``). ``enumerate`` is the lexicographic order of those keys, i.e. ``index`` is the
base-3 number the digits spell.
"""

from __future__ import annotations

import itertools
import re
from typing import Sequence

import torch
from torch import nn

from nasrepro.spaces.base import Arch, FixedArch, SearchSpace, Supernet
from nasrepro.spaces.ops import IdentityOp, canonical_identities

STAGES: tuple[int, ...] = (2, 3, 3)
NUM_LAYERS = sum(STAGES)
NUM_OPS = 3
OP_NAMES: tuple[str, ...] = ("Identity", "MB3_K3", "MB6_K5")
#: (expansion ratio, kernel size) of the inverted-residual candidates, by op index.
MB_OPS: dict[int, tuple[int, int]] = {1: (3, 3), 2: (6, 5)}
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
#: index of the first layer of each stage (stride 2, channels doubled)
STAGE_STARTS: tuple[int, ...] = tuple(sum(STAGES[:s]) for s in range(len(STAGES)))


def layer_plan(width: float = 1.0) -> list[tuple[int, int, int]]:
    """``(c_in, c_out, stride)`` of each searchable layer."""
    plan = []
    c_in = _scale(STEM_CHANNELS, width)
    for s, n in enumerate(STAGES):
        c_out = _scale(STEM_CHANNELS * 2 ** (s + 1), width)
        for i in range(n):
            plan.append((c_in, c_out, 2 if i == 0 else 1))
            c_in = c_out
    return plan


def _scale(channels: int, width: float) -> int:
    return max(4, int(round(channels * width)))


def canonical(arch: Sequence[int]) -> Arch:
    """Canonical NAS-Bench-Macro key among identity aliases."""
    return canonical_identities(arch, STAGES)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: expand 1x1, depthwise k x k, project 1x1 (linear); residual if shapes allow."""

    def __init__(self, c_in: int, c_out: int, stride: int, expansion: int, kernel: int):
        super().__init__()
        hidden = int(round(c_in * expansion))
        self.conv = nn.Sequential(
            nn.Conv2d(c_in, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, hidden, kernel, stride, padding=kernel // 2, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out),
        )
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return out + x if self.residual else out


def make_op(op: int, c_in: int, c_out: int, stride: int) -> nn.Module:
    if op == 0:
        return IdentityOp(c_in, c_out, stride)
    expansion, kernel = MB_OPS[op]
    return InvertedResidual(c_in, c_out, stride, expansion, kernel)


class NBMacroSupernet(Supernet):
    """Single-path supernet: every layer holds its three candidates, ``arch`` picks one per layer."""

    def __init__(self, num_classes: int = 10, width: float = 1.0, only: Sequence[int] | None = None):
        """``only``: build just these candidates (one op per layer), as ``prune_to(only)`` would leave."""
        super().__init__()
        if only is not None and len(only) != NUM_LAYERS:
            raise ValueError(f"NAS-Bench-Macro architectures have {NUM_LAYERS} layers, got {only!r}")
        keep = [range(NUM_OPS) if only is None else (int(only[j]),) for j in range(NUM_LAYERS)]
        c_stem = _scale(STEM_CHANNELS, width)
        self.stem = nn.Sequential(
            nn.Conv2d(3, c_stem, 3, padding=1, bias=False), nn.BatchNorm2d(c_stem), nn.ReLU(inplace=True)
        )
        plan = layer_plan(width)
        self.layers = nn.ModuleList(
            nn.ModuleDict({str(op): make_op(op, c_in, c_out, stride) for op in ops})
            for (c_in, c_out, stride), ops in zip(plan, keep)
        )
        c_last = plan[-1][1]
        self.head = nn.Sequential(
            nn.Conv2d(c_last, HEAD_CHANNELS, 1, bias=False),
            nn.BatchNorm2d(HEAD_CHANNELS),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Linear(HEAD_CHANNELS, num_classes)

    def forward(self, x: torch.Tensor, arch: Arch) -> torch.Tensor:
        if len(arch) != NUM_LAYERS:
            raise ValueError(f"NAS-Bench-Macro architectures have {NUM_LAYERS} layers, got {arch!r}")
        x = self.stem(x)
        for j, (layer, op) in enumerate(zip(self.layers, arch)):
            key = str(int(op))
            if key not in layer:
                raise ValueError(f"layer {j} has no candidate {key} (pruned to {list(layer.keys())})")
            x = layer[key](x)
        x = torch.flatten(self.head(x), 1)
        return self.classifier(x)

    # Layer-by-layer protocol used for shared-prefix evaluation (nasrepro.evaluation.prefix).
    def begin(self, x: torch.Tensor) -> torch.Tensor:
        return self.stem(x)

    def advance(self, h: torch.Tensor, j: int, op: int) -> torch.Tensor:
        return self.layers[j][str(int(op))](h)

    def choice_parameters(self, decision: int, choice: int) -> list[nn.Parameter]:
        """Candidate ``choice`` of layer ``decision``."""
        return list(self.layers[decision][str(int(choice))].parameters())

    def end(self, h: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.head(h), 1))

    def prune_to(self, arch: Arch) -> None:
        if len(arch) != NUM_LAYERS:
            raise ValueError(f"NAS-Bench-Macro architectures have {NUM_LAYERS} layers, got {arch!r}")
        for layer, op in zip(self.layers, arch):
            for key in list(layer.keys()):
                if key != str(int(op)):
                    del layer[key]


class NBMacroSpace(SearchSpace):
    name = "nb-macro"
    stages = STAGES
    op_names = OP_NAMES

    def choices_per_decision(self) -> list[int]:
        return [NUM_OPS] * NUM_LAYERS

    def enumerate(self) -> list[Arch]:
        archs = getattr(self, "_archs", None)
        if archs is None:
            archs = [tuple(a) for a in itertools.product(range(NUM_OPS), repeat=NUM_LAYERS)]
            self._archs = archs
        return list(archs)

    def index(self, arch: Arch) -> int:
        arch = self._check(arch)
        return int("".join(map(str, arch)), NUM_OPS)

    def format(self, arch: Arch) -> str:
        # Bracketed as the paper prints it (Table 3: "[12222222]"): bare digits would be read back as the
        # integer 2102120 (leading zeros lost) by pandas, spreadsheets and R.
        return f"[{self.benchmark_key(arch)}]"

    def benchmark_key(self, arch: Arch) -> str:
        """The key of ``arch`` in the NAS-Bench-Macro file: its 8 digits, e.g. ``02102120``."""
        return "".join(str(a) for a in self._check(arch))

    def parse(self, text) -> Arch:
        """Accepts ``22212220``, ``[22212220]``, ``2,2,2,1,2,2,2,0`` or a sequence of 8 ints."""
        if isinstance(text, (list, tuple)):
            return self._check(text)
        s = str(text).strip()
        m = re.fullmatch(r"[\[(]?\s*([012]{8})\s*[\])]?", s)
        if m:
            return tuple(int(c) for c in m.group(1))
        digits = re.findall(r"\d+", s)
        if len(digits) == NUM_LAYERS and re.fullmatch(r"[\[(]?[\d\s,]+[\])]?", s):
            return self._check(int(d) for d in digits)
        raise ValueError(f"cannot parse NAS-Bench-Macro architecture {text!r}; use e.g. 22212220")

    def _check(self, arch) -> Arch:
        arch = tuple(int(a) for a in arch)
        if len(arch) != NUM_LAYERS or any(a not in range(NUM_OPS) for a in arch):
            raise ValueError(f"{arch!r} is not a NAS-Bench-Macro architecture ({NUM_LAYERS} ops in 0..2)")
        return arch

    def aliases(self, arch: Arch) -> Arch:
        return canonical(self._check(arch))

    def distinct(self) -> list[Arch]:
        """The 3,969 canonical architectures (distinct networks), in ``enumerate`` order."""
        return [a for a in self.enumerate() if canonical(a) == a]

    def alias_group(self, arch: Arch) -> list[Arch]:
        """All architectures computing the same network as ``arch`` (itself included)."""
        c = self.aliases(arch)
        return [a for a in self.enumerate() if canonical(a) == c]

    def build_supernet(self, num_classes: int = 10, width: float = 1.0) -> NBMacroSupernet:
        return NBMacroSupernet(num_classes, width)

    def build_network(self, arch: Arch, num_classes: int = 10, width: float = 1.0) -> FixedArch:
        """Stand-alone network of ``arch``: the supernet path with only the used candidates.

        Same modules and parameter names as ``FixedArch(build_supernet(), arch)``, built without
        constructing (and initialising) the unused candidates first.
        """
        arch = self._check(arch)
        return FixedArch(NBMacroSupernet(num_classes, width, only=arch), arch)
