"""NAS-Bench-201 cells as the benchmark writes them: operations, edges and arch strings.

Plain data and string parsing, without torch, so that jobs that only look cells up (query-based search,
tables) start in a fraction of a second; ``nasrepro.spaces.nb201`` builds the networks on top of it.
"""

from __future__ import annotations

import re
from typing import Sequence

Arch = tuple[int, ...]

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
NUM_NODES = 4
# (source, target) of each decision, in arch-string order.
EDGES: tuple[tuple[int, int], ...] = tuple((j, i) for i in range(1, NUM_NODES) for j in range(i))
NUM_EDGES = len(EDGES)  # 6
NUM_ARCHS = len(OPS) ** NUM_EDGES  # 15,625

_TOKEN = re.compile(r"([A-Za-z_0-9]+)~(\d+)")


def arch_to_str(arch: Arch) -> str:
    """The benchmark's arch string of a 6-tuple of op ids."""
    arch = _check(arch)
    nodes = []
    for i in range(1, NUM_NODES):
        tokens = [f"{OPS[arch[e]]}~{src}" for e, (src, dst) in enumerate(EDGES) if dst == i]
        nodes.append("|" + "|".join(tokens) + "|")
    return "+".join(nodes)


def str_to_arch(text: str) -> Arch:
    """Parse ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` (spaces tolerated) into a 6-tuple of op ids."""
    s = re.sub(r"\s+", "", str(text))
    groups = [g for g in s.split("+")]
    if len(groups) != NUM_NODES - 1:
        raise ValueError(
            f"cannot parse NAS-Bench-201 arch string {text!r}: expected 3 nodes separated by '+', "
            "e.g. |nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
        )
    arch: list[int] = []
    for i, group in enumerate(groups, start=1):
        body = group.strip("|")
        tokens = body.split("|") if body else []
        if len(tokens) != i:
            raise ValueError(f"node {i} of {text!r} must have {i} inputs, found {len(tokens)}")
        for src, token in enumerate(tokens):
            m = _TOKEN.fullmatch(token)
            if m is None:
                raise ValueError(f"bad edge {token!r} in {text!r}; expected op~input, e.g. nor_conv_3x3~0")
            op, inp = m.group(1), int(m.group(2))
            if op not in OPS:
                raise ValueError(f"unknown NAS-Bench-201 operation {op!r} in {text!r}; known: {', '.join(OPS)}")
            if inp != src:
                raise ValueError(
                    f"edge {token!r} of node {i} in {text!r} must read node {src} (edges are in input order)"
                )
            arch.append(OPS.index(op))
    return tuple(arch)


def _check(arch: Sequence[int]) -> Arch:
    try:
        out = tuple(int(a) for a in arch)
    except (TypeError, ValueError):
        raise ValueError(f"{arch!r} is not a NAS-Bench-201 architecture (6 op ids in 0..4)") from None
    if len(out) != NUM_EDGES or any(not 0 <= a < len(OPS) for a in out):
        raise ValueError(f"{arch!r} is not a NAS-Bench-201 architecture (6 op ids in 0..4)")
    return out
