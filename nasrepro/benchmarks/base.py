"""Tabular ground truth: the stand-alone accuracy of every architecture of a space."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # only for annotations: reading a table needs no torch
    from nasrepro.spaces.base import Arch


def min_rank(values: np.ndarray) -> np.ndarray:
    """Rank 1 = highest value; ties share the best rank (scipy's ``rankdata(-v, method="min")``)."""
    neg_sorted = np.sort(-np.asarray(values, dtype=np.float64))
    return np.searchsorted(neg_sorted, -np.asarray(values, dtype=np.float64), side="left").astype(np.int64) + 1


@dataclass
class GroundTruth:
    """Accuracies aligned with ``archs``; rank 1 is the best, ties share the best (minimum) rank."""

    space: str
    archs: list[Arch]
    accuracy: np.ndarray
    std: np.ndarray | None = None
    source: str = ""
    rank: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.accuracy = np.asarray(self.accuracy, dtype=np.float64)
        self.rank = min_rank(self.accuracy)
        self._pos = {tuple(a): i for i, a in enumerate(self.archs)}

    def position(self, arch: Arch) -> int:
        try:
            return self._pos[tuple(arch)]
        except KeyError:
            raise KeyError(f"{arch!r} has no ground truth in {self.source or self.space}") from None

    def accuracy_of(self, arch: Arch) -> float:
        return float(self.accuracy[self.position(arch)])

    def rank_of(self, arch: Arch) -> int:
        return int(self.rank[self.position(arch)])

    def best(self) -> Arch:
        return tuple(self.archs[int(np.argmax(self.accuracy))])
