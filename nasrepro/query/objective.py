"""What a query returns, and the budgeted oracle every query-based strategy talks to.

The objective is the benchmark value the seed names, as an **error in %** (lower is better):

* ANASOD (seed 004) and BANAT (seed 003) search NAS-Bench-201 by **validation** error. The compact table
  shipped with nasrepro has only the 200-epoch **test** accuracy, averaged over the benchmark's seeds, so
  without the full benchmark a query returns that test error, and every output says so (``metric``).
* With the full benchmark file (setting key ``full_benchmark_path``; extracted once by
  ``nasrepro query-extract``, ``nasrepro.query.extract``), a query returns the validation error of **one
  seed**, drawn at random among the seeds the benchmark trained that cell with. That is the seed's reading:
  several of ANASOD's best values lie below the seed-mean optimum (8.34 < 8.39 on CIFAR-10), which only
  single-seed values allow. ``reading: mean`` asks for the seed mean instead. The extract also carries the
  training time of each cell, which Fig. 3's simulated GPU-seconds add up.

A repeated query of a cell returns its first answer and costs nothing (a real search would not train it
twice): the budget counts distinct cells.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from nasrepro.errors import CheckpointError, ConfigError, DataError

Arch = tuple[int, ...]

NB201_TABLE = "nb201_test_accuracy_200ep.csv.gz"  # the compact table (nasrepro/benchmarks/data)
NB201_COLUMNS = {"cifar10": "CIFAR10TestAccuracy200Epochs", "cifar100": "CIFAR100TestAccuracy200Epochs",
                 "ImageNet16-120": "ImageNetTestAccuracy200Epochs"}
READINGS = ("single-seed", "mean")


class BudgetSpent(Exception):
    """Raised by the oracle when a strategy asks for a new cell after the budget is spent."""


@dataclass
class Objective:
    """Error (%) of every cell of a tabular benchmark, aligned with ``archs``.

    ``seed_errors`` (cells x seeds, NaN where a seed is missing) and ``cost`` (training seconds) are only
    known with the full benchmark. ``reading`` says whether a query answers one seed or the seed mean.
    """

    dataset: str
    metric: str
    archs: list[Arch]
    error: np.ndarray
    seed_errors: np.ndarray | None = None
    cost: np.ndarray | None = None
    reading: str = "mean"
    index: dict[Arch, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.error = np.asarray(self.error, dtype=np.float64)
        self.index = {tuple(a): i for i, a in enumerate(self.archs)}
        if self.reading not in READINGS:
            raise ConfigError(f"query reading {self.reading!r} unknown; use one of {', '.join(READINGS)}")
        if self.reading == "single-seed" and self.seed_errors is None:
            raise ConfigError(
                f"{self.metric} has no per-seed values: single-seed queries need the full NAS-Bench-201 file "
                "(setting key full_benchmark_path); set reading: mean to query the seed mean")

    def describe(self) -> str:
        return f"{self.metric}, {'one random seed per query' if self.reading == 'single-seed' else 'mean over seeds'}"

    def optimum(self) -> float:
        """The lowest error a query can return (single seeds can beat the best seed mean)."""
        if self.reading == "single-seed":
            return float(np.nanmin(self.seed_errors))
        return float(self.error.min())

    def answer(self, arch: Arch, rng: np.random.Generator) -> tuple[float, int | None]:
        """(error, seed column or None) of one query. Always draws once from ``rng``, so the oracle's
        stream does not depend on the reading."""
        i = self.index[arch]
        u = rng.random()
        if self.reading == "mean":
            return float(self.error[i]), None
        row = self.seed_errors[i]
        seeds = np.flatnonzero(~np.isnan(row))
        if not len(seeds):
            return float(self.error[i]), None
        col = int(seeds[min(int(u * len(seeds)), len(seeds) - 1)])
        return float(row[col]), col

    def cost_of(self, arch: Arch) -> float | None:
        return None if self.cost is None else float(self.cost[self.index[arch]])


def compact_nb201(dataset: str) -> Objective:
    """The compact table's 200-epoch test error (mean over seeds) of ``dataset``."""
    import pandas as pd

    from nasrepro.nb201_cells import str_to_arch

    if dataset not in NB201_COLUMNS:
        raise ConfigError(f"NAS-Bench-201 dataset {dataset!r} unknown; use one of {', '.join(NB201_COLUMNS)}")
    # The file by path, not resources.files("nasrepro.benchmarks"): importing that package imports torch
    # (2 s of start-up for a job that needs none).
    try:
        raw = (Path(__file__).resolve().parent.parent / "benchmarks" / "data" / NB201_TABLE).read_bytes()
    except (FileNotFoundError, OSError) as exc:
        raise DataError(f"NAS-Bench-201 table {NB201_TABLE} missing from the nasrepro package ({exc}); "
                        "reinstall nasrepro") from None
    frame = pd.read_csv(io.BytesIO(gzip.decompress(raw)), usecols=[NB201_COLUMNS[dataset], "ArchitectureString"])
    archs = [str_to_arch(s) for s in frame["ArchitectureString"]]
    return Objective(dataset=dataset,
                     metric=f"NAS-Bench-201 {dataset} test error (%) after 200 epochs [compact table; the seeds "
                            "use validation error, which needs the full benchmark]",
                     archs=archs, error=100.0 - frame[NB201_COLUMNS[dataset]].to_numpy(np.float64), reading="mean")


def load_objective(dataset: str, extract: str | Path | None = None, reading: str | None = None) -> Objective:
    """The objective of a query job: the full-benchmark extract when given (validation error, one seed per
    query by default), else the compact table (test error, seed mean)."""
    if extract is None:
        if reading == "single-seed":
            raise ConfigError("reading: single-seed needs per-seed values, which only the full NAS-Bench-201 file "
                              "has: set the setting's full_benchmark_path")
        return compact_nb201(dataset)
    from nasrepro.query.extract import read_extract

    return read_extract(extract, dataset, reading or "single-seed")


class Oracle:
    """Answers a strategy's queries within ``budget`` distinct cells and logs every answer.

    ``replay`` (the log of an interrupted run) is answered from the log, checking that the strategy asks
    for the same cells in the same order: strategies are deterministic given their seed, so a resumed run
    ends where the uninterrupted one would. ``checkpoint`` is called with the log after each new query.
    """

    def __init__(self, objective: Objective, budget: int, rng: np.random.Generator,
                 check: Callable[[Sequence[int]], Arch], replay: list[dict] | None = None,
                 checkpoint: Callable[[list[dict]], None] | None = None, max_calls: int | None = None,
                 encode: Callable[[Any], Any] = list):
        if budget < 1:
            raise ConfigError(f"a query budget is at least 1, got {budget}")
        self.objective, self.budget, self.rng, self._check, self._encode = objective, int(budget), rng, check, encode
        self.log: list[dict[str, Any]] = []
        self._cache: dict[Any, float] = {}
        self._replay = list(replay or [])
        self._checkpoint = checkpoint
        self.calls = 0
        # A strategy that keeps proposing known cells (a collapsed distribution) must still end.
        self.max_calls = max_calls if max_calls is not None else 200 * self.budget + 10_000

    @property
    def spent(self) -> int:
        return len(self.log)

    @property
    def remaining(self) -> int:
        return self.budget - len(self.log)

    def best(self) -> tuple[Any, float]:
        if not self.log:
            return None, float("inf")
        i = int(np.argmin([r["value"] for r in self.log]))
        return self._check(self.log[i]["arch"]), float(self.log[i]["value"])

    def best_record(self) -> dict | None:
        return min(self.log, key=lambda r: r["value"]) if self.log else None

    def known(self, arch) -> bool:
        return self._check(arch) in self._cache

    def __call__(self, arch) -> float:
        arch = self._check(arch)
        self.calls += 1
        if arch in self._cache:
            if self.calls > self.max_calls:
                raise BudgetSpent(f"{self.calls} queries of known cells: the strategy proposes nothing new")
            return self._cache[arch]
        if len(self.log) >= self.budget:
            raise BudgetSpent(f"budget of {self.budget} queries spent")
        n = len(self.log)
        extras: dict[str, Any] = {}
        if n < len(self._replay):
            # A logged query is answered from the log (a trained network is not trained again); the oracle's
            # stream advances as ``answer`` would have advanced it (one draw per query).
            logged = self._replay[n]
            if logged["arch"] != self._encode(arch):
                raise CheckpointError(
                    f"the saved query log disagrees with this run at query {n + 1} (logged {logged['arch']}, "
                    f"asked {self._encode(arch)}): it was made by another config or code version; delete the "
                    "run's directory to start it afresh")
            self.rng.random()
            value, seed, cost = float(logged["value"]), logged.get("seed_column"), logged.get("cost_s")
            extras = {k: v for k, v in logged.items() if k not in _LOG_KEYS}
        else:
            value, seed = self.objective.answer(arch, self.rng)
            cost = self.objective.cost_of(arch)
            extras = dict(getattr(self.objective, "extras", lambda a: {})(arch))
        prev = self.log[-1] if self.log else None
        best = value if prev is None else min(prev["best"], value)
        cum = None if cost is None else (cost + ((prev["cum_cost_s"] or 0.0) if prev else 0.0))
        self.log.append({"query": n + 1, "arch": self._encode(arch), "value": value, "seed_column": seed,
                         "best": best, "cost_s": cost, "cum_cost_s": cum, **extras})
        self._cache[arch] = value
        if self._checkpoint is not None and n >= len(self._replay):
            self._checkpoint(self.log)
        return value


_LOG_KEYS = ("query", "arch", "value", "seed_column", "best", "cost_s", "cum_cost_s")


__all__ = ["BudgetSpent", "Objective", "Oracle", "READINGS", "compact_nb201", "load_objective"]
