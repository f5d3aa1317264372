"""HEP-NAS (seed 002) in the DARTS cell space: Tables 1-3 (comparison with other methods on CIFAR-10, CIFAR-100
and ImageNet), Tables 5-8 (ablations), Fig. 2 (the ImageNet comparison) and Figs. 4-7 (the found cells).

Every computed row is a search (``summary.json``, the benchmark file timing it) whose cell was retrained as DARTS's
evaluation network (rule ``retrain``); the error is 100 minus the retrained test top-1, mean and std over the search
seeds; the search cost is the search job's wall time in days (GPU-days on a GPU, CPU-days on a CPU: the row's
``device`` says which), as the seed's "Cost (G.d)" counts the search only. Parameters are those of the evaluation
network at paper scale whatever the preset (CIFAR: 20 cells, C = 36; ImageNet: 14 cells, C = 48; without the
auxiliary head, as DARTS counts them), so they compare with the printed column. The seed's Tables 1-3 head the
error column "Top-1 (%)"; it holds top-1 error (README).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd

from nasrepro.config import space_config
from nasrepro.errors import ConfigError
from nasrepro.layout import parse_benchmark
from nasrepro.reporting import published
from nasrepro.reporting.builders import QUOTED, _seconds_by_run
from nasrepro.reporting.retrained_tables import _missing, _of, _records
from nasrepro.reporting.tables import load_summaries, setting_protocol, tag, with_published

C10, C100, IMAGENET = "darts-hepnas", "darts-hepnas-c100", "darts-hepnas-imagenet"
C10_B256, C100_B256 = "darts-hepnas-b256", "darts-hepnas-c100-b256"
HEPNAS = "hepnas-darts"
CLASSES = {C10: 10, C100: 100, C10_B256: 10, C100_B256: 100, IMAGENET: 1000}
# Tables 5-8: (methods, column -> the setting whose runs fill it)
ABLATIONS = {
    "table5": (("hepnas-darts-edge", "hepnas-darts-a"), {"error_c10": C10, "error_c100": C100}),
    "table6": (("hepnas-darts-random", "hepnas-darts-reverse"), {"error_c10": C10_B256, "error_c100": C100_B256}),
    "table7": (("hepnas-darts-a", "hepnas-darts-b", "hepnas-darts-c", HEPNAS), {"error_c10": C10, "error_c100": C100}),
    "table8": (("hepnas-darts-h1", "hepnas-darts-h2", "hepnas-darts-h3"), {"error_c100": C100}),
}
ABLATION_PUBLISHED = {"table5": published.HEPNAS_TABLE5, "table6": published.HEPNAS_TABLE6,
                      "table7": published.HEPNAS_TABLE7, "table8": published.HEPNAS_TABLE8}


@functools.lru_cache(maxsize=None)
def paper_params_m(genotype: str, classes: int, imagenet: bool) -> float:
    """Parameters (millions) of ``genotype``'s evaluation network at paper scale, without the auxiliary head."""
    from nasrepro.spaces.darts import parse_genotype
    from nasrepro.spaces.darts_eval import DartsNetwork, count_parameters

    return count_parameters(DartsNetwork(parse_genotype(genotype), classes, imagenet=imagenet)) / 1e6


def _search_seconds(inputs: list[Path], setting: str) -> dict[tuple[str, int], float]:
    files = [p for p in map(Path, inputs) if p.suffix == ".tsv" and (run := parse_benchmark(p)) and run.setting == setting]
    search, _ = _seconds_by_run(files)
    return {(m, s): v for (_, m, s), v in search.items()}


def computed(cfg: dict, inputs: list[Path], setting: str, method: str, searched: str | None = None) -> dict:
    """Error (mean, std), paper-scale params, search days and cells of ``method``'s retrained runs in ``setting``
    (searched in ``searched``, default the same setting: Table 3 retrains the CIFAR-10 cells on ImageNet). A row
    without runs has ``arch`` saying why."""
    searched = searched or setting
    why = _missing(cfg, setting, method) or _missing(cfg, searched, method)
    runs = _of(_records(inputs, "retrain"), space=setting, method=method) if why is None else pd.DataFrame()
    if runs.empty:
        return {"arch": why or "not run yet"}
    error = 100.0 - runs["test_acc"].astype(float)
    seconds = _search_seconds(inputs, searched)
    days = [seconds.get((method, int(s)), np.nan) / 86400.0 for s in runs["search_seed"]]
    summaries = {s["seed"]: s for s in load_summaries([p for p in inputs if Path(p).name == "summary.json"])
                 if s["method"] == method and s["space"] == searched}
    devices = sorted({str(summaries[int(s)].get("device", "cpu")) for s in runs["search_seed"] if int(s) in summaries})
    imagenet = setting == IMAGENET
    params = [paper_params_m(a, CLASSES.get(setting, 10), imagenet) for a in runs["arch"]]
    return {"arch": " | ".join(runs["arch"].astype(str)), "error": float(error.mean()),
            "error_std": float(error.std(ddof=0)), "params_m": float(np.mean(params)), "gpu_days": float(np.nanmean(days)),
            "runs": len(runs), "device": ", ".join(devices), "run_protocol": setting_protocol(cfg, setting)}


def sota_table(key: str, setting: str, searched: str | None = None):
    """Tables 1-3: the quoted rows and our HEP-NAS row (the seed's rows in its order)."""

    def build(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
        rows = []
        for method, label in published.HEPNAS_SOTA_LABELS[key].items():
            row = {"method": method, "label": label}
            if method != HEPNAS:
                rows.append({**row, "arch": QUOTED})
                continue
            got = computed(cfg, inputs, setting, method, searched)
            note = "error = 100 - retrained test top-1; params of the paper-scale evaluation network"
            if searched:
                jitter = (space_config(cfg, setting).get("standalone") or {}).get("colour_jitter")
                recipe = ("colour jitter " + " / ".join(f"{k} {v}" for k, v in jitter.items())) if jitter else "no colour jitter"
                note += f"; the {searched} search's cell, transferred ({recipe})"
            rows.append({**row, **got, **({"note": note} if "error" in got else {})})
        return tag(with_published(pd.DataFrame(rows), published.HEPNAS_SOTA[key]), cfg)

    return build


def ablation_table(key: str):
    """Tables 5-8: per variant its error in each column's setting and the search days (the first column's)."""
    methods, columns = ABLATIONS[key]

    def build(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
        rows = []
        for method in methods:
            label = cfg["methods"][method]["label"] if method in cfg["methods"] else method
            row, reasons = {"method": method, "label": label}, []
            for col, setting in columns.items():
                got = computed(cfg, inputs, setting, method)
                if "error" not in got:
                    reasons.append(f"{col}: {got['arch']}")
                    continue
                row.update({col: got["error"], f"{col}_std": got["error_std"], f"arch_{col}": got["arch"],
                            f"runs_{col}": got["runs"], f"protocol_{col}": got["run_protocol"]})
                row.setdefault("gpu_days", got["gpu_days"])
            row["arch"] = "; ".join(reasons) if reasons else "computed"
            rows.append(row)
        return tag(with_published(pd.DataFrame(rows), ABLATION_PUBLISHED[key]), cfg)

    return build


def hepnas_fig2(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    """Fig. 2: top-1 error against parameters on ImageNet, Table 3's printed methods and our transferred cell."""
    from nasrepro.reporting.figures import plt, save, stamp

    ours = computed(cfg, inputs, IMAGENET, HEPNAS, C10)
    fig, ax = plt.subplots(figsize=(6, 4))
    for method, values in published.HEPNAS_SOTA["table3"].items():
        if "params_m" not in values:
            continue
        mine = method == HEPNAS
        ax.scatter(values["params_m"], values["error"], s=40 if mine else 18, marker="*" if mine else "o",
                   color="C3" if mine else "grey")
        ax.annotate(published.HEPNAS_SOTA_LABELS["table3"][method].split(" (")[0] + (" (printed)" if mine else ""),
                    (values["params_m"], values["error"]), fontsize=6, xytext=(3, 2), textcoords="offset points")
    if "error" in ours:
        ax.scatter(ours["params_m"], ours["error"], s=70, marker="*", color="C0", label=f"HEP-NAS, ours ({cfg['preset']})")
        ax.legend(fontsize=7)
    ax.set_xlabel("parameters (M)")
    ax.set_ylabel("ImageNet top-1 error (%)")
    ax.set_title("HEP-NAS Fig. 2: ImageNet comparison (grey: Table 3 as printed)", fontsize=9)
    stamp(fig, cfg)
    save(fig, pdf, png)


def cell_figure(setting: str, cell: str):
    """Figs. 4-7: the normal or reduction cell HEP-NAS found (the first search seed), as DARTS draws its cells:
    inputs c_{k-2}, c_{k-1}, intermediate nodes 0-3, the output c_k concatenating them, each edge labelled with
    its operation."""
    if cell not in ("normal", "reduce"):
        raise ValueError(f"cell must be 'normal' or 'reduce', got {cell!r}")

    def build(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
        from nasrepro.reporting.figures import plt, save, stamp
        from nasrepro.spaces.darts import cell_pairs, parse_genotype

        found = [p for p in inputs if Path(p).name == "summary.json"]
        if not found:
            raise ConfigError(f"this cell figure needs the {HEPNAS} search of {setting} (summary.json)")
        summary = json.loads(Path(found[0]).read_text())
        pairs = cell_pairs(parse_genotype(summary["arch"]), 0 if cell == "normal" else 1)
        pos = {0: (0.0, 1.0), 1: (0.0, -1.0), 2: (1.2, 1.5), 3: (2.2, 0.5), 4: (3.2, -0.5), 5: (4.2, -1.5), 6: (5.6, 0.0)}
        names = {0: "c_{k-2}", 1: "c_{k-1}", 2: "0", 3: "1", 4: "2", 5: "3", 6: "c_{k}"}
        fig, ax = plt.subplots(figsize=(7, 3.2))
        for i, (op, src) in enumerate(pairs):
            dst = 2 + i // 2
            (x0, y0), (x1, y1) = pos[src], pos[dst]
            ax.annotate("", (x1, y1), (x0, y0), arrowprops={"arrowstyle": "->", "color": "C0", "lw": 1,
                                                                      "shrinkA": 11, "shrinkB": 11})
            ax.text((x0 + x1) / 2, (y0 + y1) / 2, op, fontsize=6, ha="center", va="center",
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"})
        for node in range(2, 6):
            ax.annotate("", pos[6], pos[node], arrowprops={"arrowstyle": "->", "color": "grey", "lw": 0.6,
                                                                   "shrinkA": 11, "shrinkB": 11})
        for node, (x, y) in pos.items():
            ax.scatter([x], [y], s=500, color="lightblue" if 2 <= node <= 5 else ("lightgreen" if node < 2 else "khaki"),
                       zorder=3, edgecolors="black")
            ax.text(x, y, f"${names[node]}$" if "_" in names[node] else names[node], ha="center", va="center",
                    fontsize=7, zorder=4)
        ax.set_xlim(-0.5, 6.1)
        ax.set_ylim(-2.0, 2.0)
        ax.set_axis_off()
        ax.set_title(f"HEP-NAS {cell} cell found on {cfg[setting]['dataset'] if setting in cfg else setting} "
                     f"(seed {summary['seed']}, {summary['method']})", fontsize=9)
        stamp(fig, cfg)
        save(fig, pdf, png)

    return build
