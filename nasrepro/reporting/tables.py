"""Tables: per-method aggregates over seeds, always beside the published values.

Every table row carries the preset and config hash that produced it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # annotations only: tables of query runs start without torch
    from nasrepro.benchmarks.base import GroundTruth
    from nasrepro.spaces.base import SearchSpace


def read_benchmark_seconds(paths: Iterable[str | Path]) -> float:
    """Total wall seconds recorded by Snakemake ``benchmark:`` files (column ``s``)."""
    total = 0.0
    for p in paths:
        frame = pd.read_csv(p, sep="\t")
        total += float(frame["s"].mean())
    return total


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=0)) if arr.size > 1 else 0.0


def method_rows(summaries: list[dict], seconds: dict[tuple[str, str, int], float] | None = None) -> pd.DataFrame:
    """One row per (setting, method): the found architecture of the best seed, best/avg accuracy and rank,
    tau; ``seconds`` keyed (setting, method, seed) gives the hours."""
    frame = pd.DataFrame(summaries)
    rows = []
    for (space, method), grp in frame.groupby(["space", "method"], sort=False):
        acc = pd.to_numeric(grp["gt_acc"], errors="coerce")
        best = grp.loc[acc.idxmax()] if acc.notna().any() else grp.iloc[0]
        avg, std = _mean_std(grp["gt_acc"])
        tau, tau_std = _mean_std(grp["kendall_tau"])
        ranks = pd.to_numeric(grp["gt_rank"], errors="coerce")  # none for a found path outside the benchmark
        row = {
            "space": space, "method": method, "label": best["label"], "arch": best["arch"],
            "best_acc": float(best["gt_acc"]), "avg_acc": avg, "std_acc": std,
            "best_rank": int(ranks.min()) if ranks.notna().any() else None, "avg_rank": float(ranks.mean()),
            "kendall_tau": tau, "kendall_tau_std": tau_std, "seeds": len(grp),
            "archs_per_seed": " ".join(grp["arch"]),
        }
        if "kendall_tau_top10" in grp and grp["kendall_tau_top10"].notna().all():
            row["kendall_tau_top10"] = float(grp["kendall_tau_top10"].mean())  # thesis Table 4.3
        if "accuracy_from" in grp:  # a found network outside the benchmark, scored by retraining it
            row["accuracy_from"] = "; ".join(dict.fromkeys(str(v) for v in grp["accuracy_from"].dropna())) or None
        if "ground_truth" in grp:
            row["ground_truth"] = grp["ground_truth"].iloc[0]  # e.g. which NB201 dataset column scored it
        if "distance_mean" in grp and grp["distance_mean"].notna().all():
            # Table 10's "Distance Var.": variance over seeds (= validation batches) of the normalised mean distance.
            row["distance_var"] = float(grp["distance_mean"].var(ddof=0))
            if "val_batch_used" in grp and grp["val_batch_used"].notna().all():
                row["val_batch_used"] = int(grp["val_batch_used"].iloc[0])
        for col in ("top1_gt_acc", "top5_gt_acc", "top10_gt_acc", "density_pearson", "accept_rate",
                    "prototype_diversity", "spearman", "pearson"):
            if col in grp and grp[col].notna().all():  # thesis Tables 5.1, 5.2 and 5.4
                row[col], row[col + "_std"] = _mean_std(grp[col])
        if "bse_gt_acc" in grp and grp["bse_gt_acc"].notna().all():
            # thesis Tables 5.1 / 5.2 "BSE": ground truth of what BSE finds on the trained supernet (mean over seeds)
            row["bse_acc"], row["bse_acc_std"] = _mean_std(grp["bse_gt_acc"])
        if "path_steps" in grp and grp["path_steps"].notna().all():
            row["path_steps"] = int(grp["path_steps"].iloc[0])  # search cost in forward/backward passes
        if "prototype_assignment" in grp and grp["prototype_assignment"].notna().all():
            row["prototype_assignment"] = grp["prototype_assignment"].iloc[0]  # which reading of Eq. 5.8 ran
        if "cophenetic_correlation" in grp and grp["cophenetic_correlation"].notna().all():
            row["cophenetic_correlation"] = float(grp["cophenetic_correlation"].mean())
        if seconds:
            per_seed = [seconds[k] for s in grp["seed"] if (k := (space, method, int(s))) in seconds]
            row["hours"] = float(np.mean(per_seed)) / 3600.0 if per_seed else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def with_published(rows: pd.DataFrame, published: dict[str, dict], prefix: str = "published_") -> pd.DataFrame:
    """Append the printed values (``published_<field>``) and ``delta_<field>`` for numeric fields."""
    out = rows.copy()
    fields: list[str] = []
    for values in published.values():
        fields += [f for f in values if f not in fields]
    spaces = out["space"] if "space" in out else [None] * len(out)
    # Multi-space tables (8, 10, 11) key their printed values by (space, method).
    printed = [published.get((sp, m), published.get(m, {})) for sp, m in zip(spaces, out["method"])]
    for f in fields:
        out[prefix + f] = [p.get(f) for p in printed]
    for f in fields:
        if f in out.columns and f != "arch":
            out["delta_" + f] = pd.to_numeric(out[f], errors="coerce") - pd.to_numeric(out[prefix + f], errors="coerce")
    return out


def setting_protocol(cfg: dict, setting: str) -> str:
    """The scale a setting's supernet runs were made at, in one line (column ``run_protocol``), so a reduced
    preset's number is never read as the paper-scale one printed beside it (``published_protocol``)."""
    scfg = cfg[setting]
    search, ev = scfg["search"], scfg.get("evaluation") or {}
    images = scfg.get("train_images")
    split = f"{images // 2:,} train / {images - images // 2:,} val images" if images else "all training images split 50/50"
    network = "".join(f", {k} {v}" for k, v in sorted((scfg.get("network") or {}).items()))
    archs = f"{ev['rank_archs']:,} random" if ev.get("rank_archs") else "all"
    val = f"{ev['val_images']:,}" if ev.get("val_images") else "all"
    dataset = scfg["dataset"] + (f" at {scfg['resolution']} px" if scfg.get("resolution") else "")
    return (f"preset {cfg['preset']}: {dataset}, width {scfg['width']:g}{network}, {split}, "
            f"{search['epochs']} epochs x batch {search['batch_size']}, lr {search['lr']:g}; "
            f"tau over {archs} architectures on {val} validation images" + (f"; {scfg['note']}" if scfg.get("note") else ""))


def reference_row(method: str, label: str, arch, space: SearchSpace, gt: GroundTruth) -> dict:
    """Rows without search (Default architecture, Best architecture) straight from the ground truth."""
    return {"space": space.name, "method": method, "label": label, "arch": space.format(arch),
            "best_acc": gt.accuracy_of(arch),
            "best_rank": gt.rank_of(arch)}


def tag(frame: pd.DataFrame, cfg: dict) -> pd.DataFrame:
    out = frame.copy()
    out["preset"] = cfg["preset"]
    out["config_hash"] = cfg["config_hash"]
    return out


def load_summaries(paths: Iterable[str | Path]) -> list[dict]:
    return [json.loads(Path(p).read_text()) for p in paths]


def ground_truth_table(space: SearchSpace, gt: GroundTruth, trained: pd.DataFrame | None) -> pd.DataFrame:
    """Thesis Table 2.1 layout: number, architecture, published mean ± std and rank, our retraining."""
    archs = space.enumerate()
    frame = pd.DataFrame({
        "index": [space.display_index(a) for a in archs],
        "arch": [space.format(a) for a in archs],
        "published_acc": [gt.accuracy_of(a) for a in archs],
        "published_std": [float(gt.std[gt.position(a)]) if gt.std is not None else np.nan for a in archs],
        "published_rank": [gt.rank_of(a) for a in archs],
    })
    if trained is not None and len(trained):
        agg = trained.groupby("arch")["test_acc"].agg(["mean", "std", "count"]).reset_index()
        agg.columns = ["arch", "trained_acc", "trained_std", "trained_runs"]
        frame = frame.merge(agg, on="arch", how="left")
        frame["trained_rank"] = frame["trained_acc"].rank(ascending=False, method="min")
        frame["delta_acc"] = frame["trained_acc"] - frame["published_acc"]
        frame["delta_rank"] = frame["trained_rank"] - frame["published_rank"]
    return frame
