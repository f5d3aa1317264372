"""Ground truth from our own stand-alone runs (config ``ground_truth: trained``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from nasrepro.benchmarks import load_ground_truth
from nasrepro.benchmarks.base import GroundTruth
from nasrepro.errors import ConfigError
from nasrepro.spaces import get_space


def load_standalone_records(files: Iterable[str | Path]) -> pd.DataFrame:
    """One row per trained network from the JSON lists ``nasrepro train-standalone`` writes (one per pack)."""
    rows: list[dict] = []
    for p in files:
        data = json.loads(Path(p).read_text())
        rows.extend(data if isinstance(data, list) else [data])
    return pd.DataFrame(rows)


def from_standalone(space_name: str, files: Iterable[str | Path]) -> GroundTruth:
    """Mean test accuracy over seeds of every architecture trained alone; ranks among those trained."""
    runs = load_standalone_records(files)
    if runs.empty:
        raise ConfigError(f"ground_truth: trained for {space_name!r} but no stand-alone runs were given; "
                          "set standalone_archs/standalone.seeds or use ground_truth: published")
    space = get_space(space_name)
    mean = runs.groupby("arch")["test_acc"].agg(["mean", "std"])
    archs = [space.parse(a) for a in mean.index]
    return GroundTruth(space_name, archs, mean["mean"].to_numpy(), mean["std"].fillna(0).to_numpy(),
                       source=f"our stand-alone training ({len(runs)} runs)")


def ground_truth_for(cfg: dict, space_name: str, trained_files: Iterable[str | Path] = ()) -> GroundTruth:
    """The ground truth the config chooses for scoring supernets: published (default) or trained."""
    section = cfg[space_name]
    space = section.get("space", space_name)  # a setting such as nb201-c100 names its space
    if section.get("ground_truth", "published") == "trained":
        return from_standalone(space, trained_files)
    # e.g. NAS-Bench-201 names its dataset key, metric, epoch budget and seed in ``benchmark``
    return load_ground_truth(space, **section.get("benchmark", {}))


def coverage(gt: GroundTruth, archs) -> np.ndarray:
    """Boolean mask of ``archs`` that have a ground-truth value."""
    return np.array([tuple(a) in gt._pos for a in archs])
