"""DARTS's evaluation network for one genotype (Liu et al. 2019 §3.2 and its reference ``NetworkCIFAR`` /
``NetworkImageNet``), which the HEP-NAS appendix retrains its DARTS-space cells with.

Why separate from the search network: DARTS does not retrain a path of the search supernet; it builds a
deeper, wider network of the found cells (CIFAR: 20 cells, C = 36; ImageNet mobile setting: 14 cells, C = 48)
with affine BN, drop-path and an auxiliary head, so the stand-alone network has its own skeleton.

- Cells: each intermediate node sums its genotype's two operations; the output concatenates nodes 2..5.
  Reductions at layers//3 and 2*layers//3.
- Drop-path (DARTS §3.2, "path dropout"): in training mode each non-identity operation's output is zeroed
  per sample with probability ``drop_path_prob`` and the survivors scaled by 1 / (1 - p). DARTS raises the
  probability linearly over training, ``p = drop_path * epoch / epochs``: set ``drop_path_prob`` or call
  ``set_progress(epoch, epochs)`` before each epoch (it starts at 0, DARTS's epoch-0 value).
- Auxiliary head (DARTS §3.2, weight 0.4, after NASNet): on the output of cell 2*layers//3. ``forward``
  returns ``(logits, aux_logits)`` only when ``auxiliary`` is on and the module is in training mode, and
  ``logits`` otherwise; ``training.task.task_loss`` of that pair is ``CE(logits) + 0.4 * CE(aux_logits)``.
- Parameter count: DARTS reports parameters without the auxiliary head (its ``count_parameters_in_MB`` skips
  names containing "auxiliary"); ``count_parameters`` does the same. DARTS-V2 at 20 cells, C = 36, 10 classes:
  3,349,342 parameters (Table 1: 3.3 M); the ImageNet network (14 cells, C = 48, 1000 classes) 4,718,752
  (Table 2: 4.7 M). Both checked in tests/test_darts_space.py.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from nasrepro.errors import ConfigError
from nasrepro.spaces.base import Arch
from nasrepro.spaces.darts import (MULTIPLIER, OPS, PER_CELL, PER_NODE, STEPS, cell_plan, check_arch, make_op,
                                   parse_genotype, preprocess)


# DARTS's published cell (second-order search, Table 1: 2.76 % error, 3.3 M parameters), its genotypes.py text
DARTS_V2 = parse_genotype(
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], "
    "reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])")


def drop_path(x: torch.Tensor, p: float) -> torch.Tensor:
    """Zero whole samples of ``x`` with probability ``p``, scaling the kept ones by 1 / (1 - p)."""
    keep = 1.0 - p
    mask = torch.empty(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device).bernoulli_(keep)
    return x / keep * mask


class EvalCell(nn.Module):
    """One cell of a genotype (16 ints of ``check_arch``'s layout) with affine BN."""

    def __init__(self, cell_arch: Sequence[int], c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool):
        super().__init__()
        self.reduction = reduction
        self.preprocess0 = preprocess(c_pp, c, reduction_prev, affine=True)
        self.preprocess1 = preprocess(c_p, c, False, affine=True)
        self.inputs: list[int] = []
        ops = []
        for j in range(STEPS):
            a, oa, b, ob = cell_arch[j * PER_NODE: (j + 1) * PER_NODE]
            for src, op in ((a, oa), (b, ob)):
                self.inputs.append(int(src))
                ops.append(make_op(OPS[op], c, 2 if reduction and src < 2 else 1, affine=True))
        self.ops = nn.ModuleList(ops)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, drop_prob: float) -> torch.Tensor:
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for j in range(STEPS):
            h = []
            for i in (2 * j, 2 * j + 1):
                y = self.ops[i](states[self.inputs[i]])
                if self.training and drop_prob > 0 and not isinstance(self.ops[i], nn.Identity):
                    y = drop_path(y, drop_prob)
                h.append(y)
            states.append(h[0] + h[1])
        return torch.cat(states[2:], dim=1)


class AuxiliaryHead(nn.Module):
    """DARTS's auxiliary tower: ReLU, 5x5 average pool, 1x1 conv to 128 + BN + ReLU, 2x2 conv to 768 (+BN on
    CIFAR; the ImageNet head has none, as DARTS's experiments), ReLU, linear. CIFAR expects 8x8 inputs
    (pool stride 3), ImageNet 14x14 (pool stride 2)."""

    def __init__(self, c: int, num_classes: int, imagenet: bool = False):
        super().__init__()
        layers: list[nn.Module] = [
            nn.ReLU(inplace=False),
            nn.AvgPool2d(5, stride=2 if imagenet else 3, padding=0, count_include_pad=False),
            nn.Conv2d(c, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=False),
            nn.Conv2d(128, 768, 2, bias=False),
        ]
        if not imagenet:
            layers.append(nn.BatchNorm2d(768))
        layers.append(nn.ReLU(inplace=False))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(768, num_classes)
        self.stride = 2 if imagenet else 3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # a shape check on the host: the pool then the 2x2 conv must leave 1x1 (CIFAR: 8x8 maps from 32 px
        # input; ImageNet: 7x7 from 224 px), else the pool or the classifier fails with a bare shape error
        side = x.shape[-1]
        if side < 5 or (side - 5) // self.stride != 1:
            raise ConfigError(f"the auxiliary head needs a {'7x7' if self.stride == 2 else '8x8'} feature map at 2/3 "
                              f"depth ({'224' if self.stride == 2 else '32'} px input), got {x.shape[-2]}x{side}; set "
                              "the setting's standalone.network.auxiliary: false for other image sizes")
        return self.classifier(torch.flatten(self.features(x), 1))


class DartsNetwork(nn.Module):
    """The evaluation network of a DARTS genotype (module docstring).

    Options, with the paper's values as defaults (HEP-NAS appendix / DARTS §3.2):

    - ``layers``: cells; 20 on CIFAR, 14 on ImageNet (``None``: by ``imagenet``);
    - ``channels``: initial channels C; 36 on CIFAR, 48 on ImageNet;
    - ``auxiliary``: the auxiliary head after cell 2*layers//3 (weight 0.4 in the loss; DARTS uses it on both);
    - ``drop_path``: the final drop-path probability; 0.2 on CIFAR, 0 on ImageNet (DARTS's ImageNet script);
    - ``imagenet``: the ImageNet skeleton, three stride-2 3x3 convs (two stems: C/2 -> C, then C) before the
      cells instead of one stride-1 stem conv to 3C.
    """

    def __init__(self, arch: Arch, num_classes: int = 10, channels: int | None = None, layers: int | None = None,
                 auxiliary: bool = True, drop_path: float | None = None, imagenet: bool = False):
        super().__init__()
        arch = check_arch(arch)
        channels = (48 if imagenet else 36) if channels is None else int(channels)
        layers = (14 if imagenet else 20) if layers is None else int(layers)
        self.drop_path = (0.0 if imagenet else 0.2) if drop_path is None else float(drop_path)
        self.drop_path_prob = 0.0
        self.arch, self.layers, self.auxiliary, self.imagenet = arch, layers, bool(auxiliary), bool(imagenet)
        c = channels
        if imagenet:
            self.stem0 = nn.Sequential(
                nn.Conv2d(3, c // 2, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(inplace=False),
                nn.Conv2d(c // 2, c, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c))
            self.stem1 = nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(c, c, 3, stride=2, padding=1, bias=False),
                                       nn.BatchNorm2d(c))
            c_pp = c_p = c
            reduction_prev = True  # stem0's output has twice stem1's resolution
        else:
            self.stem = nn.Sequential(nn.Conv2d(3, 3 * c, 3, padding=1, bias=False), nn.BatchNorm2d(3 * c))
            c_pp = c_p = 3 * c
            reduction_prev = False
        self.aux_at = 2 * layers // 3
        self.cells = nn.ModuleList()
        c_curr, c_aux = c, None
        for i, reduction in enumerate(cell_plan(layers)):
            if reduction:
                c_curr *= 2
            k = int(reduction)
            self.cells.append(EvalCell(arch[k * PER_CELL: (k + 1) * PER_CELL], c_pp, c_p, c_curr, reduction,
                                       reduction_prev))
            reduction_prev = reduction
            c_pp, c_p = c_p, MULTIPLIER * c_curr
            if i == self.aux_at:
                c_aux = c_p
        if self.auxiliary:
            self.auxiliary_head = AuxiliaryHead(c_aux, num_classes, imagenet)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def set_progress(self, epoch: int, epochs: int) -> None:
        """DARTS's linear drop-path schedule: ``drop_path_prob = drop_path * epoch / epochs``."""
        self.drop_path_prob = self.drop_path * epoch / max(1, epochs)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if self.imagenet:
            s0 = self.stem0(x)
            s1 = self.stem1(s0)
        else:
            s0 = s1 = self.stem(x)
        aux = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_prob)
            if i == self.aux_at and self.auxiliary and self.training:
                aux = self.auxiliary_head(s1)
        logits = self.classifier(torch.flatten(self.global_pool(s1), 1))
        return logits if aux is None else (logits, aux)


class Standalone(nn.Module):
    """A ``DartsNetwork`` behind the ``forward(x, arch)`` of the package's trainers (the genotype is the
    network's own, so ``arch`` is only checked), with its drop-path schedule (``set_progress``). In training
    mode with the auxiliary head it returns ``(logits, aux_logits)``, which ``training.task.task_loss`` weighs
    0.4 (DARTS §3.2)."""

    def __init__(self, net: DartsNetwork):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor, arch: Arch | None = None) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if arch is not None and tuple(arch) != self.net.arch:
            raise ValueError("this evaluation network computes its own genotype only")
        return self.net(x)

    def set_progress(self, epoch: int, epochs: int) -> None:
        self.net.set_progress(epoch, epochs)


def count_parameters(model: nn.Module) -> int:
    """Parameters as DARTS counts them: without the auxiliary head."""
    return sum(p.numel() for name, p in model.named_parameters() if "auxiliary" not in name)


__all__ = ["DARTS_V2", "AuxiliaryHead", "DartsNetwork", "EvalCell", "Standalone", "count_parameters",
           "drop_path"]
