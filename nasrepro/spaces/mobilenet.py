"""The MobileNetV2 ImageNet search space (paper §5.4 / App. B; thesis §3.5.4, Appendix II, Tables A II-1/2).

Network (ImageNet, 3x224x224 input), Table A II-1:

* stem: 3x3 conv, stride 2, to 32 channels + BN + ReLU6 (224 -> 112);
* a fixed MB1_K3 block to 16 channels (depthwise 3x3 + BN + ReLU6, 1x1 projection + BN; no expansion
  conv, as in MobileNetV2), at 112x112;
* 21 searchable layers in six stages of 4, 4, 4, 4, 4, 1 layers with 32, 40, 80, 96, 192, 320 output
  channels; the first layer of a stage has stride 2, 2, 2, 1, 2, 1 (input resolutions 112, 56, 28,
  14, 14, 7); the other layers have stride 1 and keep the channels;
* head: 1x1 conv to 1280 + BN + ReLU6, global average pooling, linear classifier to 1000 classes.

Every searchable layer picks one of 13 operations (Table A II-2), indexed as follows:

====  ==========  ====  ====================================================
idx   name        idx   name
====  ==========  ====  ====================================================
0     ID
1     MB3_K3      7     MB3_K3_SE
2     MB3_K5      8     MB3_K5_SE
3     MB3_K7      9     MB3_K7_SE
4     MB6_K3      10    MB6_K3_SE
5     MB6_K5      11    MB6_K5_SE
6     MB6_K7      12    MB6_K7_SE
====  ==========  ====  ====================================================

i.e. the table's order (ID, then expansion 3 / 6 by kernel 3 / 5 / 7), first without and then with SE.
``MBt_Kk`` is a MobileNetV2 inverted residual: 1x1 conv to ``t * C_in`` + BN + ReLU6, depthwise k x k
conv (the layer's stride, padding k // 2) + BN + ReLU6, [SE], 1x1 conv to C_out + BN (linear
bottleneck); it adds its input when stride is 1 and the channels do not change. No convolution has a
bias except inside SE; only the classifier and SE have biases.

SE (Hu et al. 2018), MobileNetV3 style on the expanded (hidden) features: global average pool, 1x1
conv to ``make_divisible(hidden / 4, 8)`` (bias) + ReLU, 1x1 conv back to ``hidden`` (bias), sigmoid
gate. The seeds do not fix the SE details; its 1x1 convs count as MACs (at 1x1 spatial size).

Activation: ReLU6, as in MobileNetV2 and the MobileNetV2-based one-shot spaces (ProxylessNAS, the
SPOS/GreedyNAS MobileNet spaces as packaged in OpenMMLab's MMRazor, whose MB blocks default to ReLU6).
The thesis does not name the activation.

**ID where the shape changes** (the first layer of the stages with stride 2 or with new channels --
here all six stage starts, layers 0, 4, 8, 12, 16, 20): ID is a 1x1 conv with the layer's stride + BN
(no activation), the convention of NAS-Bench-Macro (Su et al. 2021a, the same authors' MCT-NAS space
that the paper follows for ImageNet; ``nasrepro.spaces.ops.IdentityOp``) and of MMRazor's
``Identity`` op used by its SPOS/GreedyNAS MobileNet spaces. Every one of the 13^21 combinations is
therefore a valid network, which is what the paper's and the thesis appendix's "13^21" counts (thesis
§5.4 says 12^21: it counts the 12 MB choices without ID -- a conflict in the seeds; we use 13 as the
paper does). Elsewhere ID is parameter-free; a mid-stage ID computes nothing, so moving it to the end
of its stage gives the same network (``aliases``).

Architectures are tuples of 21 ints in 0..12, written as 21 comma-separated op names
(``"MB6_K3,ID,MB3_K5_SE,..."``, ``format``). ``parse`` also accepts the index list (``"4,0,8,..."``
or ``"[4, 0, 8, ...]"``), op names in any case and a sequence of ints, and raises ``ValueError`` with
the offending position for anything else (wrong length, unknown op, index out of 0..12).

13^21 ~ 2.5e23 architectures cannot be enumerated: ``enumerate`` raises. ``index`` is the base-13
number the ops spell (first layer most significant), computed without enumeration; ``sample(rng, n)``
draws uniformly. For FLOPs-budget sampling and budget-feasible populations see
``nasrepro.spaces.budget``.
"""

from __future__ import annotations

import functools
import re
from typing import Sequence

import numpy as np
import torch
from torch import nn

from nasrepro.spaces.base import Arch, FixedArch, SearchSpace, Supernet
from nasrepro.spaces.ops import IdentityOp, canonical_identities

# --- Table A II-1 -------------------------------------------------------------------------------
INPUT_RESOLUTION = 224
STEM_CHANNELS = 32
FIRST_BLOCK_CHANNELS = 16
STAGES: tuple[int, ...] = (4, 4, 4, 4, 4, 1)
STAGE_CHANNELS: tuple[int, ...] = (32, 40, 80, 96, 192, 320)
STAGE_STRIDES: tuple[int, ...] = (2, 2, 2, 1, 2, 1)
HEAD_CHANNELS = 1280
NUM_CLASSES = 1000
NUM_LAYERS = sum(STAGES)  # 21
#: index of the first layer of each stage (where ID is a 1x1 conv)
STAGE_STARTS: tuple[int, ...] = tuple(sum(STAGES[:s]) for s in range(len(STAGES)))

# --- Table A II-2 -------------------------------------------------------------------------------
#: (expansion, kernel, se) by op index; index 0 is ID (None)
_MB = [(3, 3), (3, 5), (3, 7), (6, 3), (6, 5), (6, 7)]
OP_SPECS: tuple[tuple[int, int, bool] | None, ...] = (
    None,
    *((t, k, False) for t, k in _MB),
    *((t, k, True) for t, k in _MB),
)
OP_NAMES: tuple[str, ...] = tuple(
    "ID" if spec is None else f"MB{spec[0]}_K{spec[1]}" + ("_SE" if spec[2] else "") for spec in OP_SPECS
)
NUM_OPS = len(OP_NAMES)  # 13
_NAME_TO_OP = {name: i for i, name in enumerate(OP_NAMES)}


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round to the nearest multiple of ``divisor``, not going below 90% of ``value`` (MobileNet rule)."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if new < 0.9 * value:
        new += divisor
    return int(new)


def _scale(channels: int, width: float) -> int:
    return channels if width == 1.0 else make_divisible(channels * width, 8)


def layer_plan(width: float = 1.0, resolution: int = INPUT_RESOLUTION) -> list[tuple[int, int, int, int]]:
    """``(c_in, c_out, stride, input_resolution)`` of each of the 21 searchable layers."""
    plan = []
    c_in = _scale(FIRST_BLOCK_CHANNELS, width)
    res = _conv_out(resolution, 3, 2)  # after the stem
    for n, c, s in zip(STAGES, STAGE_CHANNELS, STAGE_STRIDES):
        c_out = _scale(c, width)
        for i in range(n):
            stride = s if i == 0 else 1
            plan.append((c_in, c_out, stride, res))
            res = _conv_out(res, 3, stride)
            c_in = c_out
    return plan


def _conv_out(res: int, kernel: int, stride: int) -> int:
    return (res + 2 * (kernel // 2) - kernel) // stride + 1


def canonical(arch: Sequence[int]) -> Arch:
    """Move the identities after each stage's first layer to the end of that stage."""
    return canonical_identities(arch, STAGES)


# --- building blocks ----------------------------------------------------------------------------
def conv_bn(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1, act: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, kernel, stride, padding=kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out),
    ]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return layers


class SqueezeExcite(nn.Module):
    """SE gate on ``channels``: pool, 1x1 conv to make_divisible(channels / 4) + ReLU, 1x1 conv, sigmoid."""

    def __init__(self, channels: int):
        super().__init__()
        squeeze = make_divisible(channels / 4, 8)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, squeeze, 1)
        self.act = nn.ReLU(inplace=True)
        self.expand = nn.Conv2d(squeeze, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.expand(self.act(self.reduce(self.pool(x))))
        return x * torch.sigmoid(s)


class MBBlock(nn.Module):
    """MobileNetV2 inverted residual ``MB{expansion}_K{kernel}[_SE]``; expansion 1 has no expand conv."""

    def __init__(self, c_in: int, c_out: int, stride: int, expansion: int, kernel: int, se: bool = False):
        super().__init__()
        hidden = int(round(c_in * expansion))
        layers: list[nn.Module] = []
        if expansion != 1:
            layers += conv_bn(c_in, hidden, 1)
        layers += conv_bn(hidden, hidden, kernel, stride, groups=hidden)
        if se:
            layers.append(SqueezeExcite(hidden))
        layers += conv_bn(hidden, c_out, 1, act=False)
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)
        return out + x if self.residual else out


def make_op(op: int, c_in: int, c_out: int, stride: int) -> nn.Module:
    """Candidate ``op`` (index into ``OP_NAMES``) of a layer with the given shape."""
    spec = OP_SPECS[int(op)]
    if spec is None:
        return IdentityOp(c_in, c_out, stride)
    expansion, kernel, se = spec
    return MBBlock(c_in, c_out, stride, expansion, kernel, se)


def make_stem(width: float = 1.0) -> nn.Sequential:
    """3x3 conv stride 2 to 32 + BN + ReLU6, then the fixed MB1_K3 block to 16 channels."""
    c_stem = _scale(STEM_CHANNELS, width)
    return nn.Sequential(*conv_bn(3, c_stem, 3, 2), MBBlock(c_stem, _scale(FIRST_BLOCK_CHANNELS, width), 1, 1, 3))


def make_head(c_in: int, width: float = 1.0) -> nn.Sequential:
    """1x1 conv to 1280 + BN + ReLU6, global average pool, flatten (the classifier is separate)."""
    c_head = _scale(HEAD_CHANNELS, width)
    return nn.Sequential(*conv_bn(c_in, c_head, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(1))


class MobileNetSupernet(Supernet):
    """Single-path supernet: each of the 21 layers holds its 13 candidates; ``arch`` picks one per layer."""

    def __init__(self, num_classes: int = NUM_CLASSES, width: float = 1.0, only: Sequence[int] | None = None):
        """``only``: build just these candidates (one op per layer), as ``prune_to(only)`` would leave."""
        super().__init__()
        if only is not None:
            only = _check_arch(only)
        keep = [range(NUM_OPS) if only is None else (only[j],) for j in range(NUM_LAYERS)]
        self.width = float(width)
        self.stem = make_stem(width)
        plan = layer_plan(width)
        self.layers = nn.ModuleList(
            nn.ModuleDict({str(op): make_op(op, c_in, c_out, stride) for op in ops})
            for (c_in, c_out, stride, _res), ops in zip(plan, keep)
        )
        self.head = make_head(plan[-1][1], width)
        self.classifier = nn.Linear(_scale(HEAD_CHANNELS, width), num_classes)

    def forward(self, x: torch.Tensor, arch: Arch) -> torch.Tensor:
        if len(arch) != NUM_LAYERS:
            raise ValueError(f"MobileNet architectures have {NUM_LAYERS} layers, got {len(arch)}: {arch!r}")
        h = self.begin(x)
        for j, op in enumerate(arch):
            h = self.advance(h, j, op)
        return self.end(h)

    def choice_parameters(self, decision: int, choice: int) -> list[nn.Parameter]:
        """Candidate ``choice`` of layer ``decision`` (parameter-free where it is a mid-stage ID)."""
        return list(self.layers[decision][str(int(choice))].parameters())

    # Layer-by-layer protocol used for shared-prefix evaluation (nasrepro.evaluation.prefix).
    def begin(self, x: torch.Tensor) -> torch.Tensor:
        return self.stem(x)

    def advance(self, h: torch.Tensor, j: int, op: int) -> torch.Tensor:
        layer = self.layers[j]
        key = str(int(op))
        if key not in layer:
            raise ValueError(f"layer {j} has no candidate {key} (pruned to {list(layer.keys())})")
        return layer[key](h)

    def end(self, h: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.head(h))

    def prune_to(self, arch: Arch) -> None:
        arch = _check_arch(arch)
        for layer, op in zip(self.layers, arch):
            for key in list(layer.keys()):
                if key != str(op):
                    del layer[key]


def _check_arch(arch) -> Arch:
    try:
        arch = tuple(int(a) for a in arch)
    except (TypeError, ValueError):
        raise ValueError(f"{arch!r} is not a MobileNet architecture (21 ints in 0..{NUM_OPS - 1})") from None
    if len(arch) != NUM_LAYERS:
        raise ValueError(f"MobileNet architectures have {NUM_LAYERS} layers, got {len(arch)}: {arch!r}")
    for j, a in enumerate(arch):
        if not 0 <= a < NUM_OPS:
            raise ValueError(f"layer {j}: op index {a} is not in 0..{NUM_OPS - 1} ({', '.join(OP_NAMES)})")
    return arch


class MobileNetImageNetSpace(SearchSpace):
    """Thesis Appendix II MobileNetV2 space: 21 layers x 13 ops, ImageNet at 224."""

    name = "mobilenet-imagenet"
    stages = STAGES
    op_names = OP_NAMES
    num_classes = NUM_CLASSES
    #: input of one sample (batch first) for ``count_params_macs``
    input_size: tuple[int, int, int, int] = (1, 3, INPUT_RESOLUTION, INPUT_RESOLUTION)

    def choices_per_decision(self) -> list[int]:
        return [NUM_OPS] * NUM_LAYERS

    def size(self) -> int:
        return NUM_OPS**NUM_LAYERS  # exact int (13^21 overflows float precision)

    def enumerate(self) -> list[Arch]:
        raise NotImplementedError(
            f"the {self.name} space has 13^21 = {self.size():,} architectures and cannot be enumerated; "
            "use space.sample(rng, n) or nasrepro.spaces.budget.budget_population(space, budget, n, seed)"
        )

    def sample(self, rng: np.random.Generator, n: int = 1) -> list[Arch]:
        """``n`` architectures drawn uniformly (all 13^21 are valid)."""
        draws = rng.integers(0, NUM_OPS, size=(int(n), NUM_LAYERS))
        return [tuple(int(a) for a in row) for row in draws]

    def index(self, arch: Arch) -> int:
        """Base-13 number of the ops (layer 0 most significant); no enumeration needed."""
        value = 0
        for a in _check_arch(arch):
            value = value * NUM_OPS + a
        return value

    def from_index(self, index: int) -> Arch:
        index = int(index)
        if not 0 <= index < self.size():
            raise ValueError(f"index {index} is outside 0..13^21-1")
        digits = []
        for _ in range(NUM_LAYERS):
            index, r = divmod(index, NUM_OPS)
            digits.append(r)
        return tuple(reversed(digits))

    def format(self, arch: Arch) -> str:
        return ",".join(OP_NAMES[a] for a in _check_arch(arch))

    def parse(self, text) -> Arch:
        """``"MB6_K3,ID,...,MB3_K5_SE"`` (21 op names, any case) or 21 indices ``"4,0,...,8"`` / ``[4, 0, ...]``."""
        if isinstance(text, (list, tuple, np.ndarray)):
            return _check_arch(text)
        s = str(text).strip()
        inner = re.sub(r"^[\[(]\s*|\s*[\])]$", "", s)
        tokens = [t.strip() for t in re.split(r"[,\s]+", inner) if t.strip()]
        if len(tokens) != NUM_LAYERS:
            raise ValueError(
                f"cannot parse MobileNet architecture {text!r}: expected {NUM_LAYERS} comma-separated ops "
                f"(names {', '.join(OP_NAMES)} or indices 0..{NUM_OPS - 1}), got {len(tokens)}"
            )
        arch = []
        for j, tok in enumerate(tokens):
            if re.fullmatch(r"\d+", tok):
                arch.append(int(tok))
            else:
                op = _NAME_TO_OP.get(tok.upper().replace("-", "_"))
                if op is None:
                    raise ValueError(
                        f"cannot parse MobileNet architecture {text!r}: layer {j} op {tok!r} is not one of "
                        f"{', '.join(OP_NAMES)}"
                    )
                arch.append(op)
        return _check_arch(arch)

    def aliases(self, arch: Arch) -> Arch:
        return canonical(_check_arch(arch))

    def cost_table(self, width: float = 1.0, resolution: int | None = None, num_classes: int | None = None):
        return _cost_table(float(width), int(resolution or self.input_size[-1]), int(num_classes or self.num_classes))

    def build_supernet(self, num_classes: int = NUM_CLASSES, width: float = 1.0) -> MobileNetSupernet:
        return MobileNetSupernet(num_classes, width)

    def build_network(self, arch: Arch, num_classes: int = NUM_CLASSES, width: float = 1.0) -> FixedArch:
        """Stand-alone network: same modules and names as ``FixedArch(build_supernet(), arch)``."""
        arch = _check_arch(arch)
        return FixedArch(MobileNetSupernet(num_classes, width, only=arch), arch)


# --- MobileNetV2-1.0 in this block vocabulary (FLOPs / params check against torchvision) --------
#: Sandler et al. 2018, Table 2: (expansion t, channels c, repeats n, first stride s)
MOBILENET_V2_PLAN: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)


@functools.lru_cache(maxsize=16)
def _cost_table(width: float, resolution: int, num_classes: int):
    """Every candidate op counted once at its own input size, plus stem, head and classifier (modules
    built on the ``meta`` device: shapes only; about 2.5 s once)."""
    from nasrepro.flops import count_params_macs
    from nasrepro.spaces.budget import CostTable

    with torch.device("meta"):
        net = MobileNetSupernet(num_classes, width)
    plan = layer_plan(width, resolution)
    f_params, f_macs = count_params_macs(net.stem, (1, 3, resolution, resolution))
    c_last, stride_last, res_last = plan[-1][1], plan[-1][2], plan[-1][3]
    res_head = _conv_out(res_last, 3, stride_last)
    p, m = count_params_macs(net.head, (1, c_last, res_head, res_head))
    f_params, f_macs = f_params + p, f_macs + m
    p, m = count_params_macs(net.classifier, (1, net.classifier.in_features))
    f_params, f_macs = f_params + p, f_macs + m
    macs = np.zeros((NUM_LAYERS, NUM_OPS), dtype=np.int64)
    params = np.zeros_like(macs)
    for j, (c_in, _c_out, _stride, res) in enumerate(plan):
        for op in range(NUM_OPS):
            params[j, op], macs[j, op] = count_params_macs(net.layers[j][str(op)], (1, c_in, res, res))
    macs.setflags(write=False)
    params.setflags(write=False)
    return CostTable(int(f_macs), macs, int(f_params), params, resolution, width, num_classes)


class _PlainNet(nn.Module):
    def __init__(self, features: nn.Sequential, classifier: nn.Module):
        super().__init__()
        self.features = features
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def mobilenet_v2_reference(num_classes: int = NUM_CLASSES, plan=MOBILENET_V2_PLAN) -> nn.Module:
    """MobileNetV2-1.0 built from this module's stem conv, ``MBBlock`` (K3, no SE) and head.

    Our fixed 21-layer skeleton (channels 32/40/80/96/192/320 in stages of 4,4,4,4,4,1) cannot express
    MobileNetV2's 24/32/64/96/160/320 plan, so this uses the same building blocks with MobileNetV2's own
    layer plan. It should equal torchvision's ``mobilenet_v2()`` in params and MACs exactly.
    """
    layers: list[nn.Module] = [*conv_bn(3, STEM_CHANNELS, 3, 2)]
    c_in = STEM_CHANNELS
    for t, c, n, s in plan:
        for i in range(n):
            layers.append(MBBlock(c_in, c, s if i == 0 else 1, t, 3))
            c_in = c
    features = nn.Sequential(*layers, *make_head(c_in))
    return _PlainNet(features, nn.Linear(HEAD_CHANNELS, num_classes))


#: the architecture of the skeleton closest to MobileNetV2: MB6_K3 everywhere, no SE
MBV2_LIKE_ARCH: Arch = (OP_NAMES.index("MB6_K3"),) * NUM_LAYERS
