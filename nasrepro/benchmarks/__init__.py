"""Ground-truth registry: space name -> loader of its tabular benchmark."""

from __future__ import annotations

from nasrepro.benchmarks.base import GroundTruth
from nasrepro.registry import resolve

BENCHMARKS: dict[str, str] = {
    "pooling": "nasrepro.benchmarks.pooling:load_pooling",
    "pooling-resolution": "nasrepro.benchmarks.pooling:load_pooling_resolution",
    "pooling-resolution-all": "nasrepro.benchmarks.pooling:load_pooling_resolution",
    "nb-macro": "nasrepro.benchmarks.nb_macro:load_nb_macro",
    "nb201": "nasrepro.benchmarks.nb201:load_nb201",
}


def load_ground_truth(space: str, **options) -> GroundTruth:
    return resolve(BENCHMARKS, space, "benchmark")(**options)


__all__ = ["GroundTruth", "BENCHMARKS", "load_ground_truth"]
