"""ANASOD (seed 004) figures from query-based search: Fig. 2 (encoding study), Figs. 3 and 6 (best error so far).

The x axis of Figs. 3 and 6 is the seed's simulated GPU-seconds (the summed training time of the queried
cells) when every trial has training times, which needs the full NAS-Bench-201 file; otherwise it is the
number of queries, and the axis label says so. The NB301 column is left out, with the reason on the figure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from nasrepro.layout import query_run_of
from nasrepro.reporting import figures
from nasrepro.reporting.query_tables import NB301_MISSING, TASK_LABELS

plt = figures.plt


def _tasks(cfg: dict, setting: str) -> list[str]:
    return list(cfg["query"][setting]["datasets"])


def fig2(setting: str = "anasod-nb201") -> Callable:
    """Fig. 2: the top-100 encodings' mean ± 1 SD (sorted by mean) against every sampled cell (red)."""

    def build(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
        from nasrepro.query.cells import NB201Cells
        from nasrepro.query.objective import load_objective
        from nasrepro.query.study import sample_study

        study_cfg = cfg["query"][setting]["encoding_study"]
        extracts = {Path(p).stem: p for p in inputs if Path(p).suffix == ".npz"}
        tasks = ["cifar10", "cifar100", "ImageNet16-120"]
        fig, axes = plt.subplots(1, len(tasks) + 1, figsize=(4 * (len(tasks) + 1), 3.4))
        for ax, task in zip(axes, tasks):
            objective = load_objective(task, extracts.get(task), "mean")
            study = sample_study(objective, NB201Cells(), study_cfg["encodings"], study_cfg["archs_per_encoding"],
                                 study_cfg["seed"])
            err = study["errors"]
            order = np.argsort(err.mean(axis=1))
            top = order[: max(1, len(order) // 2)]
            cells = np.sort(err.ravel())
            n_enc, n_cells = len(order), cells.size
            ax.scatter(np.arange(1, n_cells + 1) / n_cells * n_enc, cells, s=3, color="red", alpha=0.5,
                       label=f"all {n_cells} sampled cells (rank scaled)")
            ax.errorbar(np.arange(1, len(top) + 1), err[top].mean(axis=1), yerr=err[top].std(axis=1), fmt="o",
                        ms=2, color="black", ecolor="0.5", lw=0.8, label=f"top {len(top)} encodings, mean ± 1 SD")
            ax.set_title(TASK_LABELS[task], fontsize=9)
            ax.set_xlabel("rank (encodings; cells scaled to the same range)")
            ax.set_ylabel(objective.metric.split(" [")[0].replace("NAS-Bench-201 ", ""), fontsize=7)
            ax.legend(fontsize=6)
        axes[-1].axis("off")
        axes[-1].text(0.5, 0.5, "NB301 CIFAR-10\n" + _wrap(NB301_MISSING), ha="center", va="center", fontsize=7)
        fig.suptitle(f"ANASOD Fig. 2: {study_cfg['encodings']} random encodings x {study_cfg['archs_per_encoding']} "
                     "cells each", fontsize=9)
        fig.tight_layout()
        figures.stamp(fig, cfg)
        figures.save(fig, pdf, png)

    return build


def _wrap(text: str, width: int = 40) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def _histories(inputs: Sequence[Path]) -> dict[tuple[str, str], list[pd.DataFrame]]:
    out: dict[tuple[str, str], list[pd.DataFrame]] = {}
    for p in inputs:
        if Path(p).name == "history.csv":
            _, strategy, dataset, _ = query_run_of(p)
            out.setdefault((strategy, dataset), []).append(pd.read_csv(p))
    return out


def best_so_far(histories: list[pd.DataFrame], x: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and standard error over trials of the best value so far, on a common grid of ``x``
    (query index, or cumulative seconds: each trial's step function read at the grid points)."""
    if x == "query":
        n = min(len(h) for h in histories)
        grid = np.arange(1, n + 1, dtype=np.float64)
        curves = np.stack([h["best"].to_numpy()[:n] for h in histories])
    else:
        lo = max(float(h[x].iloc[0]) for h in histories)
        hi = min(float(h[x].iloc[-1]) for h in histories)
        grid = np.geomspace(max(lo, 1e-9), max(hi, lo * (1 + 1e-9)), 100)
        curves = np.stack([h["best"].to_numpy()[np.searchsorted(h[x].to_numpy(), grid, side="right") - 1]
                           for h in histories])
    mean = curves.mean(axis=0)
    se = curves.std(axis=0, ddof=1) / np.sqrt(len(curves)) if len(curves) > 1 else np.zeros_like(mean)
    return grid, mean, se


def draw_curves(ax, cfg: dict, hist: dict, strategies: Sequence[str], dataset: str, x: str, title: str) -> None:
    """Best value so far of each strategy on ``dataset`` (mean ± standard error over trials) on one axis."""
    lows, highs = [], []
    for st in strategies:
        hs = hist.get((st, dataset))
        if not hs:
            continue
        grid, mean, se = best_so_far(hs, x)
        label = cfg["strategies"].get(st, {}).get("label", st)
        ax.plot(grid, mean, label=f"{label} ({len(hs)} trials)", lw=1)
        ax.fill_between(grid, mean - se, mean + se, alpha=0.2)
        lows.append(float(np.min(mean - se)))
        highs.append(float(np.max(mean[len(mean) // 10:])))  # the first random queries would squash the rest
    if lows:
        pad = 0.1 * (max(highs) - min(lows)) + 0.05
        ax.set_ylim(min(lows) - pad, max(highs) + pad)
    if x != "query":
        ax.set_xscale("log")
    ax.set_title(title, fontsize=8)
    ax.set_xlabel("simulated GPU-seconds" if x != "query" else
                  "queries (simulated GPU-seconds need the full NAS-Bench-201 file)", fontsize=7)
    ax.set_ylabel("best error so far (%)", fontsize=7)
    if lows:
        ax.legend(fontsize=6)


def curves_figure(rows: Sequence[tuple[str, Sequence[str]]], title: str, setting: str = "anasod-nb201",
                  note: tuple[str, str] = ("NB301 CIFAR-10", NB301_MISSING)) -> Callable:
    """One row of panels per (row title, strategies), one column per dataset, plus a panel with ``note``
    (what is not plotted and why: the NB301 column for seed 004)."""

    def build(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
        hist = _histories(inputs)
        tasks = _tasks(cfg, setting)
        timed = bool(hist) and all(h["cum_cost_s"].notna().all() for hs in hist.values() for h in hs)
        x = "cum_cost_s" if timed else "query"
        fig, axes = plt.subplots(len(rows), len(tasks) + 1, figsize=(3.6 * (len(tasks) + 1), 3.0 * len(rows)),
                                 squeeze=False)
        metric = ""
        for r, (row_title, strategies) in enumerate(rows):
            for c, task in enumerate(tasks):
                draw_curves(axes[r][c], cfg, hist, strategies, task, x, f"{row_title}: {TASK_LABELS.get(task, task)}")
            axes[r][-1].axis("off")
            axes[r][-1].text(0.5, 0.5, note[0] + "\n" + _wrap(note[1]), ha="center", va="center", fontsize=7)
        for p in inputs:
            if Path(p).name == "summary.json":
                metric = json.loads(Path(p).read_text())["objective"]
                break
        fig.suptitle(f"{title}\n{metric}", fontsize=8)
        fig.tight_layout()
        figures.stamp(fig, cfg)
        figures.save(fig, pdf, png)

    return build


__all__ = ["best_so_far", "curves_figure", "fig2"]
