"""One builder per figure of the documents; the CLI's ``figure`` command dispatches here by name."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from nasrepro.errors import ConfigError
from nasrepro.layout import search_run_of
from nasrepro.reporting import figures
from nasrepro.reporting.tables import load_summaries
from nasrepro.spaces import get_space


def _by_method(inputs: list[Path], name: str) -> dict[str, list[Path]]:
    """Group ``.../search/<method>/s<seed>/<name>`` files by method label, keeping input order."""
    import json

    groups: dict[str, list[Path]] = {}
    for p in inputs:
        if p.name == name:
            summary = json.loads((p.parent / "summary.json").read_text())
            groups.setdefault(summary["label"], []).append(p)
    return groups


def interference_accuracies(inputs: list[Path]) -> "pd.DataFrame":
    """Thesis Fig. 2.3's bars: each configuration's validation accuracy trained alone (a setting over it
    only) and trained together with the other in one network (the setting over both); mean over seeds."""
    import pandas as pd

    rows = []
    for path in inputs:
        setting, _, seed = search_run_of(path)
        frame = pd.read_csv(path, dtype={"arch": str})
        together = len(frame) > 1
        rows += [{"arch": a, "trained": "combination" if together else "alone", "seed": seed, "val_acc": v}
                 for a, v in zip(frame["arch"], frame["supernet_val_acc"])]
    out = pd.DataFrame(rows).groupby(["arch", "trained"], sort=False)["val_acc"].agg(["mean", "std", "count"])
    return out.reset_index()


def thesis_fig2_3(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    """Interference: early and late pooling trained alone, then sampled uniformly in one shared network."""
    from nasrepro.reporting.figures import plt, save, stamp

    acc = interference_accuracies([p for p in inputs if p.name == "arch_eval.csv"])
    archs = list(dict.fromkeys(acc["arch"]))
    if set(acc["trained"]) != {"alone", "combination"}:
        raise ConfigError("thesis Fig. 2.3 needs the runs of each configuration alone and of both together")
    fig, ax = plt.subplots(figsize=(4.8, 3.4))
    x = np.arange(len(archs))
    for k, trained in enumerate(("alone", "combination")):
        part = acc[acc["trained"] == trained].set_index("arch").reindex(archs)
        ax.bar(x + (k - 0.5) * 0.38, part["mean"], 0.38, yerr=part["std"].fillna(0), capsize=3, label=trained)
    ax.set_xticks(x, archs)
    ax.set_xlabel("pooling configuration")
    ax.set_ylabel("validation accuracy (%)")
    ax.set_title("Interference: early vs late pooling, alone and combined", fontsize=9)
    ax.legend(fontsize=7)
    stamp(fig, cfg)
    save(fig, pdf, png)


def thesis_fig2_7(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    """The feature-map size per layer of the architecture each DARTS variant derived (argmax of alpha per
    layer), one row per run; the first layer (grey) is fixed at full resolution. A size larger than the
    layer before it is an upsampling, outside the Pooling space."""
    from nasrepro.reporting.figures import plt, save, stamp

    summaries = load_summaries([p for p in inputs if p.name == "summary.json"])
    if not summaries:
        raise ConfigError("thesis Fig. 2.7 needs the DARTS runs of pooling-ch2-res-all")
    grid = np.array([s["resolutions"] for s in summaries], dtype=float)
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(summaries) + 1.4))
    shown = np.log2(grid.max() / grid)  # 0 = full resolution
    shown_masked = np.ma.masked_array(shown, mask=np.zeros_like(shown, dtype=bool))
    shown_masked.mask[:, 0] = True
    ax.imshow(np.zeros_like(shown[:, :1]), cmap="Greys", vmin=-1, vmax=3, extent=(-0.5, 0.5, len(summaries) - 0.5, -0.5))
    ax.imshow(shown_masked, cmap="viridis_r", vmin=0, vmax=max(2, shown.max()), aspect="auto",
              extent=(-0.5, grid.shape[1] - 0.5, len(summaries) - 0.5, -0.5))
    for i, row in enumerate(grid):
        for j, size in enumerate(row):
            ax.text(j, i, f"{int(size)}", ha="center", va="center", fontsize=7,
                    color="black" if j == 0 or size == grid.max() else "white")  # dark on the light cells
    ax.set_xticks(range(grid.shape[1]), [f"L{j + 1}" for j in range(grid.shape[1])])
    ax.set_yticks(range(len(summaries)), [f"{s['label']} (s{s['seed']}), {s['upsamples']} up" for s in summaries],
                  fontsize=7)
    ax.set_title("DARTS variants: feature-map size per layer of the derived architecture", fontsize=9)
    stamp(fig, cfg)
    save(fig, pdf, png)


def thesis_fig2_5(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    """Balanced mixtures of M supernets (M from each run's method), supernet accuracy against ground truth."""
    evals = [p for p in inputs if p.name == "arch_eval.csv"]
    labels = []
    for p in evals:
        _, method, seed = search_run_of(p)
        models = cfg["methods"][method].get("sampler_options", {}).get("models", 1)
        labels.append(f"M = {models}, seed {seed}")
    figures.supernet_vs_ground_truth(cfg, evals, labels, "Pooling: balanced mixtures of M supernets vs ground truth",
                                     pdf, png)


def fig3(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    summaries = load_summaries([p for p in inputs if p.name == "summary.json"])
    order = list(dict.fromkeys(s["method"] for s in summaries))
    figures.bars(cfg, summaries, order, "Pooling: accuracy partition vs output clustering", pdf, png)


def fig5(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    summaries = load_summaries([p for p in inputs if p.name == "summary.json"])
    for s in summaries:
        s["beta"] = s["sampler_options"]["beta"]  # the value the run used, as it recorded it
    figures.sensitivity(cfg, summaries, "beta", "Pooling: smoothing factor of the reward EMA (Eq. 4)", pdf, png)


def _curves(column: str, ylabel: str, title: str) -> Callable:
    def build(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
        figures.curves(cfg, _by_method(inputs, "history.csv"), column, ylabel, title, pdf, png)

    return build


def pooling_trees(linkage: bool) -> Callable:
    """Paper Fig. 7 (distance matrices) / Fig. 8 (dendrograms): outputs, vector and one-hot encodings."""

    def build(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
        from nasrepro.trees.build import build_tree

        space = get_space("pooling")
        archs = space.enumerate()
        outputs = np.load([p for p in inputs if p.name == "outputs.npz"][0])["outputs"]
        tree_cfg = cfg["pooling"]["tree"]
        common = {"encodings": space.encodings(archs), "choices": space.choices_per_decision(),
                  "linkage": tree_cfg["linkage"]}
        infos = {
            f"outputs ({tree_cfg['distance']})": build_tree("learned", outputs=outputs, distance=tree_cfg["distance"],
                                                            **common)[1],
            "vector encoding": build_tree("vector", **{**common, "encodings": space.vector_encodings(archs)})[1],
            "one-hot encoding": build_tree("onehot", **common)[1],
        }
        labels = [str(space.display_index(a)) for a in archs]
        panels = {k: v["condensed"] for k, v in infos.items()}
        links = {k: v["linkage_matrix"] for k, v in infos.items()} if linkage else None
        title = "Pooling: tree branching by hierarchical clustering" if linkage else "Pooling: normalised distance matrices"
        figures.distance_panels(cfg, panels, labels, title, pdf, png, linkages=links)

    return build


def unique_share_by_lambda(inputs: list[Path]) -> dict:
    """Paper Fig. 6(a): per lambda (ascending), the mean over seeds of the percentage of the population
    sampled at least once in each epoch (``unique_in_epoch`` of history.csv), indexed by epoch."""
    import json

    import pandas as pd

    by_lam: dict[float, list] = {}
    for p in inputs:
        if p.name == "history.csv":
            s = json.loads((p.parent / "summary.json").read_text())
            h = pd.read_csv(p).set_index("epoch")
            by_lam.setdefault(float(s["sampler_options"]["lam"]), []).append(
                100.0 * h["unique_in_epoch"] / s["population_size"])
    return {lam: pd.concat(by_lam[lam], axis=1).mean(axis=1) for lam in sorted(by_lam)}


def fig6(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    """(a) share of distinct architectures sampled in each epoch, per UCT exploration factor lambda
    (paper §5.5: lambda in {0.01, 0.1, 0.5, 1.0}); (b) accuracy of MCTS against warm-up length."""
    import json

    from nasrepro.reporting.figures import plt, save, stamp

    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(9, 3.5))
    for lam, mean in unique_share_by_lambda(inputs).items():
        ax_a.plot(mean.index, mean.values, marker=".", label=f"lambda = {lam:g}")
    ax_a.set_xlabel("epoch")
    ax_a.set_ylabel("distinct architectures sampled in the epoch (%)")
    ax_a.legend(fontsize=7)
    ax_a.set_title("(a) unique architecture visits", fontsize=9)
    snaps = cfg["pooling"]["warmup"].get("snapshots", [])
    points: dict[float, list[float]] = {}
    for p in inputs:
        if p.name != "summary.json":
            continue
        s = json.loads(p.read_text())
        topt = cfg["methods"][s["method"]].get("tree_options", {})
        if s["method"] == "mcts-learned":
            points.setdefault(1.0, []).append(s["gt_acc"])
        elif "warmup_snapshot" in topt and snaps:
            points.setdefault(float(snaps[topt["warmup_snapshot"]]), []).append(s["gt_acc"])
    xs = sorted(points)
    ax_b.errorbar(xs, [float(np.mean(points[x])) for x in xs], yerr=[float(np.std(points[x])) for x in xs],
                  marker="o", capsize=3)
    ax_b.set_xlabel(f"warm-up length (fraction of {cfg['pooling']['warmup']['epochs']} epochs)")
    ax_b.set_ylabel("ground-truth accuracy of found arch (%)")
    ax_b.set_title("(b) warm-up iterations for the distance matrix", fontsize=9)
    stamp(fig, cfg)
    save(fig, pdf, png)


def thesis_figA2_1(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    """Thesis Fig. A II-1: uniform and debiased supernet estimates of every Pooling architecture against
    its ground truth (Ch. 5 protocol), Kendall's tau in the legend."""
    evals = [p for p in inputs if p.name == "arch_eval.csv"]
    labels = [search_run_of(p)[1] for p in evals]
    figures.supernet_vs_ground_truth(cfg, evals, labels, "Pooling: uniform and debiased sampling (thesis Fig. A II-1)",
                                     pdf, png)


def thesis_fig5_3(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    """Pooling (Ch. 5 protocol): stand-alone accuracy, uniform and debiased supernet accuracy of every
    architecture, sorted by the density the debiased run estimated (Alg. 5.1: its sampling probability
    falls with density, so descending probability is ascending density)."""
    import pandas as pd

    evals = _by_method(inputs, "arch_eval.csv")
    frames = {label: pd.read_csv(paths[0], dtype={"arch": str}).set_index("arch") for label, paths in evals.items()}
    debiased = next(f for label, f in frames.items() if "ebiased" in label)
    archs = debiased.index
    order = np.lexsort((np.arange(len(archs)), -debiased["probability"].to_numpy()))
    series = {"stand-alone (ground truth)": debiased["gt_acc"]}
    series.update({f"supernet, {label}": f.loc[archs, "supernet_val_acc"] for label, f in frames.items()})
    figures.standardised_profile(cfg, series, order, "architectures, from low to high density",
                                 "Pooling: accuracy against density (thesis Fig. 5.3)", pdf, png)


def thesis_fig5_5(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    """Pooling (Ch. 5 protocol): supernet accuracy of every architecture after uniform sampling and after
    density-aware sampling at several temperatures (Eq. 5.7), against the stand-alone accuracy (black),
    architectures sorted by stand-alone accuracy so that a faithful supernet rises like the black line."""
    import pandas as pd

    evals = _by_method(inputs, "arch_eval.csv")
    frames = {label: pd.read_csv(paths[0], dtype={"arch": str}).set_index("arch") for label, paths in evals.items()}
    truth = next(iter(frames.values()))["gt_acc"]
    order = np.lexsort((np.arange(len(truth)), truth.to_numpy()))
    setting_tau = cfg.get("pooling-ch5", {}).get("sampler", {}).get("tau")
    named = lambda label: f"{label}, tau = {setting_tau:g}" if "ebiased" in label and setting_tau else label
    series = {"stand-alone (ground truth)": truth}
    series.update({f"supernet, {named(label)}": f.loc[truth.index, "supernet_val_acc"] for label, f in frames.items()})
    figures.standardised_profile(cfg, series, order, "architectures, from low to high stand-alone accuracy",
                                 "Pooling: debiasing temperature (thesis Fig. 5.5)", pdf, png)


def thesis_fig5_4(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    """Pooling (Ch. 5 protocol, uniform supernet): (a) every architecture's density estimate after each epoch
    (mean functional distance, z-scored within the epoch and negated, so up = denser); (b) how close each
    epoch's estimate is to the last one (Kendall's tau), i.e. when a density warm-up could stop."""
    import pandas as pd

    from nasrepro.evaluation.metrics import kendall_tau
    from nasrepro.reporting.figures import plt, save, stamp

    path = next(p for p in inputs if p.name == "density_trace.csv")
    trace = pd.read_csv(path, dtype={"arch": str})
    if trace.empty:
        raise ConfigError(f"{path} has no rows: set search.density_trace: true for its setting and rerun the search")
    wide = trace.pivot(index="epoch", columns="arch", values="mean_distance").sort_index()
    z = -(wide.sub(wide.mean(axis=1), axis=0)).div(wide.std(axis=1).replace(0.0, 1.0), axis=0)
    final = wide.iloc[-1].to_numpy()
    taus = [kendall_tau(row.to_numpy(), final) for _, row in wide.iterrows()]
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_a.plot(z.index, z.to_numpy(), lw=0.8, alpha=0.7)
    ax_a.set_xlabel("epoch")
    ax_a.set_ylabel("density (z-score within the epoch)")
    ax_a.set_title(f"(a) density of each of the {wide.shape[1]} architectures", fontsize=9)
    ax_b.plot(wide.index, taus, marker="o")
    ax_b.set_ylim(-1.05, 1.05)
    ax_b.set_xlabel("epoch")
    ax_b.set_ylabel("Kendall's tau with the last epoch")
    ax_b.set_title("(b) agreement with the final density estimate", fontsize=9)
    fig.suptitle("Pooling: density during supernet training (thesis Fig. 5.4)", fontsize=10)
    fig.subplots_adjust(wspace=0.35)
    stamp(fig, cfg)
    save(fig, pdf, png)


def _density_record(path: Path):
    """A gradient-density run's ``arch_eval.csv`` (Alg. 5.1 records, ``DensitySampler.per_arch``), with a
    clear message when the run did not record them."""
    import pandas as pd

    frame = pd.read_csv(path, dtype={"arch": str}).set_index("arch")
    if "functional_mean_distance" not in frame:
        raise ConfigError(f"{path} has no density record: the run must use the density sampler with "
                          "representation 'gradient' over every architecture (prototypes: null); rerun it")
    return frame


def thesis_fig5_1(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    """Pooling (Ch. 5 protocol): (a) the architectures' loss gradients after the uniform warm-up, projected
    to 2-D by PCA of the unit-normalised gradients, coloured by gradient density ``1 / d̄`` (Eq. 5.5);
    (b) the bias Fig. 5.1 describes, on the uniform supernet: its accuracy minus the stand-alone accuracy
    (both z-scored over the architectures) against gradient density, with Pearson's r."""
    import pandas as pd

    from nasrepro.evaluation.metrics import pearson
    from nasrepro.reporting.figures import plt, save, stamp

    runs = {search_run_of(p)[1]: p for p in inputs if p.name == "arch_eval.csv"}
    grad = _density_record(runs["debiased-grad"])
    density = 1.0 / grad["mean_distance"]
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(9.5, 3.8))
    points = ax_a.scatter(grad["projection_1"], grad["projection_2"], c=density, cmap="viridis", s=28)
    fig.colorbar(points, ax=ax_a, label="gradient density 1 / mean distance")
    ax_a.set_xlabel("PC 1 of the gradients")
    ax_a.set_ylabel("PC 2")
    ax_a.set_title(f"(a) {len(grad)} architectures after the uniform warm-up", fontsize=9)
    if "uniform" in runs:
        uni = pd.read_csv(runs["uniform"], dtype={"arch": str}).set_index("arch").loc[grad.index]
        z = lambda v: (v - v.mean()) / (v.std() or 1.0)
        bias = z(uni["supernet_val_acc"]) - z(uni["gt_acc"])
        ax_b.scatter(density, bias, s=22)
        ax_b.axhline(0.0, color="0.6", lw=0.8)
        ax_b.set_title(f"(b) uniform supernet: over-training vs density, r = {pearson(density, bias):.2f}", fontsize=9)
    else:
        ax_b.text(0.5, 0.5, "no uniform run in this preset", ha="center", va="center", transform=ax_b.transAxes)
    ax_b.set_xlabel("gradient density")
    ax_b.set_ylabel("supernet z-score minus stand-alone z-score")
    fig.suptitle("Pooling: training bias and gradient density (thesis Fig. 5.1)", fontsize=10)
    fig.subplots_adjust(wspace=0.4)
    stamp(fig, cfg)
    save(fig, pdf, png)


# Seed 001, §5.3.6: Fig. 5.2 prints no value for Pooling; for NAS-Bench-Macro "a strong correlation (~0.9)".
THESIS_FIG5_2_PEARSON = {"pooling-ch5": None, "nb-macro-ch5": 0.9}


def thesis_fig5_2(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    """Gradient density against functional density (both ``1 / d̄``, Eqs. 5.5 and 5.11) of every
    architecture after the uniform warm-up of the gradient-density run, one panel per setting, with
    Pearson's r beside the thesis's."""
    from nasrepro.evaluation.metrics import pearson
    from nasrepro.reporting.figures import plt, save, stamp

    runs = {search_run_of(p)[0]: p for p in inputs if p.name == "arch_eval.csv"}
    if not runs:
        raise ConfigError("thesis Fig. 5.2 needs a debiased-grad run of pooling-ch5 or nb-macro-ch5")
    fig, axes = plt.subplots(1, len(runs), figsize=(4.5 * len(runs), 3.8), squeeze=False)
    for ax, (setting, path) in zip(axes[0], runs.items()):
        rec = _density_record(path)
        grad, func = 1.0 / rec["mean_distance"], 1.0 / rec["functional_mean_distance"]
        printed = THESIS_FIG5_2_PEARSON.get(setting)
        ax.scatter(func, grad, s=12 if len(rec) > 100 else 24, alpha=0.7)
        ax.set_xlabel("functional density (outputs)")
        ax.set_ylabel("gradient density")
        ax.set_title(f"{setting}, {len(rec)} architectures: r = {pearson(grad, func):.2f}"
                     + (f" (thesis ~{printed:g})" if printed is not None else " (thesis: figure only)"), fontsize=9)
    fig.suptitle("Gradient density vs functional density (thesis Fig. 5.2)", fontsize=10)
    fig.subplots_adjust(wspace=0.35)
    stamp(fig, cfg)
    save(fig, pdf, png)


def top_k_share_by_segment(visits, arch_eval, segments: int, k: int = 5) -> np.ndarray:
    """Share of the paths trained in each of ``segments`` equal spans of epochs that went to the ``k``
    best architectures by ground truth (thesis Fig. 4.2b; the first span is the uniform warm-up)."""
    import pandas as pd

    top = set(arch_eval.sort_values("gt_acc", ascending=False, kind="stable")["arch"].head(k))
    epochs = int(visits["epoch"].max()) if len(visits) else 0
    if epochs < segments:
        raise ConfigError(f"{segments} spans of training need at least {segments} epochs; the run has {epochs}")
    span = ((visits["epoch"] - 1) * segments // epochs).to_numpy()
    on_top = visits["arch"].isin(top).to_numpy()
    total = pd.Series(visits["visits"].to_numpy()).groupby(span).sum().reindex(range(segments), fill_value=0)
    best = pd.Series(np.where(on_top, visits["visits"], 0)).groupby(span).sum().reindex(range(segments), fill_value=0)
    return (best / total.replace(0, np.nan)).to_numpy(dtype=float)


def thesis_fig4_2(cfg: dict, inputs: list[Path], pdf: Path, png: Path) -> None:
    """Pooling, Chapter 4 protocol (``pooling-ch4``). (a) Ground truth of the found architecture against
    the number M of iterative-MCTS iterations (methods ``iterative-mcts-m<M>``, each training a little
    longer per iteration: ``extra_epochs_per_iteration``), mean ± std over seeds. (b) Share of the trained
    paths that went to the top-5 ground-truth architectures, per span of training: the first span is the
    uniform warm-up, then one per iteration of iterative MCTS (M of ``iterative-mcts``); the other
    methods' runs are cut into as many equal spans ("equivalent time"), averaged over seeds."""
    import json

    import pandas as pd

    from nasrepro.reporting.figures import plt, save, stamp

    summaries = [json.loads(p.read_text()) for p in inputs if p.name == "summary.json"]
    found: dict[int, list[float]] = {}
    epochs: dict[int, int] = {}
    for summary in summaries:
        if summary["method"].startswith("iterative-mcts-m"):
            m = int(summary["sampler_options"]["iterations"])
            found.setdefault(m, []).append(summary["gt_acc"])
            epochs[m] = int(summary["search_epochs"])
    main = next((s for s in summaries if s["method"] == "iterative-mcts"), None)
    if main is None:
        raise ConfigError("thesis Fig. 4.2(b) needs the iterative-mcts run of pooling-ch4")
    segments = int(main["sampler_options"]["iterations"]) + 1
    shares: dict[str, list[np.ndarray]] = {}
    for path in inputs:
        if path.name != "visits.csv":
            continue
        label = json.loads((path.parent / "summary.json").read_text())["label"]
        evals = pd.read_csv(path.parent / "arch_eval.csv", dtype={"arch": str})
        shares.setdefault(label, []).append(top_k_share_by_segment(pd.read_csv(path, dtype={"arch": str}), evals,
                                                                   segments))
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    ms = sorted(found)
    ax_a.errorbar(ms, [np.mean(found[m]) for m in ms], yerr=[np.std(found[m]) for m in ms], marker="o", capsize=3)
    ax_a.set_xticks(ms, [f"{m}\n{epochs[m]} ep." for m in ms])
    ax_a.set_xlabel("MCTS iterations M (training epochs)")
    ax_a.set_ylabel("ground truth of the found architecture (%)")
    ax_a.set_title("(a) number of iterations", fontsize=9)
    spans = np.arange(1, segments + 1)
    for label, runs in shares.items():
        ax_b.plot(spans, np.nanmean(np.stack(runs), axis=0), marker="o", label=label)
    n = int(main["population_size"])
    ax_b.axhline(5 / n, color="0.5", ls="--", lw=0.8, label=f"uniform rate 5/{n}")
    ax_b.set_xticks(spans)
    ax_b.set_xlabel("iteration (1 = uniform warm-up; others: equal spans of training)")
    ax_b.set_ylabel("share of paths on the top-5 architectures")
    ax_b.set_title("(b) sampling of the top-5 ground-truth architectures", fontsize=9)
    ax_b.legend(fontsize=7)
    fig.suptitle("Pooling: iterative MCTS (thesis Fig. 4.2)", fontsize=10)
    fig.subplots_adjust(wspace=0.35)
    stamp(fig, cfg)
    save(fig, pdf, png)


fig4 = _curves("train_acc", "training accuracy of sampled architectures", "Pooling: accuracy over epochs for several trees")
fig7 = pooling_trees(linkage=False)
fig8 = pooling_trees(linkage=True)
