"""Where every job's outputs, logs and benchmark files live: the one definition of the run layout.

The workflow names its rule outputs with these functions (called with wildcard strings such as
``"{space}"`` they give the rule patterns), and reporting reads runs back with ``parse_benchmark``, so
no second copy of the layout exists anywhere::

    results/<preset>/config.json
    results/<preset>/<setting>/standalone/pack<p>_s<seed>.json
    results/<preset>/<setting>/warmup/s<seed>/{outputs.npz, outputs_hv.npz, snapshots/, history.csv}
    results/<preset>/<setting>/search/<method>/s<seed>/{summary.json, arch_eval.csv, history.csv, visits.csv, ...}
    results/<preset>/<setting>/retrain/<method>_s<seed>.json
    results/<preset>/<setting>/retrain/<method>.<pick>_s<seed>.json   (another selection's network: ea)
    results/<preset>/<query setting>/query/<strategy>/<dataset>/t<trial>/{summary.json, history.csv}
    results/<preset>/<query setting>/extract/<dataset>.npz     (full-benchmark extract, when configured)
    results/<preset>/<query setting>/surrogate/<dataset>.csv   (seed 003 Fig. 3 surrogate study)
    logs/<preset>/...        one log per job, same relative path, ``.log``
    benchmarks/<preset>/...  Snakemake ``benchmark:`` files of the expensive jobs, ``.tsv``
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

SEARCH_FILES = ("summary.json", "arch_eval.csv", "history.csv", "density_trace.csv", "visits.csv")
WARMUP_FILES = ("outputs.npz", "outputs_hv.npz", "history.csv")


class BenchmarkRun(NamedTuple):
    """What a benchmark file times: ``kind`` (standalone, warmup, search, retrain), setting, method
    (None for warm-ups and stand-alone packs) and seed."""

    kind: str
    setting: str
    method: str | None
    seed: int


@dataclass(frozen=True)
class Layout:
    results_dir: str
    preset: str

    @classmethod
    def of(cls, cfg: dict) -> "Layout":
        return cls(cfg["results_dir"], cfg["preset"])

    # ------------------------------------------------------------------ roots
    @property
    def results(self) -> str:
        return f"{self.results_dir}/{self.preset}"

    @property
    def logs(self) -> str:
        return f"logs/{self.preset}"

    @property
    def benchmarks(self) -> str:
        return f"benchmarks/{self.preset}"

    @property
    def config_json(self) -> str:
        return f"{self.results}/config.json"

    # ------------------------------------------------------------------ job outputs (relative stems)
    @staticmethod
    def _standalone(setting, pack, seed) -> str:
        return f"{setting}/standalone/pack{pack}_s{seed}"

    @staticmethod
    def _warmup(setting, seed) -> str:
        return f"{setting}/warmup/s{seed}"

    @staticmethod
    def _search(setting, method, seed) -> str:
        return f"{setting}/search/{method}_s{seed}"

    @staticmethod
    def _retrain(setting, method, seed, pick=None) -> str:
        # ``pick``: the network of another selection of the same search (summary key <pick>_arch)
        return f"{setting}/retrain/{method}{'' if pick is None else '.' + str(pick)}_s{seed}"

    @staticmethod
    def _query(setting, strategy, dataset, trial) -> str:
        return f"{setting}/query/{strategy}_{dataset}_t{trial}"

    @staticmethod
    def _extract(setting, dataset) -> str:
        return f"{setting}/extract/{dataset}"

    def query(self, setting, strategy, dataset, trial, name: str = "summary.json") -> str:
        return f"{self.results}/{setting}/query/{strategy}/{dataset}/t{trial}/{name}"

    def surrogate_study(self, setting, dataset) -> str:
        return f"{self.results}/{setting}/surrogate/{dataset}.csv"

    def query_extract(self, setting, dataset) -> str:
        return f"{self.results}/{self._extract(setting, dataset)}.npz"

    def standalone(self, setting, pack, seed) -> str:
        return f"{self.results}/{self._standalone(setting, pack, seed)}.json"

    def warmup(self, setting, seed, name: str = "outputs.npz") -> str:
        return f"{self.results}/{self._warmup(setting, seed)}/{name}"

    def search(self, setting, method, seed, name: str = "summary.json") -> str:
        return f"{self.results}/{setting}/search/{method}/s{seed}/{name}"

    def retrain(self, setting, method, seed, pick=None) -> str:
        return f"{self.results}/{self._retrain(setting, method, seed, pick)}.json"

    def target(self, kind: str, name: str, ext: str) -> str:
        """A table (``tables/<name>.csv``) or figure (``figures/<name>.<ext>``)."""
        return f"{'tables' if kind == 'table' else 'figures'}/{name}.{ext}"

    # ------------------------------------------------------------------ logs and benchmark files
    def log(self, job: str, *parts) -> str:
        return f"{self.logs}/{self._stem(job, *parts)}.log"

    def benchmark(self, job: str, *parts) -> str:
        return f"{self.benchmarks}/{self._stem(job, *parts)}.tsv"

    def _stem(self, job: str, *parts) -> str:
        stems = {"standalone": self._standalone, "warmup": self._warmup, "search": self._search,
                 "retrain": self._retrain, "query": self._query, "extract": self._extract,
                 "surrogate": lambda setting, dataset: f"{setting}/surrogate/{dataset}"}
        if job in stems:
            return stems[job](*parts)
        if job in ("table", "figure"):
            return f"{job}s/{parts[0]}"
        return job  # one-off jobs (resolved_config)


def parse_benchmark(path: str | Path) -> BenchmarkRun | None:
    """Inverse of ``Layout.benchmark`` for the job kinds that are timed; None for any other file."""
    p = Path(path)
    if p.suffix != ".tsv":
        return None
    kind, setting, stem = p.parent.name, p.parent.parent.name, p.stem
    method, sep, seed = stem.rpartition("_s")
    if kind == "warmup" and stem.startswith("s") and stem[1:].isdigit():
        return BenchmarkRun("warmup", setting, None, int(stem[1:]))
    if kind in ("search", "retrain") and sep and method and seed.isdigit():
        return BenchmarkRun(kind, setting, method, int(seed))
    if kind == "standalone" and sep and method.startswith("pack") and seed.isdigit():
        return BenchmarkRun(kind, setting, None, int(seed))
    return None


def output_kind(path: str | Path) -> str | None:
    """The job kind whose results directory holds ``path`` (standalone, warmup, search, retrain)."""
    parts = Path(path).parts
    for kind in ("search", "warmup"):  # their files sit one or two levels below the kind
        if kind in parts[-4:-1]:
            return kind
    kind = Path(path).parent.name
    return kind if kind in ("standalone", "retrain") else None


def search_run_of(path: str | Path) -> tuple[str, str, int]:
    """(setting, method, seed) of a file of a search run's directory (inverse of ``Layout.search``)."""
    p = Path(path)
    seed_dir, method_dir, search_dir, setting_dir = p.parent, p.parent.parent, p.parent.parent.parent, p.parents[3]
    if search_dir.name != "search" or not seed_dir.name.startswith("s") or not seed_dir.name[1:].isdigit():
        raise ValueError(f"{path} is not a file of a search run (<setting>/search/<method>/s<seed>/<file>)")
    return setting_dir.name, method_dir.name, int(seed_dir.name[1:])


def query_run_of(path: str | Path) -> tuple[str, str, str, int]:
    """(setting, strategy, dataset, trial) of a file of a query trial's directory (inverse of ``Layout.query``)."""
    p = Path(path)
    trial_dir, dataset_dir, strategy_dir, query_dir = p.parent, p.parents[1], p.parents[2], p.parents[3]
    if query_dir.name != "query" or not trial_dir.name.startswith("t") or not trial_dir.name[1:].isdigit():
        raise ValueError(f"{path} is not a file of a query trial (<setting>/query/<strategy>/<dataset>/t<trial>/<file>)")
    return p.parents[4].name, strategy_dir.name, dataset_dir.name, int(trial_dir.name[1:])
