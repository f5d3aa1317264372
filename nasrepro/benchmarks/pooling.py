"""Published Pooling-benchmark ground truth (thesis Table 2.1)."""

from __future__ import annotations

from importlib import resources

import pandas as pd

from nasrepro.benchmarks.base import GroundTruth
from nasrepro.spaces.pooling import PoolingSpace, blocks_to_flags

CSV = "pooling_benchmark_cifar10.csv"


def load_pooling_table() -> pd.DataFrame:
    with resources.files("nasrepro.benchmarks").joinpath("data", CSV).open() as fh:
        return pd.read_csv(fh)


def load_pooling() -> GroundTruth:
    df = load_pooling_table()
    archs = [blocks_to_flags((int(r.n_high), int(r.n_mid), int(r.n_low))) for r in df.itertuples()]
    space = PoolingSpace()
    if archs != space.enumerate():
        raise RuntimeError("shipped pooling table is not in Table 2.1 order; the package data is damaged")
    return GroundTruth("pooling", archs, df.test_acc_mean.to_numpy(), df.test_acc_std.to_numpy(),
                       source="thesis Table 2.1")


def load_pooling_resolution() -> GroundTruth:
    """Table 2.1 on the paths of the per-resolution spaces (``pooling-resolution``, ``-all``): the 36
    benchmark paths keep their accuracies; the other 19,647 paths have no ground truth."""
    from nasrepro.spaces.resolution import flags_to_resolutions

    gt = load_pooling()
    return GroundTruth("pooling-resolution", [flags_to_resolutions(a) for a in gt.archs], gt.accuracy, gt.std,
                       source="thesis Table 2.1 (the 36 benchmark paths)")
