"""One builder per table of the documents; the CLI's ``table`` command dispatches here by name."""

from __future__ import annotations

import functools

from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from nasrepro.benchmarks import load_ground_truth
from nasrepro.benchmarks.trained import ground_truth_for, load_standalone_records
from nasrepro.config import space_of
from nasrepro.errors import ConfigError
from nasrepro.layout import output_kind, parse_benchmark
from nasrepro.methods import needs_warmup
from nasrepro.reporting import published
from nasrepro.reporting.tables import ground_truth_table, load_summaries, method_rows, read_benchmark_seconds, \
    reference_row, setting_protocol, tag, with_published
from nasrepro.spaces import get_space


def _seconds_by_run(bench_files: list[Path], kind: str = "search"
                    ) -> tuple[dict[tuple[str, str, int], float], dict[tuple[str, int], float]]:
    """Seconds per run of ``kind`` (search or retrain), keyed (setting, method, seed), and per warm-up,
    keyed (setting, seed), from the benchmark files (``layout.parse_benchmark`` reads what each one times).
    The setting is part of the key: a table over two settings must not charge one's runs to the other."""
    search, warm = {}, {}
    for p in bench_files:
        run = parse_benchmark(p)
        if run is None:
            continue
        if run.kind == "warmup":
            warm[(run.setting, run.seed)] = read_benchmark_seconds([p])
        elif run.kind == kind:
            search[(run.setting, run.method, run.seed)] = read_benchmark_seconds([p])
    return search, warm


def thesis_table2_1(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
    space = get_space("pooling")
    trained = load_standalone_records(inputs) if inputs else None
    return tag(ground_truth_table(space, load_ground_truth("pooling"), trained), cfg)


def pooling_uniform_tau(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
    """Kendall's tau of uniformly trained supernets per seed, mean ± std, beside thesis Table 5.1's 0.16,
    which the thesis measured under its Chapter 5 protocol: the runs are that setting's (``pooling-ch5``)."""
    rows = load_summaries(inputs)
    frame = pd.DataFrame([{k: r[k] for k in ("space", "seed", "kendall_tau", "spearman", "precision_at_5", "arch",
                                             "gt_rank")} for r in rows])
    mean, std = frame["kendall_tau"].mean(), frame["kendall_tau"].std(ddof=0)
    summary = pd.DataFrame([{"space": frame["space"].iloc[0], "seed": "mean±std", "kendall_tau": mean, "kendall_tau_std": std,
                             "spearman": frame["spearman"].mean(), "precision_at_5": frame["precision_at_5"].mean()}])
    out = pd.concat([frame, summary], ignore_index=True)
    out["published_kendall_tau"] = published.THESIS_TABLE5_1_TAU["pooling"]["uniform"]
    out["delta_kendall_tau"] = out["kendall_tau"] - out["published_kendall_tau"]
    return tag(out, cfg)


NOT_IMPLEMENTED = "not implemented"
QUOTED = "quoted from its paper (not reproduced)"


CH4_PROTOCOLS = {
    "pooling": "Chapter 3 run (paper App. B.1): the thesis prints paper Table 1's values for this row",
    "pooling-ch4": "Chapter 4 run (thesis §4.4.4: 500 epochs, lr 0.1 cosine, weight decay 1e-2, batch 256)",
    "pooling-ch2": "Chapter 2 run (thesis §2.4: M = 4 weight sets, lr 0.1 cosine, weight decay 1e-3, batch 256)",
}


# Paper Eq. 4 / thesis Eq. 4.3: the reward is the moving average of validation accuracy; only paper
# Table 6 (and the Table 3 row that is one of its rows) prints rows made with other rewards.
DEFAULT_REWARD = "abs/val/acc"


def published_rewards(cfg: dict, pub: dict, rewards: dict[str, str] | None) -> dict[str, str]:
    """The reward each published row of ``pub`` was made with, for the methods whose sampler uses one."""
    from nasrepro.samplers import sampler_class

    if rewards is not None:
        return rewards
    names = {key[1] if isinstance(key, tuple) else key for key in pub}
    samplers = {m: cfg.get("methods", {}).get(m, {}).get("sampler") for m in names}
    return {m: DEFAULT_REWARD for m, name in samplers.items() if name and sampler_class(name).uses_reward}


def check_rewards(summaries: list[dict], rewards: dict[str, str]) -> None:
    """Every run that feeds a published row was made with that row's reward."""
    for s in summaries:
        want = rewards.get(s["method"])
        if want is not None and s.get("reward") != want:
            raise ConfigError(f"method {s['method']!r} ran with reward {s.get('reward')!r}, but the published row it "
                              f"sits beside was made with {want!r}; give the method that reward (methods."
                              f"{s['method']}.reward) or compare it with the row of its own reward")


def printed_spaces(pub: dict, method: str, space_name: str | None) -> list[str | None]:
    """The settings a row we do not run is printed for: every setting a multi-space table (values keyed
    by (setting, method)) prints it in, else the table's own setting."""
    return [key[0] for key in pub if isinstance(key, tuple) and key[1] == method] or [space_name]


def not_run_reason(cfg: dict, setting: str, method: str) -> str | None:
    """Why the preset has no run of ``method`` in ``setting`` (None: it runs it)."""
    scfg = cfg.get(setting)
    if scfg is None:
        return f"not run: preset {cfg['preset']!r} has no {setting} section"
    only = scfg.get("methods")
    if only is not None and method not in only:
        return f"not run: preset {cfg['preset']!r} runs only {', '.join(only)} in {setting}"
    return None


def not_run_rows(cfg: dict, pub: dict, space_name: str | None) -> list[tuple[str, str, str]]:
    """(setting, method, reason) of every published method row the preset does not run, so a reduced preset
    (laptop: Uniform only) keeps the row with its printed values and says why ours is missing."""
    out = []
    for key in pub:
        setting, method = key if isinstance(key, tuple) else (space_name, key)
        if setting is None or method not in cfg.get("methods", {}):
            continue
        why = not_run_reason(cfg, setting, method)
        if why is not None:
            out.append((setting, method, why))
    return out


def with_retrained_accuracy(summaries: list[dict], inputs: list[Path]) -> None:
    """A found network without ground truth (DARTS's paths outside the 36 of Table 2.1) takes the test
    accuracy of its retraining (``retrain`` records among ``inputs``), and says so in ``accuracy_from``."""
    records = load_standalone_records([p for p in inputs if output_kind(p) == "retrain" and Path(p).suffix == ".json"])
    if records.empty:
        return
    retrained = {(r["space"], r["method"], int(r["search_seed"])): float(r["test_acc"]) for _, r in records.iterrows()}
    for s in summaries:
        key = (s["space"], s["method"], int(s["seed"]))
        acc = s.get("gt_acc")  # strict JSON stores a missing ground truth as null
        if (acc is None or not np.isfinite(float(acc))) and key in retrained:
            s["gt_acc"] = retrained[key]
            s["accuracy_from"] = "retrained with the setting's standalone recipe (no ground truth for this path)"


def method_table(space_name: str | None, pub: dict, default_arch: str | None = None, reference_rows: bool = True,
                 not_implemented: dict[str, str] | None = None, labels: dict[str, str] | None = None,
                 quoted: dict[str, str] | None = None,
                 not_applicable: dict[tuple[str, str], tuple[str, str]] | None = None,
                 rewards: dict[str, str] | None = None, protocols: dict[str, str] | None = None,
                 scale_protocols: bool = False) -> Callable:
    """Rows per method (in the order of the inputs); Table 1/3 also get the Default and Best rows.

    Rows the harness does not run keep the printed values with a status in the ``arch`` column:
    ``not_implemented`` (method -> label), ``quoted`` (rows the document took from other papers) and
    ``not_applicable`` ((space, method) -> (label, reason)). ``rewards`` (method -> the published row's
    ``metric/data/measure``) stops the build when a run made with another reward would feed that row.
    ``protocols`` (setting -> text) adds a ``protocol`` column saying which setting made each run row, for
    tables whose rows come from more than one chapter's protocol (thesis Tables 4.1 and 4.3).
    ``scale_protocols`` adds ``run_protocol`` (the scale our runs were made at, ``setting_protocol``) and
    ``published_protocol`` (the thesis's, ``published.PUBLISHED_PROTOCOL``) to every row of a setting."""

    def build(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
        summaries = load_summaries([p for p in inputs if Path(p).name == "summary.json"])
        with_retrained_accuracy(summaries, inputs)
        check_rewards(summaries, published_rewards(cfg, pub, rewards))
        search, warm = _seconds_by_run([p for p in inputs if Path(p).suffix == ".tsv"])
        seconds = {}
        for s in summaries:
            key = (s["space"], s["method"], int(s["seed"]))
            if key in search:
                uses_warmup = needs_warmup(cfg["methods"][s["method"]])
                # A method that needs the warm-up supernet is charged for it: it is part of its search cost.
                seconds[key] = search[key] + (warm.get((key[0], key[2]), 0.0) if uses_warmup else 0.0)
        rows = method_rows(summaries, seconds)
        # A method shared by several tables (mcts-learned is the default of every ablation) takes the
        # row name that table prints.
        rows["label"] = [(labels or {}).get(m, lab) for m, lab in zip(rows["method"], rows["label"])]
        head, tail = [], []
        if reference_rows:
            trained = [p for p in inputs if output_kind(p) == "standalone"]
            space, gt = get_space(space_of(cfg, space_name)), ground_truth_for(cfg, space_name, trained)
            head = [reference_row("default", "Default Arch.", space.parse(default_arch), space, gt)] if default_arch else []
            tail = [reference_row("best", "Best", gt.best(), space, gt)]
        # Methods the harness does not run keep their row, with the published values only.
        missing = [{"space": sp, "method": m, "label": label, "arch": QUOTED}
                   for m, label in (quoted or {}).items() for sp in printed_spaces(pub, m, space_name)]
        missing += [{"space": sp, "method": m, "label": label, "arch": NOT_IMPLEMENTED}
                    for m, label in (not_implemented or {}).items() for sp in printed_spaces(pub, m, space_name)]
        missing += [{"space": sp, "method": m, "label": label, "arch": f"not applicable: {why}"}
                    for (sp, m), (label, why) in (not_applicable or {}).items()]
        if protocols:
            rows["protocol"] = [protocols.get(sp, f"setting {sp}") for sp in rows["space"]]
        have = set(zip(rows["space"], rows["method"])) | {(r["space"], r["method"]) for r in missing}
        missing += [{"space": sp, "method": m, "label": (labels or {}).get(m, cfg["methods"][m]["label"]), "arch": why}
                    for sp, m, why in not_run_rows(cfg, pub, space_name) if (sp, m) not in have]
        ran = set(zip(rows["space"], rows["method"])) if len(rows) else set()
        rows = pd.concat([pd.DataFrame(head), rows, pd.DataFrame(missing), pd.DataFrame(tail)], ignore_index=True)
        if scale_protocols:  # a row not run here has no protocol of ours
            rows["run_protocol"] = [setting_protocol(cfg, sp) if (sp, m) in ran and sp in cfg else None
                                    for sp, m in zip(rows["space"], rows["method"])]
            rows["published_protocol"] = [published.PUBLISHED_PROTOCOL.get(sp) for sp in rows["space"]]
        return tag(with_published(rows, pub), cfg)

    build.published, build.rewards = pub, rewards  # what tests check the catalogue's runs against
    return build


def with_reward_columns(build: Callable) -> Callable:
    """Table 6: split the reward recorded by each run into the paper's Metric / Reward Data / Measure."""

    @functools.wraps(build)  # keeps the builder's published values and rewards
    def wrapped(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
        frame = build(cfg, inputs)
        rewards = {s["method"]: s["reward"] for s in load_summaries([p for p in inputs if Path(p).name == "summary.json"])}
        parts = [rewards.get(m, "//").split("/") for m in frame["method"]]
        frame.insert(3, "metric", [p[0] for p in parts])
        frame.insert(4, "reward_data", [p[1] for p in parts])
        frame.insert(5, "reward_measure", [p[2] for p in parts])
        return frame

    return wrapped


def ground_truth_check(space_name: str) -> Callable:
    """Our stand-alone retraining of selected architectures beside the published benchmark values."""

    def build(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
        # Always the published table: this is the check of our retraining against it.
        gt = load_ground_truth(space_name, **cfg.get(space_name, {}).get("benchmark", {}))
        space = get_space(space_name)
        runs = load_standalone_records(inputs)
        rows = []
        for key, grp in runs.groupby("arch", sort=False):
            arch = space.parse(key)
            std = gt.std[gt.position(arch)] if gt.std is not None else np.nan
            rows.append({"arch": key, "trained_acc": grp["test_acc"].mean(), "trained_std": grp["test_acc"].std(ddof=0),
                         "trained_runs": len(grp), "epochs": int(grp["epochs"].iloc[0]),
                         "published_acc": gt.accuracy_of(arch), "published_std": float(std),
                         "published_rank": gt.rank_of(arch), "ground_truth": gt.source,
                         "delta_acc": grp["test_acc"].mean() - gt.accuracy_of(arch)})
        return tag(pd.DataFrame(rows), cfg)

    return build


# Thesis Table 5.3: the NAS-Bench-201 setting (preset section) behind each dataset column.
TABLE5_3_COLUMNS = (("cifar10", "nb201-c10", "cifar10"), ("cifar100", "nb201-c100", "cifar100"),
                    ("imagenet16", "nb201-in16", "imagenet16-120"))


def table5_3_skip_reason(cfg: dict, section: str, dataset: str) -> str | None:
    """Why a dataset column of Table 5.3 has no runs in this preset (None: it has)."""
    scfg = cfg.get(section)
    if scfg is None:
        return (f"skipped: preset {cfg['preset']!r} has no {section} section "
                f"({dataset} is not embedded; use --config preset=paper with the data in data_root)")
    if scfg.get("dataset") != dataset and not (dataset == "cifar10" and scfg.get("dataset") == "demo-cifar10"):
        return (f"skipped: preset {cfg['preset']!r} runs {section} on {scfg.get('dataset')} "
                f"as a stand-in, not {dataset}")
    return None


def thesis_table5_3(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
    """One row per sampling method; top-1 accuracy (mean ± std over seeds) and Kendall's tau per dataset."""
    summaries = load_summaries([p for p in inputs if Path(p).name == "summary.json"])
    search, _ = _seconds_by_run([p for p in inputs if Path(p).suffix == ".tsv"])
    labels = {"uniform": "Uniform", "fairnas": "FairNas", "debiased-k100": "Debiased (ours)"}
    rows = {m: {"method": m, "label": label} for m, label in labels.items()}
    hours: dict[str, list[float]] = {m: [] for m in labels}
    for column, section, dataset in TABLE5_3_COLUMNS:
        reason = table5_3_skip_reason(cfg, section, dataset)
        mine = [r for r in summaries if r["space"] == section]
        agg = method_rows(mine).set_index("method") if mine and reason is None else None
        for m, row in rows.items():
            if agg is None or m not in agg.index:
                row[f"{column}_status"] = reason or not_run_reason(cfg, section, m) or "no runs given"
                continue
            row[f"{column}_status"] = f"run on {cfg[section]['dataset']}"
            row[f"{column}_run_protocol"] = setting_protocol(cfg, section)
            row[f"{column}_acc"], row[f"{column}_acc_std"] = agg.at[m, "avg_acc"], agg.at[m, "std_acc"]
            row[f"{column}_tau"] = agg.at[m, "kendall_tau"]
            row[f"{column}_arch"] = agg.at[m, "arch"]
            if "path_steps" in agg.columns:  # equal cost: FairNas trains epochs / m (methods.search_protocol)
                row[f"{column}_path_steps"] = agg.at[m, "path_steps"]
            hours[m] += [search[key] / 3600.0 for r in mine if r["method"] == m
                         and (key := (section, m, int(r["seed"]))) in search]
    for m, row in rows.items():
        row["gpu_hours"] = float(np.mean(hours[m])) if hours[m] else float("nan")
    best = {"method": "best", "label": "Best"}
    for column, section, dataset in TABLE5_3_COLUMNS:
        if table5_3_skip_reason(cfg, section, dataset) is None:
            gt = ground_truth_for(cfg, section)
            best[f"{column}_acc"], best[f"{column}_arch"] = gt.accuracy_of(gt.best()), get_space("nb201").format(gt.best())
    frame = pd.DataFrame([*rows.values(), best])
    frame.insert(0, "space", "nb201")
    frame["published_protocol"] = published.PUBLISHED_PROTOCOL["nb201"]
    return tag(with_published(frame, published.THESIS_TABLE5_3), cfg)


TABLE4_SECTIONS = ("mobilenet-imagenet-280", "mobilenet-imagenet-330")
TABLE4_METHODS = ("uniform", "boltzmann", "mcts-reg", "mcts-learned")  # our rows of paper Table 4


def table4(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
    """Paper Table 4: per budget, the networks our samplers found, retrained from scratch (``retrain``
    records): best top-1 over seeds, MACs and params of that network, and GPU-days of warm-up (learned
    tree only) + search + retraining from the ``benchmark:`` files; quoted rows carry printed values only."""
    retrained = load_standalone_records([p for p in inputs if output_kind(p) == "retrain" and Path(p).suffix == ".json"])
    bench = [p for p in map(Path, inputs) if p.suffix == ".tsv"]
    rows = []
    for section in TABLE4_SECTIONS:
        for m, label in published.PAPER_TABLE4_QUOTED.get(section, {}).items():
            rows.append({"space": section, "method": m, "label": label, "arch": QUOTED})
        if section not in cfg:  # e.g. the demo runs one budget: the other says so instead of vanishing
            for method in TABLE4_METHODS:
                rows.append({"space": section, "method": method, "label": cfg["methods"][method]["label"],
                             "arch": f"skipped: preset {cfg['preset']!r} has no {section} section "
                                     "(the paper preset runs both budgets)"})
            continue
        files = [p for p in bench if (run := parse_benchmark(p)) is not None and run.setting == section]
        search, warm = _seconds_by_run(files)
        retrain, _ = _seconds_by_run(files, kind="retrain")
        mine = retrained[retrained["space"] == section] if len(retrained) else retrained
        for method, grp in (mine.groupby("method", sort=False) if len(mine) else []):
            best = grp.loc[grp["test_acc"].idxmax()]
            seconds = []
            for seed in map(int, grp["search_seed"]):
                s = search.get((section, method, seed), 0.0) + retrain.get((section, method, seed), 0.0)
                if needs_warmup(cfg["methods"][method]):
                    s += warm.get((section, seed), 0.0)
                seconds.append(s)
            rows.append({"space": section, "method": method, "label": best["label"], "arch": best["arch"],
                         "best_acc": float(best["test_acc"]), "avg_acc": float(grp["test_acc"].mean()),
                         "macs_m": float(best["macs_m"]), "params_m": float(best["params_m"]),
                         "gpu_days": float(np.mean(seconds)) / 86400.0, "runs": len(grp)})
    # the table's last section: other NAS methods outside both budgets, quoted
    rows += [{"space": "outside-budget", "method": m, "label": label, "arch": QUOTED}
             for m, label in published.PAPER_TABLE4_QUOTED["outside-budget"].items()]
    return tag(with_published(pd.DataFrame(rows), published.PAPER_TABLE4), cfg)


# ---------------------------------------------------------------------------------------------- thesis Ch. 2
CH2_SETTING = "pooling-ch2"


def _weight_sets(cfg: dict, setting: str, method: str) -> int | None:
    """Weight copies per block: M for a mixture, one per resolution in the per-resolution spaces (SPOS, or
    DARTS not shared), else 1."""
    from nasrepro.spaces.resolution import RESOLUTIONS

    if method in ("default", "best") or setting not in cfg or method not in cfg["methods"]:
        return None
    entry = cfg["methods"][method]
    if "differentiable" in entry:
        return 1 if entry["differentiable"].get("sharing", "shared") == "shared" else RESOLUTIONS
    if space_of(cfg, setting).startswith("pooling-resolution"):
        return RESOLUTIONS
    return int((entry.get("sampler_options") or {}).get("models", 1))


def _paths(cfg: dict, setting: str, method: str) -> int | None:
    from nasrepro.spaces.population import population

    if method in ("default", "best") or setting not in cfg:
        return None
    return len(population(cfg[setting], get_space(space_of(cfg, setting))))


def ch2_table(pub: dict, labels: dict[tuple[str, str], str], structure: bool = False) -> Callable:
    """Thesis Tables 2.2 and 2.3: the method rows of the Chapter 2 settings (``pooling-ch2`` and its
    per-resolution variants), each labelled by its (setting, method) as the table prints it, with the
    Default and Best rows. ``structure`` adds Table 2.2's weight sets per block and paths, computed from the
    setting's space, beside the printed values, with a ``note`` where they differ."""
    inner = method_table(CH2_SETTING, pub, "[4,3,3]")

    def build(cfg: dict, inputs: list[Path]) -> pd.DataFrame:
        rows = inner(cfg, inputs)
        rows["label"] = [labels.get((sp, m), lab) for sp, m, lab in zip(rows["space"], rows["method"], rows["label"])]
        trained = load_standalone_records([p for p in inputs if output_kind(p) == "standalone"])
        if len(trained):  # Table 2.3's "Best conf. (Bruteforce)": the cost of training every architecture alone
            best = rows["method"] == "best"
            rows.loc[best, "hours"] = float(trained["train_seconds"].sum()) / 3600.0
            rows.loc[best, "hours_from"] = f"{len(trained)} stand-alone trainings ({trained['arch'].nunique()} architectures)"
            if "published_hours" in rows:
                rows["delta_hours"] = pd.to_numeric(rows["hours"], errors="coerce") - pd.to_numeric(
                    rows["published_hours"], errors="coerce")
        if structure:
            rows["weight_sets"] = [_weight_sets(cfg, sp, m) for sp, m in zip(rows["space"], rows["method"])]
            rows["paths"] = [_paths(cfg, sp, m) for sp, m in zip(rows["space"], rows["method"])]
            notes = []
            for _, r in rows.iterrows():
                note = []
                if pd.notna(r.get("published_paths")) and r["paths"] is not None and r["paths"] != r["published_paths"]:
                    note.append(f"printed {int(r['published_paths']):,} paths, the space has {int(r['paths']):,} (3^9)")
                if (pd.notna(r.get("published_weight_sets")) and r["weight_sets"] is not None
                        and r["weight_sets"] != r["published_weight_sets"]):
                    note.append(f"printed {int(r['published_weight_sets'])} weight sets; one per resolution is "
                                f"{int(r['weight_sets'])}")
                notes.append("; ".join(note))
            rows["note"] = notes
            for f in ("weight_sets", "paths"):
                rows["delta_" + f] = pd.to_numeric(rows[f], errors="coerce") - pd.to_numeric(rows["published_" + f],
                                                                                             errors="coerce")
        return rows

    build.published, build.rewards = pub, None
    return build
