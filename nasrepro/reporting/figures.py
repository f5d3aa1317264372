"""Figures: saved atomically as PDF and PNG; demo figures say so on their face."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from nasrepro.evaluation.metrics import kendall_tau  # noqa: E402
from nasrepro.io import atomic_path  # noqa: E402


def stamp(fig: plt.Figure, cfg: dict) -> None:
    fig.text(0.99, 0.01, f"preset {cfg['preset']} · config {cfg['config_hash']}", ha="right", va="bottom",
             fontsize=6, color="0.4")
    if cfg["preset"] != "paper":
        fig.text(0.5, 0.5, cfg["preset"].upper(), ha="center", va="center", fontsize=60, color="red",
                 alpha=0.12, rotation=30, transform=fig.transFigure)


def finish(fig: plt.Figure, ax: plt.Axes, cfg: dict, xlabel: str, ylabel: str, title: str,
           pdf: str | Path, png: str | Path | None = None) -> None:
    """Labels, title and legend of a one-panel figure, then the preset stamp and the atomic save."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    stamp(fig, cfg)
    save(fig, pdf, png)


def save(fig: plt.Figure, pdf: str | Path, png: str | Path | None = None) -> None:
    pdf = Path(pdf)
    png = Path(png) if png else pdf.with_suffix(".png")
    for path, fmt in ((pdf, "pdf"), (png, "png")):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150, bbox_inches="tight")
    plt.close(fig)


def supernet_vs_ground_truth(cfg: dict, arch_evals: Sequence[str | Path], labels: Sequence[str], title: str,
                             pdf: str | Path, png: str | Path | None = None) -> None:
    """Thesis Fig. 2.5 style: supernet validation accuracy against stand-alone accuracy, tau in the legend."""
    fig, ax = plt.subplots(figsize=(5, 4))
    for path, label in zip(arch_evals, labels):
        frame = pd.read_csv(path)
        tau = kendall_tau(frame["supernet_val_acc"].to_numpy(), frame["gt_acc"].to_numpy())
        ax.scatter(frame["gt_acc"], frame["supernet_val_acc"], s=14, alpha=0.75, label=f"{label} (τ = {tau:.2f})")
    finish(fig, ax, cfg, "ground-truth accuracy (%)", "supernet validation accuracy (%)", title, pdf, png)


def curves(cfg: dict, histories: dict[str, Sequence[str | Path]], column: str, ylabel: str, title: str,
           pdf: str | Path, png: str | Path | None = None) -> None:
    """Mean over seeds of a per-epoch history column, one line per method (paper Figs. 4 and 6a)."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    draw_curves(ax, histories, column)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    stamp(fig, cfg)
    save(fig, pdf, png)


def draw_curves(ax: plt.Axes, histories: dict[str, Sequence[str | Path]], column: str) -> None:
    for label, paths in histories.items():
        frames = [pd.read_csv(p) for p in paths]
        mean = pd.concat([f.set_index("epoch")[column] for f in frames], axis=1).mean(axis=1)
        ax.plot(mean.index, mean.values, label=label)
    ax.set_xlabel("epoch")
    ax.legend(fontsize=7)


def bars(cfg: dict, summaries: list[dict], order: Sequence[str], title: str, pdf: str | Path,
         png: str | Path | None = None) -> None:
    """Best and mean ± std ground-truth accuracy of the found architectures per method (paper Fig. 3)."""
    frame = pd.DataFrame(summaries)
    fig, ax = plt.subplots(figsize=(4.5, 3.5))
    labels, best, mean, std = [], [], [], []
    for m in order:
        grp = frame[frame["method"] == m]
        labels.append(grp["label"].iloc[0])
        best.append(grp["gt_acc"].max())
        mean.append(grp["gt_acc"].mean())
        std.append(grp["gt_acc"].std(ddof=0))
    x = range(len(labels))
    ax.bar([i - 0.2 for i in x], best, width=0.4, label="best")
    ax.bar([i + 0.2 for i in x], mean, width=0.4, yerr=std, capsize=3, label="average")
    ax.set_xticks(list(x), labels, fontsize=8)
    lo = min(min(best), min(m - s for m, s in zip(mean, std)))
    ax.set_ylim(lo - 1.0, max(best) + 0.5)
    ax.set_ylabel("ground-truth accuracy of found architecture (%)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    stamp(fig, cfg)
    save(fig, pdf, png)


def distance_panels(cfg: dict, panels: dict[str, np.ndarray], leaf_labels: Sequence[str], title: str,
                    pdf: str | Path, png: str | Path | None = None, linkages: dict | None = None) -> None:
    """Normalised distance matrices (paper Fig. 7) or, with ``linkages``, dendrograms (paper Fig. 8)."""
    from scipy.cluster.hierarchy import dendrogram
    from scipy.spatial.distance import squareform

    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8))
    for ax, (name, condensed) in zip(np.atleast_1d(axes), panels.items()):
        if linkages is None:
            square = squareform(condensed)
            square = square / square.max() if square.max() > 0 else square
            im = ax.imshow(square, cmap="viridis")
            ax.set_xticks(range(len(leaf_labels)), leaf_labels, fontsize=4, rotation=90)
            ax.set_yticks(range(len(leaf_labels)), leaf_labels, fontsize=4)
            fig.colorbar(im, ax=ax, fraction=0.046)
        else:
            dendrogram(linkages[name], labels=list(leaf_labels), ax=ax, leaf_font_size=5)
        ax.set_title(name, fontsize=9)
    fig.suptitle(title, fontsize=10)
    stamp(fig, cfg)
    save(fig, pdf, png)


def sensitivity(cfg: dict, summaries: list[dict], parameter: str, title: str, pdf: str | Path,
                png: str | Path | None = None) -> None:
    """Mean ± std ground-truth accuracy of the found architecture against one sampler parameter (Fig. 5)."""
    frame = pd.DataFrame(summaries)
    frame = frame.groupby(parameter)["gt_acc"].agg(["mean", "std"]).reset_index().sort_values(parameter)
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    ax.errorbar(frame[parameter], frame["mean"], yerr=frame["std"].fillna(0), marker="o", capsize=3)
    ax.set_xlabel(parameter)
    ax.set_ylabel("ground-truth accuracy of found architecture (%)")
    ax.set_title(title, fontsize=9)
    stamp(fig, cfg)
    save(fig, pdf, png)


def standardised_profile(cfg: dict, series: dict[str, pd.Series], order: np.ndarray, xlabel: str, title: str,
                         pdf: str | Path, png: str | Path | None = None) -> None:
    """Thesis Figs. 5.3 / 5.5 style: accuracies of the architectures in ``order`` (first series = ground
    truth, drawn black), each series standardised (z-score) so that stand-alone and supernet accuracies
    share one axis; the legend gives every supernet series' Kendall's tau with the ground truth."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    x = np.arange(len(order))
    reference = next(iter(series.values())).to_numpy(dtype=float)
    for i, (label, values) in enumerate(series.items()):
        v = values.to_numpy(dtype=float)
        z = (v[order] - v.mean()) / (v.std() or 1.0)
        tau = kendall_tau(v, reference)
        style = {"color": "black", "lw": 2} if i == 0 else {"lw": 1}
        ax.plot(x, z, marker="o", ms=3, label=label if i == 0 else f"{label} (τ with ground truth {tau:.2f})", **style)
    finish(fig, ax, cfg, xlabel, "accuracy (z-score within each series)", title, pdf, png)
