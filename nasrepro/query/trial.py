"""One query-based search trial: a workflow job per (setting, strategy, dataset, trial).

Writes ``history.csv`` (every query: cell, value, best so far, training seconds when known) and
``summary.json`` (the best cell and value after the budget, the metric and reading the queries used). The
query log is checkpointed after every query (``queries.partial.json``); a killed trial resumes by
replaying it (``nasrepro.query.objective.Oracle``) and ends with the uninterrupted run's result.
"""

from __future__ import annotations

import json
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from nasrepro.errors import CheckpointError, ConfigError
from nasrepro.io import write_csv, write_json

PARTIAL = "queries.partial.json"


def query_setting(cfg: dict, setting: str) -> dict:
    try:
        return cfg["query"][setting]
    except KeyError:
        known = sorted(cfg.get("query", {}))
        raise ConfigError(f"config error at presets.{cfg['preset']}.query: no query setting {setting!r}; "
                          f"known: {', '.join(known) or 'none'}") from None


def strategy_config(cfg: dict, name: str) -> dict:
    try:
        return cfg["strategies"][name]
    except KeyError:
        raise ConfigError(f"config error at strategies: unknown query strategy {name!r}; known: "
                          f"{', '.join(sorted(cfg.get('strategies', {})))}") from None


def strategy_options(scfg: dict, st: dict) -> dict:
    """The strategy's options with the setting's ``strategy_options`` for its class on top (a demo can
    shrink BANAT's evolution or the neural ensemble's epochs without a second method definition)."""
    return {**st.get("options", {}), **(scfg.get("strategy_options") or {}).get(st["strategy"], {})}


def budget_of(scfg: dict, family: str) -> int:
    budgets = scfg["budget"]
    if family not in budgets:
        raise ConfigError(f"query setting has no budget for strategy family {family!r}; budget: {budgets}")
    return int(budgets[family])


def query_space(scfg: dict):
    """NAS-Bench-201 cells for the table, the grammar's terms when queries are answered by training."""
    from nasrepro.registry import resolve

    if scfg["benchmark"] == "trained":
        from nasrepro.query.trained import GrammarTerms

        return GrammarTerms(scfg["grammar"])
    return resolve({"nb201": "nasrepro.query.cells:NB201Cells"}, scfg.get("space", "nb201"), "query space")()


def trial_rngs(strategy: str, dataset: str, trial: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent streams for the strategy and the oracle, fixed by (strategy, dataset, trial)."""
    seq = np.random.SeedSequence([int(trial), zlib.crc32(strategy.encode()), zlib.crc32(dataset.encode())])
    a, b = seq.spawn(2)
    return np.random.default_rng(a), np.random.default_rng(b)


def fingerprint(scfg: dict, st: dict, dataset: str, trial: int) -> str:
    from nasrepro.config import config_hash

    keep = {k: v for k, v in scfg.items() if k not in ("trials", "datasets", "encoding_study")}
    return config_hash([keep, st, dataset, int(trial)])


def run_trial(cfg: dict, setting: str, strategy: str, dataset: str, trial: int, out_dir: str | Path,
              extract: str | Path | None = None) -> dict:
    from nasrepro.query import make_strategy, strategy_class
    from nasrepro.query.objective import BudgetSpent, Oracle, compact_nb201, load_objective

    scfg, st = query_setting(cfg, setting), strategy_config(cfg, strategy)
    if dataset not in scfg["datasets"]:
        raise ConfigError(f"query setting {setting!r} does not run dataset {dataset!r}; its datasets: "
                          f"{', '.join(scfg['datasets'])}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    space = query_space(scfg)
    if scfg["benchmark"] == "trained":
        from nasrepro.query.trained import TrainedObjective

        objective = TrainedObjective(cfg, scfg, dataset, out, log=lambda m: print(m, flush=True))
    else:
        objective = load_objective(dataset, extract, scfg.get("reading"))
    cls = strategy_class(st["strategy"])
    budget = budget_of(scfg, cls.family)
    fp = fingerprint(scfg, st, dataset, trial)
    replay = _read_partial(out / PARTIAL, fp)
    strat_rng, oracle_rng = trial_rngs(strategy, dataset, trial)
    step = max(1, budget // 10)

    def checkpoint(log: list[dict]) -> None:
        write_json(out / PARTIAL, {"fingerprint": fp, "log": log})
        if len(log) % step == 0 or len(log) == budget:
            print(f"[{strategy} {dataset} trial {trial}] {len(log)}/{budget} queries, best {log[-1]['best']:.3f}",
                  flush=True)

    oracle = Oracle(objective, budget, oracle_rng, space.check, replay=replay, checkpoint=checkpoint,
                    encode=getattr(space, "encode", list))
    objective.queries = len(replay)  # a trained objective names its training checkpoints by query number
    options = strategy_options(scfg, st)
    search = make_strategy(st["strategy"], space, strat_rng, **options)
    if replay:
        print(f"resuming from {len(replay)} logged queries", flush=True)
    start = time.perf_counter()
    stopped = "budget spent"
    try:
        search.run(oracle)
        stopped = "strategy finished"
    except BudgetSpent as exc:
        stopped = str(exc)
    if replay and oracle.spent < len(replay):
        raise CheckpointError(f"{out / PARTIAL} holds {len(replay)} queries but this run made {oracle.spent}: "
                              "delete the run's directory to start it afresh")
    history = pd.DataFrame(oracle.log)
    history["arch"] = [_format(space, a) for a in history["arch"]]
    best_arch, best_value = oracle.best()
    # Seed 003 reports the test error of the best cell found by validation error: the compact table's
    # 200-epoch test error (mean over seeds) of the best cell, whatever the queries returned.
    if objective.reading == "trained":  # the best network's own test error, measured after its training
        best_test = (oracle.best_record() or {}).get("test_error")
    else:
        test = objective if objective.reading == "mean" and "test error" in objective.metric else compact_nb201(dataset)
        best_test = float(test.error[test.index[best_arch]]) if best_arch is not None else None
    summary = {
        "setting": setting, "strategy": strategy, "label": st.get("label", strategy), "strategy_class": st["strategy"],
        "family": cls.family, "options": options, "dataset": dataset, "trial": int(trial),
        "budget": budget, "queries": oracle.spent, "stopped": stopped,
        "best_arch": _format(space, best_arch), "best_value": best_value, "best_test_error": best_test,
        "metric": objective.metric, "reading": objective.reading, "objective": objective.describe(),
        "optimum": objective.optimum(), "simulated_seconds": history["cum_cost_s"].iloc[-1] if len(history) else None,
        "wall_seconds": time.perf_counter() - start, "preset": cfg["preset"], "config_hash": cfg["config_hash"],
    }
    if hasattr(search, "trace") and search.trace:
        summary["beta_final"] = search.trace[-1]["beta"]
    write_csv(out / "history.csv", history)
    write_json(out / "summary.json", summary)
    (out / PARTIAL).unlink(missing_ok=True)
    return summary


def _format(space, arch) -> str:
    """The arch string of a logged or found architecture (a cell's op ids, a term's text)."""
    if arch is None:
        return ""
    return space.format(space.check(arch)) if hasattr(space, "format") else json.dumps(list(arch))


def _read_partial(path: Path, fp: str) -> list[dict]:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
        log = data["log"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"query log {path} is corrupt ({exc}); delete it to restart the trial") from None
    if data.get("fingerprint") != fp:
        print(f"{path} belongs to another config; starting afresh", flush=True)
        return []
    return log


__all__ = ["budget_of", "strategy_options", "query_setting", "run_trial", "strategy_config", "trial_rngs"]
