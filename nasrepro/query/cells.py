"""The cell space that query-based strategies search: NAS-Bench-201's 5**6 cells as 6-tuples of op ids.

What a strategy needs from a space, and nothing else: the number of blocks ``n`` and operations ``k``,
uniform sampling, the edit-distance-1 neighbours (ANASOD App. B, Fig. 4; in NAS-Bench-201 the wiring is
fixed, so a neighbour changes one operation: 6 x 4 = 24 neighbours), one mutation, and the three
encodings the BO rows compare (ANASOD p~, adjacency, path). A space of your own is a class with the same
attributes, named in the setting as ``space: "package.module:Class"``.
"""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np

from nasrepro.nb201_cells import EDGES, OPS, arch_to_str
from nasrepro.query import anasod

Arch = tuple[int, ...]

# Every input-to-output path of the cell DAG, as edge indices.
PATHS: tuple[tuple[int, ...], ...] = ((3,), (0, 4), (1, 5), (0, 2, 5))
_LIVE_OPS = tuple(range(1, len(OPS)))  # a path through "none" carries nothing


class NB201Cells:
    """NAS-Bench-201 cells for query-based search."""

    name = "nb201"
    n = len(EDGES)
    k = len(OPS)
    ops = OPS

    def size(self) -> int:
        return self.k ** self.n

    def check(self, arch: Sequence[int]) -> Arch:
        out = tuple(int(a) for a in arch)
        if len(out) != self.n or any(not 0 <= a < self.k for a in out):
            raise ValueError(f"{arch!r} is not a NAS-Bench-201 cell (6 op ids in 0..4)")
        return out

    def format(self, arch: Arch) -> str:
        """The benchmark's arch string, ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``."""
        return arch_to_str(self.check(arch))

    def random(self, rng: np.random.Generator) -> Arch:
        return tuple(int(a) for a in rng.integers(0, self.k, size=self.n))

    def neighbours(self, arch: Arch) -> list[Arch]:
        """Every cell at edit distance 1 (one operation changed), in a fixed order."""
        out = []
        for e in range(self.n):
            for op in range(self.k):
                if op != arch[e]:
                    out.append(arch[:e] + (op,) + arch[e + 1:])
        return out

    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """One uniformly chosen neighbour (the mutation of regularised evolution)."""
        e = int(rng.integers(self.n))
        op = int(rng.choice([o for o in range(self.k) if o != arch[e]]))
        return arch[:e] + (op,) + arch[e + 1:]

    # ------------------------------------------------------------------ encodings for surrogates
    def anasod(self, arch: Arch) -> np.ndarray:
        return anasod.encode(arch, self.k)

    def adjacency(self, arch: Arch) -> np.ndarray:
        """One-hot operation of every edge (the wiring is fixed, so this is the whole adjacency): 30 dims."""
        out = np.zeros((self.n, self.k))
        out[np.arange(self.n), list(arch)] = 1.0
        return out.ravel()

    def path(self, arch: Arch) -> np.ndarray:
        """Path encoding (White et al., BANANAS): how often each operation sequence occurs along the
        cell's input-to-output paths; a path through ``none`` carries nothing and is dropped. Sequences of
        length 1, 2 and 3 over the 4 live operations: 4 + 16 + 64 = 84 dims."""
        out = np.zeros(len(_PATH_INDEX))
        for path in PATHS:
            seq = tuple(arch[e] for e in path)
            if 0 not in seq:
                out[_PATH_INDEX[seq]] += 1.0
        return out

    def features(self, archs: Sequence[Arch], encoding: str) -> np.ndarray:
        try:
            fn = {"anasod": self.anasod, "adjacency": self.adjacency, "path": self.path}[encoding]
        except KeyError:
            raise ValueError(f"unknown encoding {encoding!r}; use anasod, adjacency or path") from None
        return np.stack([fn(a) for a in archs])


_PATH_INDEX: dict[tuple[int, ...], int] = {
    seq: i for i, seq in enumerate(s for length in (1, 2, 3) for s in itertools.product(_LIVE_OPS, repeat=length))
}

__all__ = ["EDGES", "NB201Cells", "OPS", "PATHS"]
