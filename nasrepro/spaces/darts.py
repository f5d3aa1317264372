"""The DARTS cell search space (Liu et al. 2019, "DARTS: Differentiable Architecture Search", §2-§3), as the
HEP-NAS appendix uses it: the search network, its mixed-operation relaxation, and the genotype encoding.

Why a space of its own: NAS-Bench-201 fixes one cell with one operation per edge; DARTS searches a normal and
a reduction cell and discretises each node to its two strongest inputs, so its architectures are genotypes, not
one op per edge, and its stand-alone network (``darts_eval``) is a larger skeleton than the search network.

Cell (DARTS §2.1)
    Nodes 0 and 1 are the outputs of the previous two cells, preprocessed to C channels (FactorizedReduce if
    the cell two back had twice the resolution, else ReLU-conv1x1-BN); intermediate nodes 2..5 each sum an
    operation on every earlier node, giving 14 edges (``EDGES``, node by node, sources in order); the cell's
    output concatenates nodes 2..5 (4C channels). In a reduction cell the edges out of nodes 0 and 1 have
    stride 2 (``skip_connect`` becomes FactorizedReduce).

Operations, in DARTS's ``PRIMITIVES`` order (the op id of the tuples): 0 ``none``, 1 ``max_pool_3x3``,
    2 ``avg_pool_3x3``, 3 ``skip_connect``, 4 ``sep_conv_3x3``, 5 ``sep_conv_5x5``, 6 ``dil_conv_3x3``,
    7 ``dil_conv_5x5``. In the search network every BN is affine=False and each pool is followed by a
    BN(affine=False), as DARTS's ``MixedOp``; the stem's BN is affine, as in DARTS's search ``Network``.

Search network (DARTS §3.1.1): stem conv3x3 to 3C (+BN), ``layers`` cells (8, C = 16), reduction cells at
    layers//3 and 2*layers//3 (channels double), global average pooling, linear classifier.

Relaxation (``MixedOpDarts``): one architecture-weight tensor ``alpha`` of shape [2, 14, 8], row 0 the normal
    cell's and row 1 the reduction cell's (DARTS keeps two [14, 8] tensors; one tensor keeps a single mask,
    optimiser state and checkpoint entry, and ``arch_parameters()`` returns ``[alpha]``). Each edge computes
    ``sum_o w[o] * o(x)`` with every operation run once per edge input, the edges leaving one state batched
    into one call per operation type (``darts_mixed``); ``none`` is never run (it adds
    zero) and a masked operation is neither weighted nor run.

Architectures (genotypes)
    DARTS's discretisation keeps, for every intermediate node, its two strongest incoming edges (by the edge's
    largest non-``none`` weight) and on each the strongest non-``none`` operation. An ``Arch`` is the tuple of
    32 ints: for the normal then the reduction cell, for nodes 2..5, ``(input_a, op_a, input_b, op_b)`` with
    ``input_a < input_b`` (the two inputs of a node are distinct, op ids 1..7). ``format`` writes DARTS's
    ``Genotype(...)`` text (pairs in input order); ``parse`` reads it back (pairs in any order, as DARTS prints
    them by strength) or 32 ints.

Size
    Per cell, node j (0..3) picks 2 of its 2 + j inputs and one of 7 operations on each:
    prod_j C(2 + j, 2) * 7**2 = 1 * 3 * 6 * 10 * 49**4 = 1,037,664,180; the pair of cells gives
    1,037,664,180**2 = 1,076,746,950,455,072,400 (about 1.08e18) genotypes. The space cannot be enumerated
    (``enumerate`` raises); ``index`` / ``from_index`` number it in closed form (mixed radix).
"""

from __future__ import annotations

import math
import re
from typing import Sequence

import numpy as np
import torch
from torch import nn

from nasrepro.errors import ConfigError
from nasrepro.spaces.base import Arch, SearchSpace, Supernet
from nasrepro.spaces.darts_mixed import source_sums
from nasrepro.spaces.nb201 import ReLUConvBN
from nasrepro.spaces.relaxed import RelaxedSupernet

OPS: tuple[str, ...] = ("none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
                        "dil_conv_3x3", "dil_conv_5x5")
NUM_OPS = len(OPS)
NONE = 0
STEPS = 4                     # intermediate nodes per cell
MULTIPLIER = 4                # the cell output concatenates the last 4 nodes
CELL_TYPES = ("normal", "reduce")
EDGES: tuple[tuple[int, int], ...] = tuple((src, j + 2) for j in range(STEPS) for src in range(j + 2))
NUM_EDGES = len(EDGES)        # 14
PER_NODE = 4                  # (input_a, op_a, input_b, op_b)
PER_CELL = STEPS * PER_NODE   # 16
ARCH_LEN = 2 * PER_CELL       # 32


def edge_index(src: int, node: int) -> int:
    """Position in ``EDGES`` of the edge from node ``src`` into intermediate node ``node`` (0..3)."""
    return 2 * node + node * (node - 1) // 2 + src


def node_size(node: int) -> int:
    """Genotype choices of intermediate node ``node`` (0..3): C(2 + node, 2) input pairs times 7**2 ops."""
    return math.comb(2 + node, 2) * (NUM_OPS - 1) ** 2


CELL_SIZE = math.prod(node_size(j) for j in range(STEPS))   # 1,037,664,180
SPACE_SIZE = CELL_SIZE ** 2                                   # 1,076,746,950,455,072,400


def check_arch(arch: Sequence[int]) -> Arch:
    """``arch`` as a tuple of 32 ints, or ValueError saying what is wrong with it."""
    arch = tuple(int(a) for a in arch)
    if len(arch) != ARCH_LEN:
        raise ValueError(f"a DARTS genotype is {ARCH_LEN} ints (2 cells x 4 nodes x (in, op, in, op)), got {len(arch)}")
    for k in range(2):
        for j in range(STEPS):
            a, oa, b, ob = arch[k * PER_CELL + j * PER_NODE: k * PER_CELL + (j + 1) * PER_NODE]
            if not 0 <= a < b < j + 2:
                raise ValueError(f"{CELL_TYPES[k]} node {j + 2}: inputs must be two distinct earlier nodes in "
                                 f"increasing order, got {a}, {b}")
            if not (0 < oa < NUM_OPS and 0 < ob < NUM_OPS):
                raise ValueError(f"{CELL_TYPES[k]} node {j + 2}: op ids are 1..{NUM_OPS - 1} (not ``none``), "
                                 f"got {oa}, {ob}")
    return arch


def cell_pairs(arch: Arch, cell: int) -> list[tuple[str, int]]:
    """The 8 (op name, input node) pairs of cell ``cell`` (0 normal, 1 reduce), DARTS's ``Genotype`` order."""
    part = arch[cell * PER_CELL: (cell + 1) * PER_CELL]
    out = []
    for j in range(STEPS):
        a, oa, b, ob = part[j * PER_NODE: (j + 1) * PER_NODE]
        out += [(OPS[oa], a), (OPS[ob], b)]
    return out


def genotype_str(arch: Sequence[int]) -> str:
    """DARTS's ``Genotype(normal=[...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])``."""
    arch = check_arch(arch)
    concat = list(range(2, 2 + STEPS))
    cells = [", ".join(f"('{op}', {i})" for op, i in cell_pairs(arch, k)) for k in range(2)]
    return (f"Genotype(normal=[{cells[0]}], normal_concat={concat}, "
            f"reduce=[{cells[1]}], reduce_concat={concat})")


_PAIR = re.compile(r"\(\s*['\"](\w+)['\"]\s*,\s*(\d+)\s*\)")


def _cell_from_pairs(pairs: list[tuple[str, int]], cell: str) -> list[int]:
    if len(pairs) != 2 * STEPS:
        raise ValueError(f"genotype {cell}: {2 * STEPS} (op, input) pairs expected, got {len(pairs)}")
    out: list[int] = []
    for j in range(STEPS):
        two = sorted(((int(i), name) for name, i in pairs[2 * j: 2 * j + 2]))
        for i, name in two:
            if name not in OPS:
                raise ValueError(f"genotype {cell}: unknown operation {name!r}; DARTS's are {OPS}")
            out += [i, OPS.index(name)]
    return out


def parse_genotype(text: str) -> Arch:
    """Inverse of ``genotype_str``; a node's two pairs may come in any order (DARTS prints them by strength)."""
    found = {}
    for cell in CELL_TYPES:
        m = re.search(rf"\b{cell}\s*=\s*\[([^\]]*)\]", text)
        if m is None:
            raise ValueError(f"not a DARTS genotype (no {cell}=[...]): {text!r}")
        found[cell] = [(name, int(i)) for name, i in _PAIR.findall(m.group(1))]
    return check_arch(_cell_from_pairs(found["normal"], "normal") + _cell_from_pairs(found["reduce"], "reduce"))


def _pairs(node: int) -> list[tuple[int, int]]:
    return [(a, b) for a in range(node + 2) for b in range(a + 1, node + 2)]


def arch_index(arch: Sequence[int]) -> int:
    """Mixed-radix number of ``arch`` in 0..SPACE_SIZE-1: cells, then nodes, most significant first; a node
    is (input pair in lexicographic order, op_a - 1, op_b - 1)."""
    arch = check_arch(arch)
    value = 0
    for k in range(2):
        for j in range(STEPS):
            a, oa, b, ob = arch[k * PER_CELL + j * PER_NODE: k * PER_CELL + (j + 1) * PER_NODE]
            digit = (_pairs(j).index((a, b)) * (NUM_OPS - 1) + oa - 1) * (NUM_OPS - 1) + ob - 1
            value = value * node_size(j) + digit
    return value


def arch_from_index(index: int) -> Arch:
    """Inverse of ``arch_index``."""
    index = int(index)
    if not 0 <= index < SPACE_SIZE:
        raise ValueError(f"DARTS genotype index must be 0..{SPACE_SIZE - 1}, got {index}")
    nodes: list[tuple[int, int, int, int]] = []
    for _ in range(2):
        for j in reversed(range(STEPS)):
            index, digit = divmod(index, node_size(j))
            pair, ops = divmod(digit, (NUM_OPS - 1) ** 2)
            a, b = _pairs(j)[pair]
            nodes.append((a, ops // (NUM_OPS - 1) + 1, b, ops % (NUM_OPS - 1) + 1))
    return tuple(v for node in reversed(nodes) for v in node)


# --------------------------------------------------------------------------------------- operations
class DilConv(nn.Module):
    """DARTS's dilated separable conv: ReLU, depthwise k x k (dilation d), pointwise 1x1, BN."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, dilation: int,
                 affine: bool = True):
        super().__init__()
        self.op = nn.Sequential(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, kernel, stride=stride, padding=padding, dilation=dilation, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class SepConv(nn.Module):
    """DARTS's separable conv: two (ReLU, depthwise k x k, pointwise, BN) units, the first one strided."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, padding: int, affine: bool = True):
        super().__init__()
        self.op = nn.Sequential(DilConv(c_in, c_in, kernel, stride, padding, 1, affine),
                                DilConv(c_in, c_out, kernel, 1, padding, 1, affine))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class FactorizedReduce(nn.Module):
    """Halve the resolution without losing pixels: ReLU, two 1x1 stride-2 convs (one shifted by a pixel),
    concatenated to ``c_out`` channels, BN (DARTS, after NASNet). ``c_out`` must be even."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True):
        super().__init__()
        if c_out % 2:
            raise ValueError(f"FactorizedReduce needs an even number of output channels, got {c_out}")
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


def make_op(name: str, c: int, stride: int, affine: bool) -> nn.Module:
    """One DARTS operation on ``c`` channels (``none`` has no module: it is never run)."""
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c, affine)
    if name == "sep_conv_3x3":
        return SepConv(c, c, 3, stride, 1, affine)
    if name == "sep_conv_5x5":
        return SepConv(c, c, 5, stride, 2, affine)
    if name == "dil_conv_3x3":
        return DilConv(c, c, 3, stride, 2, 2, affine)
    if name == "dil_conv_5x5":
        return DilConv(c, c, 5, stride, 4, 2, affine)
    raise ValueError(f"no module for DARTS operation {name!r}")


def preprocess(c_in: int, c_out: int, reduce_input: bool, affine: bool) -> nn.Module:
    """A cell input brought to ``c_out`` channels at the cell's resolution (DARTS ``preprocess0/1``)."""
    if reduce_input:
        return FactorizedReduce(c_in, c_out, affine)
    return ReLUConvBN(c_in, c_out, 1, affine=affine, bias=False)


def cell_plan(layers: int) -> list[bool]:
    """Which of ``layers`` cells are reduction cells: those at layers//3 and 2*layers//3 (DARTS §3)."""
    return [i in (layers // 3, 2 * layers // 3) for i in range(layers)]


# ------------------------------------------------------------------------------------ search network
class SearchCell(nn.Module):
    """A DARTS search cell: every one of the 7 runnable operations on each of the 14 edges (``edges[e][name]``)."""

    def __init__(self, c_pp: int, c_p: int, c: int, reduction: bool, reduction_prev: bool):
        super().__init__()
        self.reduction, self.c = reduction, c
        self.preprocess0 = preprocess(c_pp, c, reduction_prev, affine=False)
        self.preprocess1 = preprocess(c_p, c, False, affine=False)
        self.edges = nn.ModuleList()
        for src, _ in EDGES:
            stride = 2 if reduction and src < 2 else 1
            ops = {}
            for name in OPS[1:]:
                op = make_op(name, c, stride, affine=False)
                ops[name] = nn.Sequential(op, nn.BatchNorm2d(c, affine=False)) if "pool" in name else op
            self.edges.append(nn.ModuleDict(ops))

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, cell_arch: Sequence[int] | None = None,
                w: torch.Tensor | None = None, keep: list[list[bool]] | None = None) -> torch.Tensor:
        """The single path of one cell's genotype (16 ints: per node ``in_a, op_a, in_b, op_b``), or with
        ``cell_arch`` None the mixed cell of ``forward_mixed`` (so hooks on the cell see both;
        the mixed pass runs the edges' operations batched, not through their modules' ``forward``)."""
        if cell_arch is None:
            return self.forward_mixed(s0, s1, w, keep)
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for j in range(STEPS):
            a, oa, b, ob = cell_arch[j * PER_NODE: (j + 1) * PER_NODE]
            ya = self.edges[edge_index(a, j)][OPS[oa]](states[a])
            yb = self.edges[edge_index(b, j)][OPS[ob]](states[b])
            states.append(ya + yb)
        return torch.cat(states[2:], dim=1)

    def forward_mixed(self, s0: torch.Tensor, s1: torch.Tensor, w: torch.Tensor,
                      keep: list[list[bool]]) -> torch.Tensor:
        """Every edge mixed by ``w`` [14, 8] over the operations ``keep`` allows; ``none`` and masked
        operations are not run. The edges leaving one state run batched (``darts_mixed.source_sums``); a node
        adds its sources' sums in source order, so a one-hot ``w`` that keeps only a genotype's edges adds
        exactly what ``forward`` adds."""
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        pending: list[torch.Tensor | None] = [None] * STEPS
        for src in range(STEPS + 1):  # node 5 feeds no edge
            if src >= 2:
                states.append(self._node(pending[src - 2], states[1]))
            first = max(0, src - 1)
            out = [edge_index(src, j) for j in range(first, STEPS)]
            sums = source_sums(self.edges, states[src], out, w, keep, 2 if self.reduction and src < 2 else 1)
            if sums is not None:
                for i, j in enumerate(range(first, STEPS)):
                    pending[j] = sums[:, i] if pending[j] is None else pending[j] + sums[:, i]
        states.append(self._node(pending[STEPS - 1], states[1]))
        return torch.cat(states[2:], dim=1)

    def _node(self, total: torch.Tensor | None, s1: torch.Tensor) -> torch.Tensor:
        """A node's sum, or zeros where every edge into it runs only ``none``."""
        if total is not None:
            return total
        n, _, h, wd = s1.shape
        if self.reduction:
            h, wd = (h + 1) // 2, (wd + 1) // 2
        return s1.new_zeros(n, self.c, h, wd)


class DartsSearchNetwork(Supernet):
    """DARTS's search network (``forward(x, arch)`` runs one genotype's path through the shared weights;
    ``MixedOpDarts`` adds the architecture weights)."""

    def __init__(self, num_classes: int = 10, C: int = 16, layers: int = 8, stem_multiplier: int = 3):
        super().__init__()
        if layers < 1:
            raise ValueError(f"layers must be >= 1, got {layers}")
        self.C, self.layers, self.num_classes = C, layers, num_classes
        c_curr = stem_multiplier * C
        self.stem = nn.Sequential(nn.Conv2d(3, c_curr, 3, padding=1, bias=False), nn.BatchNorm2d(c_curr))
        c_pp, c_p, c_curr = c_curr, c_curr, C
        self.cells = nn.ModuleList()
        reduction_prev = False
        for reduction in cell_plan(layers):
            if reduction:
                c_curr *= 2
            self.cells.append(SearchCell(c_pp, c_p, c_curr, reduction, reduction_prev))
            reduction_prev = reduction
            c_pp, c_p = c_p, MULTIPLIER * c_curr
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, num_classes)

    def _head(self, s1: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.global_pool(s1), 1))

    def forward(self, x: torch.Tensor, arch: Arch) -> torch.Tensor:
        arch = check_arch(arch)
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            k = int(cell.reduction)
            s0, s1 = s1, cell(s0, s1, arch[k * PER_CELL: (k + 1) * PER_CELL])
        return self._head(s1)

    def forward_mixed(self, x: torch.Tensor, w: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """The relaxed network: ``w`` and ``keep`` are [2, 14, 8] (normal, reduce)."""
        masks = keep.tolist()
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            k = int(cell.reduction)
            s0, s1 = s1, cell(s0, s1, None, w[k], masks[k])
        return self._head(s1)


def derive_genotype(weights: torch.Tensor | np.ndarray) -> Arch:
    """DARTS's discretisation of [2, 14, 8] weights: per node the 2 edges with the largest non-``none``
    weight (ties: the lower source), on each its largest non-``none`` operation (ties: the lower op id).
    A masked operation has weight 0, so it is chosen only where a node has fewer than two edges with a kept
    non-``none`` operation (then its op is the first one)."""
    w = np.asarray(weights.detach().cpu().double() if torch.is_tensor(weights) else weights, dtype=np.float64)
    if w.shape != (2, NUM_EDGES, NUM_OPS):
        raise ValueError(f"DARTS weights are [2, {NUM_EDGES}, {NUM_OPS}], got {list(w.shape)}")
    out: list[int] = []
    for k in range(2):
        for j in range(STEPS):
            rows = w[k, [edge_index(s, j) for s in range(j + 2)], 1:]
            strength = rows.max(axis=1)
            top = sorted(sorted(range(j + 2), key=lambda s: -strength[s])[:2])
            for s in top:
                out += [s, int(np.argmax(rows[s])) + 1]
    return tuple(out)


def remaining_genotypes(keep: np.ndarray) -> int:
    """``MixedOpDarts.remaining_space`` of a [2, 14, 8] mask (all kept: ``SPACE_SIZE``)."""
    n = np.asarray(keep, dtype=bool)[:, :, 1:].sum(axis=-1).astype(object)  # Python ints: the count reaches 1e18
    total = 1
    for k in range(2):
        for j in range(STEPS):
            total *= sum(n[k, edge_index(a, j)] * n[k, edge_index(b, j)] for a, b in _pairs(j))
    return int(total)


class MixedOpDarts(RelaxedSupernet):
    """The relaxed DARTS search network: ``DartsSearchNetwork``'s weights plus architecture weights ``alpha``
    ([2, 14, 8]: normal, reduce; module docstring), the interface of ``MixedOpNB201``.

    ``categorical``: ``per-edge`` (DARTS: one categorical per edge and cell type) or ``shared`` (one over the
    8 operations for every edge of both cells, as ANASOD-DNAS). ``parametrisation``: ``softmax`` logits (DARTS,
    Adam) or ``simplex`` weights (GAEA's exponentiated step). Logits start at 0 (DARTS draws 1e-3 * N(0, 1);
    zeros keep the package's relaxations free of an extra random draw).
    """

    def __init__(self, net: DartsSearchNetwork, categorical: str = "per-edge", parametrisation: str = "softmax"):
        super().__init__(net, (2, NUM_EDGES, NUM_OPS), categorical, parametrisation)

    def forward(self, x: torch.Tensor, arch: Arch | None = None) -> torch.Tensor:
        if arch is not None:
            return self.net(x, arch)
        return self.net.forward_mixed(x, self.arch_weights(), self.keep)

    def row_modules(self, row: int) -> list[nn.Module]:
        """Row ``row`` (cell type row // 14, edge row % 14): that edge's operations in every cell of the type."""
        kind, edge = divmod(int(row), NUM_EDGES)
        return [cell.edges[edge] for cell in self.net.cells if int(cell.reduction) == kind]

    def remaining_space(self) -> int:
        """Genotypes the mask allows: per cell and node, the sum over input pairs (a < b) of n_a * n_b, n_s the
        kept non-``none`` operations on edge (s, node); the product over nodes and both cells."""
        return remaining_genotypes(self.keep.cpu().numpy())

    def derive(self) -> Arch:
        """DARTS's genotype of the current weights (``derive_genotype``)."""
        return derive_genotype(self.arch_weights())

    def log_likelihood(self, arch: Arch) -> float:
        """log of the product of the weights of ``arch``'s 16 (edge, operation) choices (floored at 1e-12)."""
        w = self.arch_weights().detach().double().cpu().numpy()
        arch = check_arch(arch)
        total = 0.0
        for k in range(2):
            for j in range(STEPS):
                a, oa, b, ob = arch[k * PER_CELL + j * PER_NODE: k * PER_CELL + (j + 1) * PER_NODE]
                total += np.log(max(w[k, edge_index(a, j), oa], 1e-12)) + np.log(max(w[k, edge_index(b, j), ob], 1e-12))
        return float(total)

    @staticmethod
    def sample_weights(w: np.ndarray, rng: np.random.Generator) -> Arch:
        """A genotype drawn from [2, 14, 8] weights: per node two distinct inputs without replacement, each
        with probability proportional to its edge's non-``none`` mass, then each edge's op from its non-``none``
        weights renormalised (our reading of ANASOD-DNAS's "sample cells" for a two-input-per-node cell)."""
        w = np.asarray(w, dtype=np.float64)
        out: list[int] = []
        for k in range(2):
            for j in range(STEPS):
                rows = w[k, [edge_index(s, j) for s in range(j + 2)], 1:] + 1e-12
                mass = rows.sum(axis=1)
                inputs = sorted(int(s) for s in rng.choice(j + 2, size=2, replace=False, p=mass / mass.sum()))
                for s in inputs:
                    out += [s, int(rng.choice(NUM_OPS - 1, p=rows[s] / rows[s].sum())) + 1]
        return tuple(out)


# ----------------------------------------------------------------------------------------------- space
class DartsSpace(SearchSpace):
    """DARTS's genotypes (about 1.08e18; not enumerable), its search network and evaluation network."""

    name = "darts"
    network_is_subnet = False  # the evaluation network has 20 cells and an auxiliary head (darts_eval)

    def __init__(self, C: int = 16, layers: int = 8):
        """``C`` and ``layers``: the search network's (DARTS §3.1.1: 8 cells, C = 16; HEP-NAS appendix)."""
        self.C, self.layers = C, layers

    def choices_per_decision(self) -> list[int]:
        """Per cell and node: input_a, op_a, input_b, op_b (2 + j inputs, 8 op ids; ``input_a < input_b``
        and op != ``none`` restrict them further, so ``size`` is not this product)."""
        return [n for _ in range(2) for j in range(STEPS) for n in (j + 2, NUM_OPS, j + 2, NUM_OPS)]

    def size(self) -> int:
        return SPACE_SIZE

    def enumerate(self) -> list[Arch]:
        raise ConfigError(f"space 'darts' has {SPACE_SIZE:,} genotypes and cannot be enumerated; use "
                          f"sample(), index()/from_index() or a differentiable search")

    def index(self, arch: Arch) -> int:
        try:
            return arch_index(arch)
        except ValueError:
            raise ValueError(f"{arch!r} is not an architecture of space {self.name!r}") from None

    def from_index(self, index: int) -> Arch:
        return arch_from_index(index)

    def sample(self, rng: np.random.Generator, n: int = 1) -> list[Arch]:
        """``n`` genotypes drawn uniformly from the ``size()`` of them."""
        out = []
        for _ in range(int(n)):
            arch: list[int] = []
            for _cell in range(2):
                for j in range(STEPS):
                    a, b = sorted(int(s) for s in rng.choice(j + 2, size=2, replace=False))
                    oa, ob = (int(o) for o in rng.integers(1, NUM_OPS, size=2))
                    arch += [a, oa, b, ob]
            out.append(tuple(arch))
        return out

    def format(self, arch: Arch) -> str:
        return genotype_str(arch)

    def parse(self, text: str | Sequence[int]) -> Arch:
        """DARTS's ``Genotype(...)`` text (as ``format`` writes or DARTS prints it) or 32 ints."""
        if isinstance(text, (list, tuple)):
            return check_arch(text)
        return parse_genotype(str(text))

    def edges(self) -> list[tuple[int, int]]:
        """The 14 (source, destination) node pairs of a cell (nodes 0, 1 inputs, 2..5 intermediate); the
        normal and reduction cells share them (masks are [2, 14, 8])."""
        return list(EDGES)

    def standalone_model(self, arch: Arch, num_classes: int = 10, width: float = 1.0, **network) -> nn.Module:
        """The evaluation network (``build_network`` with ``network``: layers, channels, auxiliary, drop_path,
        imagenet) behind the ``forward(x, arch)`` the stand-alone trainer calls."""
        from nasrepro.spaces.darts_eval import Standalone

        try:
            return Standalone(self.build_network(arch, num_classes, width, **network))
        except TypeError as exc:
            raise ConfigError(f"standalone.network of space 'darts' takes layers, channels, auxiliary, drop_path "
                              f"and imagenet ({exc})") from None

    @staticmethod
    def _channels(c: int, width: float) -> int:
        return max(2, 2 * int(round(c * width / 2)))  # even: FactorizedReduce splits the channels in two

    def build_supernet(self, num_classes: int = 10, width: float = 1.0,
                       layers: int | None = None) -> DartsSearchNetwork:
        """The search network (``layers`` default 8, C = 16 * width, rounded to even)."""
        return DartsSearchNetwork(num_classes, self._channels(self.C, width), self.layers if layers is None else layers)

    def build_relaxed(self, num_classes: int = 10, width: float = 1.0, categorical: str = "per-edge",
                      parametrisation: str = "softmax", layers: int | None = None) -> MixedOpDarts:
        """DARTS's relaxed search network (``MixedOpDarts``)."""
        return MixedOpDarts(self.build_supernet(num_classes, width, layers), categorical, parametrisation)

    def build_network(self, arch: Arch, num_classes: int = 10, width: float = 1.0, **options) -> nn.Module:
        """DARTS's evaluation network of genotype ``arch`` (``darts_eval.DartsNetwork``; ``options``: layers,
        channels, auxiliary, drop_path, imagenet). Its channels are ``channels * width`` (rounded to even)."""
        from nasrepro.spaces.darts_eval import DartsNetwork

        imagenet = bool(options.pop("imagenet", False))
        channels = options.pop("channels", None)
        channels = (48 if imagenet else 36) if channels is None else channels
        return DartsNetwork(arch, num_classes, channels=self._channels(channels, width), imagenet=imagenet, **options)


__all__ = ["CELL_SIZE", "EDGES", "NUM_EDGES", "NUM_OPS", "OPS", "SPACE_SIZE", "DartsSearchNetwork", "DartsSpace",
           "DilConv", "FactorizedReduce", "MixedOpDarts", "SearchCell", "SepConv", "arch_from_index", "arch_index",
           "check_arch", "derive_genotype", "edge_index", "genotype_str", "make_op", "parse_genotype",
           "remaining_genotypes"]
