"""ANASOD (seed 004) Table 3 and Fig. 5: differentiable NAS on NAS-Bench-201, searched on CIFAR-10 and scored,
by the NB201 table, on CIFAR-10, CIFAR-100 and ImageNet16-120 ("we search on CIFAR-10 and transfer the search
result to the other datasets").

Errors are 100 minus NB201's 200-epoch test accuracy, the mean over the benchmark's seeds (the seed's Fig. 5 says
"oracle test error"), and rows give the mean ± standard error over search seeds (trials). Each method runs in its
own setting so that its search epochs are the printed ones (DARTS 50, GAEA-DARTS 25, ANASOD-DNAS 20).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from nasrepro.benchmarks import load_ground_truth
from nasrepro.errors import ConfigError
from nasrepro.reporting import published
from nasrepro.reporting.builders import QUOTED, not_run_reason
from nasrepro.reporting.tables import load_summaries, setting_protocol, tag, with_published
from nasrepro.spaces import get_space

# method -> the setting that runs it (its search epochs)
DNAS_RUNS = {"darts-nb201": "nb201-darts", "gaea-darts": "nb201-gaea", "anasod-dnas": "nb201-dnas"}
# Table 3's columns -> NB201 dataset keys
TRANSFER = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet16": "ImageNet16-120"}
METRIC = "NB201 test error (%), 200 epochs, mean over the benchmark's seeds"


@functools.lru_cache(maxsize=None)
def _truth(dataset: str):
    return load_ground_truth("nb201", dataset=dataset, metric="test", epochs=200, seed=None)


def transfer_errors(arch_text: str) -> dict[str, float]:
    """The error of one NB201 cell on each of Table 3's datasets."""
    arch = get_space("nb201").parse(arch_text)
    return {col: 100.0 - float(_truth(key).accuracy_of(arch)) for col, key in TRANSFER.items()}


def _standard_error(values: np.ndarray) -> float:
    return float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")


def _runs_of(cfg: dict, summaries: list[dict], method: str, setting: str) -> tuple[dict, list[dict] | None]:
    """A computed row's head and the method's runs in ``setting``; the runs are None (and the row says why in
    ``arch``) when the preset does not run it or no run was given."""
    label = cfg["methods"][method]["label"] if method in cfg["methods"] else method
    row = {"method": method, "label": label, "space": setting}
    why = not_run_reason(cfg, setting, method)
    runs = [s for s in summaries if s["method"] == method and s["space"] == setting]
    if why is not None or not runs:
        return {**row, "arch": why or "no runs given"}, None
    return row, runs


def anasod_table3(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
    """ANASOD Table 3: the optimum of the table, the quoted one-shot methods, and our DARTS (first order),
    GAEA-DARTS and ANASOD-DNAS runs, each cell's error on the three datasets."""
    summaries = load_summaries([p for p in inputs if Path(p).name == "summary.json"])
    best = {col: 100.0 - float(np.nanmax(_truth(key).accuracy)) for col, key in TRANSFER.items()}
    rows = [{"method": "optimal", "label": "Optimal (the NB201 table)", "arch": "best cell per dataset", **best}]
    for method, label in published.ANASOD_TABLE3_QUOTED.items():
        rows.append({"method": method, "label": label, "arch": QUOTED})
    for method, setting in DNAS_RUNS.items():
        row, runs = _runs_of(cfg, summaries, method, setting)
        if runs is None:
            rows.append(row)
            continue
        errors = pd.DataFrame([transfer_errors(s["arch"]) for s in runs])
        row.update(arch=" ".join(s["arch"] for s in runs), search_epochs=int(runs[0]["search_epochs"]),
                   trials=len(runs), metric=METRIC, run_protocol=setting_protocol(cfg, setting))
        for col in TRANSFER:
            row[col], row[f"{col}_se"] = float(errors[col].mean()), _standard_error(errors[col].to_numpy())
        rows.append(row)
    frame = with_published(pd.DataFrame(rows), published.ANASOD_TABLE3)
    frame["note"] = ["the seed prints 5.70 / 26.50 / 52.70; NB201's seed-mean optimum differs slightly"
                     if m == "optimal" else "" for m in frame["method"]]
    return tag(frame, cfg)


def anasod_fig5(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    """ANASOD Fig. 5: the error of a cell sampled from the encoding after every search epoch (``history.csv``
    column ``sampled``), on the three datasets; mean ± 1 SD over trials, one dot per trial."""
    from nasrepro.reporting.figures import plt, save, stamp

    histories = [pd.read_csv(p) for p in inputs if Path(p).name == "history.csv"]
    histories = [h for h in histories if "sampled" in h]
    if not histories:
        raise ConfigError("ANASOD Fig. 5 needs the anasod-dnas runs of nb201-dnas (history.csv with sampled cells)")
    fig, axes = plt.subplots(1, len(TRANSFER), figsize=(10, 3.2))
    for ax, (col, key) in zip(axes, TRANSFER.items()):
        per_trial = np.array([[transfer_errors(a)[col] for a in h["sampled"]] for h in histories])
        epochs = histories[0]["epoch"].to_numpy()
        mean, sd = per_trial.mean(0), per_trial.std(0)
        ax.plot(epochs, mean, color="C0", label="ANASOD-DNAS")
        ax.fill_between(epochs, mean - sd, mean + sd, color="C0", alpha=0.25)
        for trial in per_trial:
            ax.scatter(epochs, trial, s=8, color="C0", alpha=0.6)
        ax.axhline(100.0 - float(np.nanmax(_truth(key).accuracy)), color="grey", ls="--", lw=0.8, label="optimal")
        ax.set_xlabel("search epoch")
        ax.set_ylabel("test error (%)")
        ax.set_title(f"NB201 {key}" + (" (searched)" if col == "cifar10" else " (transferred)"), fontsize=9)
    axes[0].legend(fontsize=7)
    fig.suptitle("ANASOD-DNAS learning curves: error of a cell sampled from the encoding", fontsize=10)
    stamp(fig, cfg)
    save(fig, pdf, png)


# ---------------------------------------------------------------------------------------------- HEP-NAS
# HEP-NAS Table 4's computed rows: method -> (its CIFAR-10 search setting, its CIFAR-100 search setting or None).
# Columns a setting did not search are the CIFAR-10 search's cell transferred, as the seed transfers to ImageNet16.
HEPNAS_RUNS = {"darts-nb201": ("nb201-darts", None), "uniform": ("nb201-c10", None),
               "few-shot-darts": ("nb201-fewshot", None), "hepnas": ("nb201-hepnas", "nb201-hepnas-c100")}
HEPNAS_TEST = {"c10_test": "cifar10", "c100_test": "cifar100", "in16_test": "ImageNet16-120"}
HEPNAS_VALID = {"c10_valid": "cifar10-valid", "c100_valid": "cifar100", "in16_valid": "ImageNet16-120"}


def _valid_truth(cfg: dict, setting: str, dataset: str):
    """NB201 validation accuracy (needs the full benchmark file, the setting's benchmark.full_benchmark_path)."""
    path = ((cfg.get(setting) or {}).get("benchmark") or {}).get("full_benchmark_path")
    if not path:
        return None
    return load_ground_truth("nb201", dataset=dataset, metric="valid", epochs=200, seed=None, full_benchmark_path=path)


def hepnas_table4(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
    """HEP-NAS Table 4 (NB201): our DARTS (first order), SPOS (the uniform supernet of thesis Table 5.3's
    CIFAR-10 setting: our protocol, not the cited paper's) and HEP-NAS rows, mean ± std over search seeds of the
    found cell's accuracy per column; the other rows quoted; the Optimal row's test columns from the table.
    Validation columns need the full NB201 file; without it they say so."""
    summaries = load_summaries([p for p in inputs if Path(p).name == "summary.json"])
    rows = [{"method": "optimal", "label": "Optimal (the NB201 table)", "arch": "best cell per column",
             **{col: float(np.nanmax(_truth(key).accuracy)) for col, key in HEPNAS_TEST.items()}}]
    rows += [{"method": m, "label": label, "arch": QUOTED} for m, label in published.HEPNAS_TABLE4_QUOTED.items()]
    for method, (c10, c100) in HEPNAS_RUNS.items():
        row, runs = _runs_of(cfg, summaries, method, c10)
        if runs is None:
            rows.append(row)
            continue
        searched = {"c10_test": runs, "c100_test": runs, "in16_test": runs}
        c100_runs = [s for s in summaries if c100 and s["method"] == method and s["space"] == c100]
        if c100_runs:
            searched["c100_test"] = c100_runs
        notes = []
        for col, key in HEPNAS_TEST.items():
            acc = np.array([_truth(key).accuracy_of(get_space("nb201").parse(s["arch"])) for s in searched[col]])
            row[col], row[col + "_std"] = float(acc.mean()), float(acc.std(ddof=0))
        for col, key in HEPNAS_VALID.items():
            truth = _valid_truth(cfg, c10, key)
            if truth is None:
                continue
            acc = np.array([truth.accuracy_of(get_space("nb201").parse(s["arch"])) for s in searched[col.replace("valid", "test")]])
            row[col], row[col + "_std"] = float(acc.mean()), float(acc.std(ddof=0))
        if "c10_valid" not in row:
            notes.append("validation columns need the full NB201 file (benchmark.full_benchmark_path)")
        notes.append("CIFAR-100 column: " + (f"the {c100} search" if c100_runs else "the CIFAR-10 search's cell, transferred"))
        if method == "uniform":
            notes.append("our SPOS protocol (thesis Table 5.3's CIFAR-10 setting), not Guo et al.'s")
        row.update(arch=" ".join(s["arch"] for s in runs), runs=len(runs), note="; ".join(notes),
                   run_protocol=setting_protocol(cfg, c10))
        if method == "hepnas":
            row["remaining_space"] = float(np.mean([s.get("remaining_space", np.nan) for s in runs]))
        rows.append(row)
    return tag(with_published(pd.DataFrame(rows), published.HEPNAS_TABLE4), cfg)


def hepnas_fig3(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    """HEP-NAS Fig. 3: per stage, the validation accuracy of every sub-supernet (the kept one marked) and the
    number of architectures left in the search space (log scale), from each run's ``hepnas_stages``."""
    from nasrepro.reporting.figures import plt, save, stamp

    runs = [s for s in load_summaries([p for p in inputs if Path(p).name == "summary.json"]) if s.get("hepnas_stages")]
    if not runs:
        raise ConfigError("HEP-NAS Fig. 3 needs the hepnas runs of nb201-hepnas (summary.json with hepnas_stages)")
    fig, (acc_ax, size_ax) = plt.subplots(1, 2, figsize=(9, 3.2))
    for r, run in enumerate(runs):
        stages = run["hepnas_stages"]
        for st in stages:
            x = st["stage"] + (r - (len(runs) - 1) / 2) * 0.08
            acc_ax.scatter([x] * len(st["val_acc"]), st["val_acc"], s=10, color=f"C{r}", alpha=0.6)
            acc_ax.scatter([x], [st["val_acc"][st["chosen"]]], s=40, marker="*", color=f"C{r}")
        size_ax.plot([0] + [st["stage"] for st in stages], [5 ** 6] + [st["remaining_space"] for st in stages],
                     marker="o", color=f"C{r}", label=f"seed {run['seed']}")
    acc_ax.set_xlabel("stage (hierarchy split)")
    acc_ax.set_ylabel("sub-supernet validation accuracy (%)")
    acc_ax.set_title("sub-supernets per stage (star: kept)", fontsize=9)
    size_ax.set_yscale("log")
    size_ax.set_xlabel("stage")
    size_ax.set_ylabel("architectures in the search space")
    size_ax.set_title("remaining search space", fontsize=9)
    size_ax.legend(fontsize=7)
    stamp(fig, cfg)
    save(fig, pdf, png)
