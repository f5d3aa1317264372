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


def anasod_table3(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
    """ANASOD Table 3: the optimum of the table, the quoted one-shot methods, and our DARTS (first order),
    GAEA-DARTS and ANASOD-DNAS runs, each cell's error on the three datasets."""
    summaries = load_summaries([p for p in inputs if Path(p).name == "summary.json"])
    best = {col: 100.0 - float(np.nanmax(_truth(key).accuracy)) for col, key in TRANSFER.items()}
    rows = [{"method": "optimal", "label": "Optimal (the NB201 table)", "arch": "best cell per dataset", **best}]
    for method, label in published.ANASOD_TABLE3_QUOTED.items():
        rows.append({"method": method, "label": label, "arch": QUOTED})
    for method, setting in DNAS_RUNS.items():
        label = cfg["methods"][method]["label"] if method in cfg["methods"] else method
        row = {"method": method, "label": label, "space": setting}
        why = not_run_reason(cfg, setting, method)
        runs = [s for s in summaries if s["method"] == method and s["space"] == setting]
        if why is not None or not runs:
            rows.append({**row, "arch": why or "no runs given"})
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
