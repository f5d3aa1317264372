"""NAS-Bench-201 ground truth (Dong & Yang 2020; NATS-Bench topology space, Dong et al. 2021).

Two sources:

* The **compact table** shipped with nasrepro, ``data/nb201_test_accuracy_200ep.csv.gz`` (provenance in
  ``data/NB201.README.md``): for all 15,625 cells in the benchmark's index order, the test accuracy
  after the 200-epoch schedule (``hp='200'``), averaged over the benchmark's seeds, on

  - ``cifar10``: trained on CIFAR-10 train + valid (50k images), tested on the 10k test set;
  - ``cifar100``: tested on NAS-Bench-201's ``x-test`` half of the CIFAR-100 test set;
  - ``ImageNet16-120``: tested on the ``x-test`` half of its test set.

  The published optima 94.37 / 73.51 / 47.31 are the maxima of these columns.

* The **full benchmark file** (``NAS-Bench-201-v1_1-096897.pth`` or ``v1_0-e61699.pth``) read with the
  ``nas-bench-201`` package (``pip install 'nasrepro[nb201]'``), when ``full_benchmark_path`` is given
  (config key ``benchmark.full_benchmark_path``). It adds validation and train accuracy, the 12-epoch
  budget (``hp='12'``), single seeds and the ``cifar10-valid`` dataset.

The NAS-Bench-201 trap: ``cifar10`` and ``cifar10-valid`` are different experiments. ``cifar10-valid``
trains on the 25k-image train split and reports ``x-valid`` (and ``ori-test``) accuracy; ``cifar10``
trains on train + valid and only has test accuracy. Papers that search on "CIFAR-10 validation
accuracy" use ``cifar10-valid``; the compact table cannot answer them, and this module says so
(``FullBenchmarkRequired``) instead of silently returning test accuracy.
"""

from __future__ import annotations

import functools
import gzip
import io
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from nasrepro.benchmarks.base import GroundTruth, min_rank
from nasrepro.errors import ConfigError, DataError, FullBenchmarkRequired
from nasrepro.spaces.base import Arch
from nasrepro.spaces.nb201 import (NUM_ARCHS, ORDER_TABLE, NB201Space, arch_to_str, benchmark_index, benchmark_order,
                                   str_to_arch)

TABLE_FILE = ORDER_TABLE.name  # the table the space reads its cell order from
CONFIG_KEY = "benchmark.full_benchmark_path"
FULL_FILES = "NAS-Bench-201-v1_1-096897.pth (or NAS-Bench-201-v1_0-e61699.pth)"
INSTALL_HINT = "pip install 'nasrepro[nb201]'"

# dataset -> column of the compact table
COLUMNS: dict[str, str] = {
    "cifar10": "CIFAR10TestAccuracy200Epochs",
    "cifar100": "CIFAR100TestAccuracy200Epochs",
    "ImageNet16-120": "ImageNetTestAccuracy200Epochs",
}
COMPACT_DATASETS: tuple[str, ...] = tuple(COLUMNS)
DATASETS: tuple[str, ...] = ("cifar10-valid", "cifar10", "cifar100", "ImageNet16-120")
METRICS: tuple[str, ...] = ("test", "valid", "train")
EPOCHS: tuple[int, ...] = (200, 12)

_METRIC_ALIASES = {
    "test": "test",
    "valid": "valid",
    "val": "valid",
    "validation": "valid",
    "train": "train",
    "training": "train",
}


# ------------------------------------------------------------------------------------ the table
@functools.lru_cache(maxsize=1)
def read_table() -> pd.DataFrame:
    """The compact table, checked: 15,625 rows, row i = benchmark index i, every cell exactly once."""
    try:
        raw = resources.files("nasrepro.benchmarks").joinpath("data").joinpath(TABLE_FILE).read_bytes()
    except (FileNotFoundError, OSError) as exc:
        raise DataError(
            f"NAS-Bench-201 table {TABLE_FILE} missing from the nasrepro package ({exc}); reinstall nasrepro"
        ) from None
    frame = pd.read_csv(io.BytesIO(gzip.decompress(raw)))
    missing = [c for c in (*COLUMNS.values(), "ArchitectureString") if c not in frame.columns]
    if missing or len(frame) != NUM_ARCHS:
        raise DataError(f"NAS-Bench-201 table {TABLE_FILE} is damaged: {len(frame)} rows, missing columns {missing}")
    archs = [str_to_arch(s) for s in frame["ArchitectureString"]]
    if len(set(archs)) != NUM_ARCHS or tuple(archs) != benchmark_order():
        raise DataError(f"NAS-Bench-201 table {TABLE_FILE} is damaged: architectures repeat or are out of order")
    frame["arch"] = archs
    return frame


@functools.lru_cache(maxsize=None)
def _ranks(dataset: str) -> np.ndarray:
    return min_rank(read_table()[COLUMNS[dataset]].to_numpy(np.float64))


# ---------------------------------------------------------------------------------- arguments
def _dataset(name: str) -> str:
    key = str(name).strip().lower().replace("_", "-")
    for d in DATASETS:
        if d.lower() == key:
            return d
    raise ConfigError(f"unknown NAS-Bench-201 dataset {name!r}; known: {', '.join(DATASETS)}")


def _metric(name: str) -> str:
    key = str(name).strip().lower().replace("_", "-")
    for suffix in ("-accuracy", "-acc"):
        if key.endswith(suffix):
            key = key[: -len(suffix)]
    try:
        return _METRIC_ALIASES[key]
    except KeyError:
        known = ", ".join(METRICS)
        raise ConfigError(f"unknown NAS-Bench-201 metric {name!r}; use one of {known} (accuracy)") from None


def _epochs(epochs: int | str) -> int:
    try:
        value = int(str(epochs).strip().lower().removesuffix("e").removeprefix("hp="))
    except ValueError:
        value = -1
    if value not in EPOCHS:
        raise ConfigError(
            f"NAS-Bench-201 trained every cell for 200 or 12 epochs (hp='200' / hp='12'), not {epochs!r}"
        )
    return value


def _full_required(what: str) -> FullBenchmarkRequired:
    return FullBenchmarkRequired(
        f"{what} is not in the compact NAS-Bench-201 table shipped with nasrepro (it holds only the "
        f"200-epoch test accuracy, mean over seeds, for {', '.join(COMPACT_DATASETS)}): the full benchmark "
        f"file {FULL_FILES} is needed; set `{CONFIG_KEY}` to its path in the config "
        f"(load_nb201(full_benchmark_path=...)) and install its reader with {INSTALL_HINT}"
    )


def _describe(dataset: str, metric: str, epochs: int, seed: int | None) -> str:
    agg = "mean over seeds" if seed is None else f"seed {seed}"
    return f"NAS-Bench-201 {dataset} {metric} accuracy after {epochs} epochs ({agg})"


# ------------------------------------------------------------------------------------ loaders
def load_nb201(
    dataset: str = "cifar10",
    metric: str = "test",
    epochs: int = 200,
    full_benchmark_path: str | Path | None = None,
    seed: int | None = None,
) -> GroundTruth:
    """Ground truth of the 15,625 cells, aligned with ``NB201Space().enumerate()``.

    Without ``full_benchmark_path`` only ``metric='test'``, ``epochs=200``, ``seed=None`` on
    ``cifar10`` / ``cifar100`` / ``ImageNet16-120`` can be served; anything else raises
    ``FullBenchmarkRequired`` naming the file and the config key ``benchmark.full_benchmark_path``.
    """
    ds, met, ep = _dataset(dataset), _metric(metric), _epochs(epochs)
    if seed is not None:
        seed = int(seed)
    if ds == "cifar10" and met == "valid":
        hint = (
            "NAS-Bench-201's 'cifar10' is trained on train+valid and has no validation accuracy; "
            "CIFAR-10 validation accuracy is dataset 'cifar10-valid' (trained on the 25k train split)"
        )
        if full_benchmark_path is not None:
            raise ConfigError(hint)
        raise _full_required(f"Validation accuracy of CIFAR-10 ({hint})")
    if full_benchmark_path is not None:
        return _load_full(Path(full_benchmark_path), ds, met, ep, seed)

    if ds == "cifar10-valid":
        raise _full_required(
            "Dataset 'cifar10-valid' (trained on the 25k CIFAR-10 train split; not the same as 'cifar10', "
            "which is trained on train+valid)"
        )
    if met != "test":
        raise _full_required(f"The {'validation' if met == 'valid' else met} accuracy")
    if ep != 200:
        raise _full_required(f"The {ep}-epoch budget (hp='{ep}')")
    if seed is not None:
        raise _full_required(f"The accuracy of a single seed ({seed})")
    frame = read_table()
    return GroundTruth(
        space=NB201Space.name,
        archs=list(benchmark_order()),
        accuracy=frame[COLUMNS[ds]].to_numpy(np.float64).copy(),
        source=_describe(ds, met, ep, seed) + f" [compact table {TABLE_FILE}]",
    )


def _load_full(path: Path, dataset: str, metric: str, epochs: int, seed: int | None) -> GroundTruth:
    path = path.expanduser()
    if not path.is_file():
        raise DataError(f"full NAS-Bench-201 file {path} does not exist (set by `{CONFIG_KEY}`); expected {FULL_FILES}")
    try:
        from nas_201_api import NASBench201API
    except ImportError:
        raise DataError(
            f"reading the full NAS-Bench-201 file {path.name} needs the nas-bench-201 package (nas_201_api): "
            f"{INSTALL_HINT}"
        ) from None
    api = NASBench201API(str(path), verbose=False)
    order = [arch_to_str(a) for a in benchmark_order()]
    meta = [str(a) for a in getattr(api, "meta_archs", [])]
    if meta != order:
        raise DataError(
            f"{path.name}: its {len(meta)} architectures are not the 15,625 NAS-Bench-201 cells in the index order "
            f"of nasrepro's table; is it a NAS-Bench-201 topology file ({FULL_FILES})?"
        )
    key = f"{metric}-accuracy"
    values = np.empty(len(order), dtype=np.float64)
    for i in range(len(order)):
        try:
            info = api.get_more_info(
                i, dataset, iepoch=None, hp=str(epochs), is_random=False if seed is None else seed
            )
        except (KeyError, ValueError, AssertionError) as exc:
            raise DataError(f"{path.name}: no {dataset} results with hp='{epochs}' for index {i} ({exc})") from None
        if info.get(key) is None:
            raise DataError(f"{path.name}: {dataset} has no {metric} accuracy (index {i}, hp='{epochs}')")
        values[i] = float(info[key])
    return GroundTruth(
        space=NB201Space.name,
        archs=list(benchmark_order()),
        accuracy=values,
        source=_describe(dataset, metric, epochs, seed) + f" [full benchmark {path.name}]",
    )


def lookup(arch_or_index: int | str | Sequence[int]) -> dict[str, Any]:
    """Accuracy and rank (1 = best, ties share the best rank) of one cell on all three datasets.

    ``arch_or_index``: a benchmark index, an arch string or a 6-tuple of op ids. Values come from
    the compact table (200-epoch test accuracy, mean over seeds).
    """
    space = NB201Space()
    arch = space.parse(arch_or_index)
    i = benchmark_index()[arch]
    frame = read_table()
    out: dict[str, Any] = {
        "index": i,
        "arch": arch_to_str(arch),
        "ops": arch,
        "metric": "test accuracy after 200 epochs, mean over seeds",
        "num_archs": NUM_ARCHS,
    }
    for ds, column in COLUMNS.items():
        out[ds] = {"accuracy": float(frame[column].iloc[i]), "rank": int(_ranks(ds)[i])}
    return out


__all__ = [
    "COLUMNS",
    "COMPACT_DATASETS",
    "CONFIG_KEY",
    "DATASETS",
    "benchmark_index",
    "benchmark_order",
    "load_nb201",
    "lookup",
    "read_table",
]
