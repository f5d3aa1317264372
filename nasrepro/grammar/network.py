"""Networks from algebraic terms (Phi of seed 003): a PyTorch module for any term of the hierarchical
NAS-Bench-201 grammar, with the primitive computations of the seed's Table 1.

Topological operators: ``Linear_n`` applies its arguments in sequence; ``Residual_n`` applies the first n
in sequence and adds the last (the skip) to their result; ``Cell`` is the NAS-Bench-201 cell, node j
summing its incoming edges. ``down`` halves the resolution and doubles the channels
(conv3x3_{s=1}(conv3x3_{s=2}(x)) + conv1x1(avg_pool_{2,2}(x)), Table 1), so the two sides of a sum agree
whenever the grammar's D_i bookkeeping holds. Convolutions keep the channels; ``batch`` is BatchNorm,
``instance`` InstanceNorm with affine parameters and ``layer`` LayerNorm over (C, H, W) (GroupNorm with one
group), so all three normalise any resolution. The grammar leaves out the stem (3x3 conv + BN) and the
classifier (BN, ReLU, global average pooling, linear); ``TermNetwork`` adds both, with 16 stem channels
(App. J.3).
"""

from __future__ import annotations

import torch
from torch import nn

from nasrepro.grammar.terms import CELL_EDGES, Term, kind


class Zero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


class Down(nn.Module):
    """Table 1's ``down``: a strided residual block, 2x fewer pixels and 2x more channels."""

    def __init__(self, c: int):
        super().__init__()
        self.main = nn.Sequential(nn.Conv2d(c, 2 * c, 3, 2, 1, bias=False), nn.Conv2d(2 * c, 2 * c, 3, 1, 1, bias=False))
        self.skip = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c, 2 * c, 1, 1, 0, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x) + self.skip(x)


def primitive(name: str, c: int) -> tuple[nn.Module, int]:
    """(module, output channels) of a primitive of Table 1 on ``c`` input channels."""
    table = {
        "id": lambda: nn.Identity(), "zero": lambda: Zero(),
        "avg_pool": lambda: nn.AvgPool2d(3, 1, 1, count_include_pad=False),
        "conv1x1": lambda: nn.Conv2d(c, c, 1, 1, 0, bias=False),
        "conv3x3": lambda: nn.Conv2d(c, c, 3, 1, 1, bias=False),
        "dconv3x3": lambda: nn.Conv2d(c, c, 3, 1, 1, groups=c, bias=False),
        "relu": lambda: nn.ReLU(), "hardswish": lambda: nn.Hardswish(), "mish": lambda: nn.Mish(),
        "batch": lambda: nn.BatchNorm2d(c), "instance": lambda: nn.InstanceNorm2d(c, affine=True),
        "layer": lambda: nn.GroupNorm(1, c),
    }
    if name == "down":
        return Down(c), 2 * c
    try:
        return table[name](), c
    except KeyError:
        raise ValueError(f"primitive {name!r} is not one of seed 003 Table 1's: {', '.join(sorted(table) + ['down'])}") from None


class Chain(nn.Module):
    def __init__(self, parts: list[nn.Module], skip: nn.Module | None = None):
        super().__init__()
        self.parts = nn.ModuleList(parts)
        self.skip = skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        for p in self.parts:
            y = p(y)
        return y if self.skip is None else y + self.skip(x)


class CellModule(nn.Module):
    def __init__(self, edges: list[nn.Module]):
        super().__init__()
        self.edges = nn.ModuleList(edges)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for j in (1, 2, 3):
            nodes.append(sum(op(nodes[src]) for op, (src, dst) in zip(self.edges, CELL_EDGES) if dst == j))
        return nodes[3]


def build(term: Term, c: int) -> tuple[nn.Module, int]:
    """(module, output channels) of ``term`` on ``c`` input channels."""
    if not term.children:
        return primitive(term.head, c)
    k = kind(term.head)
    if k == "cell":
        mods = []
        for child in term.children:
            m, out = build(child, c)
            if out != c:
                raise ValueError(f"an operation inside a Cell must keep the channels ({child} changes them)")
            mods.append(m)
        return CellModule(mods), c
    main = term.children if k == "linear" else term.children[:-1]
    parts, ch = [], c
    for child in main:
        m, ch = build(child, ch)
        parts.append(m)
    skip = None
    if k == "residual":
        skip, skip_ch = build(term.children[-1], c)
        if skip_ch != ch:
            raise ValueError(f"{term.head}: the main path ends with {ch} channels, the skip with {skip_ch}")
    return Chain(parts, skip), ch


class TermNetwork(nn.Module):
    """Stem, the term's network, classifier. ``forward(x, arch=None)`` takes (and ignores) an architecture,
    so the harness's trainer and evaluator drive it like a one-path supernet."""

    def __init__(self, term: Term, num_classes: int = 10, channels: int = 16):
        super().__init__()
        self.term = term.text()
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 3, 1, 1, bias=False), nn.BatchNorm2d(channels))
        self.body, out = build(term, channels)
        self.head = nn.Sequential(nn.BatchNorm2d(out), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                  nn.Linear(out, num_classes))

    def forward(self, x: torch.Tensor, arch=None) -> torch.Tensor:
        return self.head(self.body(self.stem(x)))


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


__all__ = ["TermNetwork", "build", "parameter_count", "primitive"]
