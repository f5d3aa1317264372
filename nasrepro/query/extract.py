"""One-time extract of the full NAS-Bench-201 file for query-based search (``nasrepro query-extract``).

Reading the multi-GB benchmark file takes minutes, so a workflow job reads it once per dataset and writes
what the query jobs need to a small ``.npz``: per cell, the 200-epoch **validation** accuracy of every
seed the benchmark trained it with (NaN where a seed is missing), and its training time in seconds (the
simulated GPU-seconds of ANASOD Fig. 3). CIFAR-10 validation accuracy lives in the benchmark's
``cifar10-valid`` experiment (trained on the 25k train split); ``cifar100`` and ``ImageNet16-120`` report it
on their ``x-valid`` halves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nasrepro.errors import DataError

SEEDS = (777, 888, 999)  # the 200-epoch seeds of NAS-Bench-201
EXPERIMENT = {"cifar10": "cifar10-valid", "cifar100": "cifar100", "ImageNet16-120": "ImageNet16-120"}
INSTALL_HINT = "pip install 'nasrepro[nb201]'"


def extract(full_path: str | Path, dataset: str, out: str | Path) -> dict:
    """Write ``out`` (npz: arch strings, valid accuracy per seed, train seconds) from the benchmark file."""
    from nasrepro.io import atomic_path

    path = Path(full_path).expanduser()
    if not path.is_file():
        raise DataError(f"full NAS-Bench-201 file {path} does not exist (setting key full_benchmark_path)")
    if dataset not in EXPERIMENT:
        raise DataError(f"NAS-Bench-201 dataset {dataset!r} unknown; use one of {', '.join(EXPERIMENT)}")
    try:
        from nas_201_api import NASBench201API
    except ImportError:
        raise DataError(f"reading {path.name} needs the nas-bench-201 package (nas_201_api): {INSTALL_HINT}") from None
    api = NASBench201API(str(path), verbose=False)
    archs = [str(a) for a in api.meta_archs]
    exp = EXPERIMENT[dataset]
    valid = np.full((len(archs), len(SEEDS)), np.nan)
    seconds = np.full(len(archs), np.nan)
    for i in range(len(archs)):
        for j, seed in enumerate(SEEDS):
            try:
                info = api.get_more_info(i, exp, iepoch=None, hp="200", is_random=seed)
            except (KeyError, ValueError, AssertionError):
                continue  # the benchmark did not train this cell with this seed
            if info.get("valid-accuracy") is not None:
                valid[i, j] = float(info["valid-accuracy"])
            if np.isnan(seconds[i]) and info.get("train-all-time") is not None:
                seconds[i] = float(info["train-all-time"])
        if np.all(np.isnan(valid[i])):
            raise DataError(f"{path.name}: cell {i} has no {exp} validation accuracy at hp='200'")
    with atomic_path(out, suffix=".npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, archs=np.array(archs), valid=valid, seconds=seconds, seeds=np.array(SEEDS),
                     dataset=np.array(dataset), experiment=np.array(exp), source=np.array(path.name))
    return {"cells": len(archs), "dataset": dataset, "experiment": exp,
            "seeds_present": int(np.sum(~np.isnan(valid))), "out": str(out)}


def read_extract(path: str | Path, dataset: str, reading: str = "single-seed"):
    """The objective of an extract: validation error per seed and training seconds."""
    from nasrepro.nb201_cells import str_to_arch
    from nasrepro.query.objective import Objective

    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            archs, valid, seconds = z["archs"], z["valid"], z["seconds"]
            got, exp, source = str(z["dataset"]), str(z["experiment"]), str(z["source"])
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"NAS-Bench-201 extract {path} is unreadable ({exc}); delete it and rerun "
                        "(nasrepro query-extract rebuilds it)") from None
    if got != dataset:
        raise DataError(f"{path} is the extract of {got}, not {dataset}; delete it and rerun")
    seed_errors = 100.0 - valid
    with np.errstate(all="ignore"):
        error = np.nanmean(seed_errors, axis=1)
    return Objective(dataset=dataset,
                     metric=f"NAS-Bench-201 {exp} validation error (%) after 200 epochs [full benchmark {source}]",
                     archs=[str_to_arch(str(a)) for a in archs], error=error, seed_errors=seed_errors,
                     cost=None if np.all(np.isnan(seconds)) else np.nan_to_num(seconds), reading=reading)


__all__ = ["EXPERIMENT", "SEEDS", "extract", "read_extract"]
