"""The jobs the workflow runs. Each takes the resolved config and writes its outputs atomically.

Snakemake rules call these through the CLI; they hold all the logic, so it is tested here.
"""

from __future__ import annotations

import functools
import inspect
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import torch

from nasrepro.benchmarks.trained import coverage, ground_truth_for
from nasrepro.config import method_config, space_config, space_of, training_fingerprint
from nasrepro.data.datasets import train_val_split
from nasrepro.data.imagefolder import ImageFolderLoader
from nasrepro.data.source import Source, load_source
from nasrepro.data.loader import IMAGENET16_PAD, PAD, DeviceLoader, mean_std
from nasrepro.errors import ConfigError
from nasrepro.evaluation.evaluate import collect_outputs, evaluate_architectures
from nasrepro.evaluation.metrics import ranking_summary
from nasrepro.io import atomic_path, write_csv, write_json
from nasrepro import methods
from nasrepro.spaces import get_space
from nasrepro.spaces.base import Arch, SearchSpace
from nasrepro.training.optim import OptimConfig
from nasrepro.training.reward import Reward
from nasrepro.training.runtime import Runtime, make_runtime, seed_everything
from nasrepro.training.distributed import init_from_env, rank_and_world
from nasrepro.training.packed import run_concurrently
from nasrepro.training.supernet import Phase, SupernetTrainer

SPLIT_SEED = 0  # one fixed 50/50 split, so every method and seed is scored on the same validation half


@dataclass
class Split:
    train: Source
    val: Source
    num_classes: int


def nas_split(cfg: dict, scfg: dict) -> Split:
    """The training set (optionally capped, class-stratified) split 50/50 into train and validation."""
    source, num_classes = load_source(scfg["dataset"], cfg, "train")
    keep = stratified_subset(source.labels, scfg.get("train_images"))
    if keep is not None:
        source = source.take(keep)
    tr, va = train_val_split(source.labels, fraction=0.5, seed=SPLIT_SEED)
    return Split(source.take(tr), source.take(va), num_classes)


def _loader(scfg: dict, source: Source, batch_size: int, runtime: Runtime, seed: int, augment: bool,
            shuffle: bool = True, drop_last: bool = True) -> DeviceLoader | ImageFolderLoader:
    if source.folder is not None:  # ImageNet: decoded by worker processes, each rank its own share
        rank, world = rank_and_world()
        return ImageFolderLoader(None, batch_size, runtime.device, augment=augment, seed=seed,
                                 resolution=scfg.get("resolution", 224), workers=min(8, os.cpu_count() or 1),
                                 drop_last=drop_last, shuffle=shuffle, channels_last=runtime.channels_last,
                                 rank=rank if augment else 0, world=world if augment else 1,
                                 folder=source.folder, rows=source.rows)
    mean, std = mean_std(scfg["dataset"])
    # NB201 crops its 16x16 ImageNet16-120 images with 2-pixel padding (CIFAR: 4).
    pad = IMAGENET16_PAD if scfg["dataset"] == "imagenet16-120" else PAD
    return DeviceLoader(source.images, source.labels, batch_size, runtime.device, augment=augment, seed=seed,
                        drop_last=drop_last, mean=mean, std=std, channels_last=runtime.channels_last,
                        shuffle=shuffle, pad=pad)


def stratified_subset(labels: torch.Tensor, limit: int | None) -> torch.Tensor | None:
    """Indices of a class-balanced subset of ``limit`` items (None = keep all). Datasets may be stored
    sorted by class, so a plain prefix would hold only the first classes."""
    if limit is None or limit >= len(labels):
        return None
    keep, _ = train_val_split(labels, fraction=limit / len(labels), seed=SPLIT_SEED)
    return keep


MAX_FOLDER_EVAL_IMAGES = 20_000  # evaluation holds its images on the device as one normalised tensor


def _eval_tensors(scfg: dict, source: Source, runtime: Runtime, limit: int | None):
    """The (capped, class-stratified) images of ``source``, normalised, on the device."""
    keep = stratified_subset(source.labels, limit)
    if keep is not None:
        source = source.take(keep)
    if source.folder is not None:
        if len(source) > MAX_FOLDER_EVAL_IMAGES:
            raise ConfigError(f"evaluation on {len(source):,} folder images would not fit on the device; set "
                              f"evaluation.val_images / test_images to at most {MAX_FOLDER_EVAL_IMAGES:,}")
        loader = _loader(scfg, source, min(256, len(source)), runtime, 0, augment=False, shuffle=False,
                         drop_last=False)
        parts = list(loader.iterate(0))
        return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])
    full = _loader(scfg, source, len(source), runtime, 0, augment=False, shuffle=False, drop_last=False)
    return full.batch(0, 0)


def population(scfg: dict, space: SearchSpace) -> list[Arch]:
    """The architectures a run trains and ranks: the whole space, or, for a space too large to
    enumerate (ImageNet MobileNet, 13^21), the FLOPs-budget population of the section (``budget_mmacs``,
    ``population_size``): ``spaces.budget.budget_population`` with seed 0, so every method, seed and
    job of a setting shares one population."""
    if "budget_mmacs" not in scfg:
        return space.enumerate()
    return _budget_population(space.name, float(scfg["budget_mmacs"]), int(scfg.get("population_size", 10_000)))


@functools.lru_cache(maxsize=4)
def _budget_population(space_name: str, mmacs: float, n: int) -> list[Arch]:
    from nasrepro.spaces.budget import budget_population

    rows = budget_population(get_space(space_name), mmacs * 1e6, n=n, seed=0)
    return [tuple(int(v) for v in row) for row in rows]


def network_cost(space: SearchSpace, arch: Arch) -> dict:
    """MACs and parameters of a layer-wise space's network at paper scale (width 1, its input size)."""
    from nasrepro.spaces.budget import estimate_macs, estimate_params, mac_table

    table = mac_table(space)
    return {"macs_m": float(estimate_macs(table, [arch])[0]) / 1e6,
            "params_m": float(estimate_params(table, [arch])[0]) / 1e6}


def _runtime(cfg: dict) -> Runtime:
    return make_runtime(cfg["device"], cfg["deterministic"], cfg.get("compile", False))


def _optim(section: dict) -> OptimConfig:
    return OptimConfig.from_dict(section)


# --------------------------------------------------------------------------- stand-alone ground truth
def run_standalone(cfg: dict, space_name: str, arch_texts: Sequence[str], seed: int, out_json: str | Path,
                   log: Callable = print) -> list[dict]:
    """Train architectures alone on the (capped) training set and report their test accuracies.

    The architectures of one call (a "pack", ``standalone.pack`` per job in the workflow) train
    concurrently on one device (``training.packed``); each is exactly what it would be trained alone.
    Each checkpoints beside ``out_json``, so a killed pack resumes where it stopped. Writes a JSON list
    with one record per architecture.
    """
    scfg = space_config(cfg, space_name)
    space = get_space(space_of(cfg, space_name))
    archs = [space.parse(a) for a in arch_texts]
    if len(set(archs)) != len(archs):
        raise ConfigError(f"standalone architectures repeat in {list(arch_texts)}")
    sa = scfg["standalone"]
    runtime = _runtime(cfg)
    source, num_classes = load_source(scfg["dataset"], cfg, "train")
    keep = stratified_subset(source.labels, scfg.get("train_images"))
    if keep is not None:
        source = source.take(keep)
    if source.images is not None:  # one device copy shared by the pack
        source = Source(source.labels.to(runtime.device), images=source.images.to(runtime.device))
    test, _ = load_source(scfg["dataset"], cfg, "test")
    test_limit = scfg["evaluation"].get("test_images")
    optim = _optim(sa)
    out_json = Path(out_json)
    trainers = []
    for arch in archs:
        rng = seed_everything(seed)  # every member starts exactly as a job of its own would
        # The pruned supernet keeps the forward(x, arch) call and owns only this path's weights.
        model = space.build_network(arch, num_classes, scfg["width"]).net
        train = _loader(scfg, source, optim.batch_size, runtime, seed, augment=True)
        ckpt = out_json.with_name(f"{out_json.stem}.{space.display_index(arch)}.ckpt.pt")
        name = space.format(arch)
        trainer = SupernetTrainer(model, [arch], None, [Phase("uniform", 1.0)], optim, runtime, train, None, rng,
                                  checkpoint=ckpt, checkpoint_every=sa.get("checkpoint_every", 1),
                                  log=lambda m, name=name: log(f"[{name}] {m}"),
                                  fingerprint=training_fingerprint("standalone", scfg, name, seed))
        trainer.resume_if_possible()
        trainers.append(trainer)
    results = run_concurrently(trainers)
    rows = []
    for arch, trainer, result in zip(archs, trainers, results):
        acc = test_accuracy(scfg, trainer.model, arch, test, runtime, test_limit)
        rows.append({"space": space_name, "arch": space.format(arch), "index": space.display_index(arch),
                     "seed": seed, "test_acc": float(acc), "train_seconds": result.seconds, "epochs": optim.epochs,
                     "pack_size": len(archs), "preset": cfg["preset"], "config_hash": cfg["config_hash"]})
        log(f"{rows[-1]['arch']} seed {seed}: test accuracy {acc:.2f}%")
    write_json(out_json, rows)
    for trainer in trainers:
        trainer.checkpoint.unlink(missing_ok=True)
    return rows


def test_accuracy(scfg: dict, model: torch.nn.Module, arch: Arch, test: Source, runtime: Runtime,
                  limit: int | None) -> float:
    """Top-1 (%) of a stand-alone network in eval mode on the (capped) test split. Image folders are
    streamed batch by batch (ImageNet's 50,000 validation images do not fit the device at once)."""
    batch = scfg["evaluation"]["batch_size"]
    if test.folder is None:
        tx, ty = _eval_tensors(scfg, test, runtime, limit)
        return float(evaluate_architectures(model, [arch], tx, ty, runtime, batch, use_batch_stats=False)[0])
    keep = stratified_subset(test.labels, limit)
    source = test if keep is None else test.take(keep)
    loader = _loader(scfg, source, min(batch, len(source)), runtime, 0, augment=False, shuffle=False, drop_last=False)
    correct = 0.0
    for x, y in loader.iterate(0):
        correct += evaluate_architectures(model, [arch], x, y, runtime, len(y), use_batch_stats=False)[0] * len(y)
    return correct / len(source)


def run_retrain(cfg: dict, space_name: str, summary_json: str | Path, seed: int, out_json: str | Path,
                log: Callable = print) -> dict:
    """Retrain the network a search found (its ``summary.json``) from scratch with the section's
    ``standalone`` protocol, as the paper does for ImageNet, and record its cost beside the accuracy."""
    import json

    found = json.loads(Path(summary_json).read_text())
    if found.get("space") != space_name:
        raise ConfigError(f"{summary_json} is a search of {found.get('space')!r}, not of {space_name!r}")
    row = run_standalone(cfg, space_name, [found["arch"]], seed, out_json, log=log)[0]
    scfg = space_config(cfg, space_name)
    space = get_space(space_of(cfg, space_name))
    if "budget_mmacs" in scfg:
        row.update(network_cost(space, space.parse(found["arch"])))
    row.update(method=found["method"], label=found["label"], search_seed=found["seed"])
    write_json(out_json, [row])
    return row


# --------------------------------------------------------------------------- supernet warm-up
def snapshot_epochs(scfg: dict) -> list[int]:
    """Warm-up epochs at which outputs are also saved, for paper Fig. 6(b) (warm-up length)."""
    epochs = scfg["warmup"]["epochs"]
    return [max(1, min(epochs, int(round(f * epochs)))) for f in scfg["warmup"].get("snapshots", [])]


def run_warmup(cfg: dict, space_name: str, seed: int, out_dir: str | Path, log: Callable = print) -> None:
    """Uniformly trained supernet (Algorithm 1, "MCTS warm-up"), then every architecture's outputs on
    validation batches for the learned tree (see ``write_outputs``); ``warmup.snapshots`` also saves
    the outputs after shorter warm-ups (``snapshots/outputs_<i>.npz``)."""
    out_dir = Path(out_dir)
    scfg = space_config(cfg, space_name)
    space = get_space(space_of(cfg, space_name))
    runtime = _runtime(cfg)
    split = nas_split(cfg, scfg)
    archs = population(scfg, space)
    optim = _optim(scfg["warmup"])
    rng = seed_everything(seed)
    supernet = space.build_supernet(split.num_classes, scfg["width"])
    train = _loader(scfg, split.train, optim.batch_size, runtime, seed, augment=True)
    trainer = SupernetTrainer(supernet, archs, None, [Phase("uniform", 1.0)], optim, runtime, train, None, rng,
                              checkpoint=out_dir / "warmup.ckpt.pt",
                              checkpoint_every=scfg["warmup"].get("checkpoint_every", 1), log=log,
                              fingerprint=training_fingerprint("warmup", scfg, seed))
    trainer.resume_if_possible()
    (out_dir / "snapshots").mkdir(parents=True, exist_ok=True)
    for i, epoch in enumerate(snapshot_epochs(scfg)):
        target = out_dir / "snapshots" / f"outputs_{i}.npz"
        if target.exists() and trainer.start_epoch >= epoch:
            continue
        # A snapshot is written before training goes on, so a checkpoint past it implies the file exists.
        trainer.run(stop_after_epoch=epoch)
        trainer.start_epoch = max(trainer.start_epoch, epoch)
        random_batch_outputs(scfg, space, trainer.model, split, runtime, seed, target, log)
    result = trainer.run()
    write_outputs(cfg, scfg, space, trainer.model, split, runtime, seed, out_dir, log)
    write_csv(out_dir / "history.csv", pd.DataFrame(result.history))


def _batch_outputs(scfg, space, model, split: Split, runtime: Runtime, pick: torch.Tensor, what: str, log):
    bx, by = _eval_tensors(scfg, split.val.take(pick), runtime, None)
    archs = population(scfg, space)
    reps, members = distinct_paths(space, archs, np.arange(len(archs)))  # NB201: 12,205 of 15,625
    outs = collect_outputs(model, [archs[i] for i in reps], bx, runtime, progress=_progress(log, what))
    return outs[members], by.cpu().numpy()


def _save_outputs(path: Path, outputs: np.ndarray, labels: np.ndarray, pick: torch.Tensor, **extra) -> None:
    acc = (outputs.argmax(-1) == labels[None, :]).mean(1) * 100.0
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, outputs=outputs.astype(np.float32), val_acc=acc, labels=labels,
                                batch_index=pick.numpy(), **extra)


def random_batch_outputs(scfg, space, model, split: Split, runtime: Runtime, seed: int, path: Path, log) -> None:
    """Outputs on the run's random validation batch of ``tree.val_batch`` images, and each
    architecture's accuracy on it (the accuracy-partition tree of Fig. 3 uses it)."""
    pick = torch.randperm(len(split.val), generator=torch.Generator().manual_seed(seed))[: scfg["tree"]["val_batch"]]
    outputs, labels = _batch_outputs(scfg, space, model, split, runtime, pick, "outputs", log)
    _save_outputs(path, outputs, labels, pick)


def write_outputs(cfg, scfg, space, model, split: Split, runtime: Runtime, seed: int, out_dir: Path, log) -> None:
    """Logits of every architecture on validation batches (paper §4, App. B.1), for tree building.

    ``outputs.npz``: the run's random batch (``random_batch_outputs``).
    ``outputs_hv.npz``: the "high variance" batch of paper Table 10: ``tree.hv_candidates`` random
    batches are screened (the same ones for every seed), ranked by the variance of the architectures'
    softmax outputs, and seed s takes the (s mod kept)-th, where kept = number of seeds.
    ``hv_candidates: 0`` skips the screening (the file is then a copy of ``outputs.npz``).
    """
    random_batch_outputs(scfg, space, model, split, runtime, seed, out_dir / "outputs.npz", log)
    vb = scfg["tree"]["val_batch"]
    n_cand = scfg["tree"].get("hv_candidates", 9)
    if n_cand == 0:  # no Table 10 ablation in this setting: skip the screening passes
        import shutil

        with atomic_path(out_dir / "outputs_hv.npz") as tmp:
            shutil.copyfile(out_dir / "outputs.npz", tmp)
        return
    g = torch.Generator().manual_seed(10_007)
    candidates = [torch.randperm(len(split.val), generator=g)[:vb] for _ in range(n_cand)]
    scored = []
    for c, cand in enumerate(candidates):
        out, lab = _batch_outputs(scfg, space, model, split, runtime, cand, f"high-variance candidate {c + 1}/{n_cand}", log)
        probs = torch.softmax(torch.from_numpy(out), -1)
        scored.append((float(probs.var(0).mean()), c, out, lab))
        scored = sorted(scored, key=lambda t: -t[0])[: len(scfg["seeds"])]  # keep only what can be used
    variance, c, out, lab = scored[seed % len(scored)]
    _save_outputs(out_dir / "outputs_hv.npz", out, lab, candidates[c], output_variance=variance)


def _progress(log: Callable, what: str) -> Callable[[int, int], None]:
    state = {"t": time.perf_counter()}

    def report(i: int, n: int) -> None:
        if i == n or time.perf_counter() - state["t"] > 10:
            state["t"] = time.perf_counter()
            log(f"{what}: {i}/{n} architectures")

    return report


# --------------------------------------------------------------------------- search
def ranking_set(n: int, limit: int | None) -> np.ndarray:
    """Architectures ranked for Kendall's tau: all, or a fixed random subset shared by every run."""
    if limit is None or limit >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(12345).choice(n, size=limit, replace=False))


def run_search(cfg: dict, space_name: str, method_name: str, seed: int, out_dir: str | Path,
               warmup_outputs: str | Path | None = None, log: Callable = print,
               trained_ground_truth: Sequence[str | Path] = ()) -> dict:
    """Train a supernet with one sampling method, select the final architecture, rank architectures.

    Launched by torchrun (``resources.nproc > 1`` in a profile), the supernet trains data-parallel on
    every rank (``training.distributed``); rank 0 then ranks the architectures and writes the outputs.
    """
    init_from_env()
    out_dir = Path(out_dir)
    scfg = space_config(cfg, space_name)
    method = method_config(cfg, method_name)
    space = get_space(space_of(cfg, space_name))
    runtime = _runtime(cfg)
    split = nas_split(cfg, scfg)
    archs = population(scfg, space)
    tree, tree_info = methods.build_tree_for(method, scfg, space, archs, seed, warmup_outputs)
    sampler = methods.make_sampler_for(method, scfg, space, archs, tree)
    plan = methods.phases(method, scfg)
    reward = Reward.from_dict(methods.reward_options(method, scfg))
    optim = _optim(scfg["search"])
    rng = seed_everything(seed)
    supernet = space.build_supernet(split.num_classes, scfg["width"])
    train = _loader(scfg, split.train, optim.batch_size, runtime, seed, augment=True)
    val = _loader(scfg, split.val, optim.batch_size, runtime, seed + 10_000, augment=False)
    trainer = SupernetTrainer(supernet, archs, sampler, plan, optim, runtime, train, val, rng,
                              checkpoint=out_dir / "search.ckpt.pt", reward=reward,
                              checkpoint_every=scfg["search"].get("checkpoint_every", 1), log=log,
                              epoch_hook=density_trace_hook(scfg, len(archs)),
                              fingerprint=training_fingerprint(
                                  "search", scfg, {k: v for k, v in method.items() if k != "label"}, seed))
    trainer.resume_if_possible()
    result = trainer.run()
    if trainer.rank != 0:  # under torchrun the ranks trained one supernet; rank 0 ranks and writes
        return {}

    ev = scfg["evaluation"]
    vx, vy = _eval_tensors(scfg, split.val, runtime, ev.get("val_images"))

    def score(indices) -> np.ndarray:
        return evaluate_architectures(trainer.model, [archs[i] for i in indices], vx, vy, runtime, ev["batch_size"],
                                      progress=_progress(log, "ranking"))

    # ImageNet has no tabular ground truth (ground_truth: none): the found network is retrained instead
    gt = None if scfg.get("ground_truth") == "none" else ground_truth_for(cfg, space_name, trained_ground_truth)
    ranked = ranking_set(len(archs), ev.get("rank_archs"))
    if gt is not None:
        ranked = ranked[coverage(gt, [archs[i] for i in ranked])]  # trained ground truth may cover a subset
    reps, members = distinct_paths(space, archs, ranked)
    val_acc = score_resumable(score, reps, out_dir / "ranking.partial.npz", log=log)[members]
    chosen, cand_acc = select_final(sampler, len(archs), ranked, val_acc, scfg["selection"]["k"], rng, score)
    gt_acc = np.array([gt.accuracy_of(archs[i]) for i in ranked]) if gt is not None else np.full(len(ranked), np.nan)
    diagnostics = sampler.diagnostics(reps)
    arch = archs[chosen]
    summary = {
        "space": space_name, "method": method_name, "label": method["label"], "seed": seed,
        "preset": cfg["preset"], "config_hash": cfg["config_hash"],
        "arch": space.format(arch), "arch_index": space.display_index(arch),
        **chosen_ground_truth(gt, arch),
        **(network_cost(space, arch) if "budget_mmacs" in scfg else {}),
        "supernet_val_acc": cand_acc, "reward": f"{reward.metric}/{reward.data}/{reward.measure}",
        # what ran, as the run merged it (figures read these instead of re-deriving them from the config)
        "sampler": method["sampler"], "sampler_options": methods.effective_sampler_options(method, scfg),
        "tree": method.get("tree"), "tree_options": methods.tree_options(method, scfg),
        "reward_options": methods.reward_options(method, scfg),
        "phases": [{"mode": p.mode, "fraction": p.fraction} for p in plan],
        "train_seconds": result.seconds,
        "device": torch.cuda.get_device_name(runtime.device) if runtime.device.type == "cuda" else "cpu",
        "unique_visited": int((result.visits > 0).sum()), "ranked_archs": len(ranked),
        **(ranking_summary(val_acc, gt_acc) if gt is not None else {}),
        **diagnostics,
        **{k: v for k, v in tree_info.items() if isinstance(v, (int, float, str))},
    }
    probs = sampler.probabilities()
    frame = pd.DataFrame({
        "arch": [space.format(archs[i]) for i in ranked], "index": [space.display_index(archs[i]) for i in ranked],
        "supernet_val_acc": val_acc, "gt_acc": gt_acc, "visits": result.visits[ranked], "probability": probs[ranked],
    })
    write_csv(out_dir / "arch_eval.csv", frame)
    trace = [{"epoch": h["epoch"], "arch": space.format(archs[i]), TRACE_KEY: d}
             for h in result.history for i, d in enumerate(h.get(TRACE_KEY, []))]
    # always written (a header when search.density_trace is off) so the workflow can name it as an output
    write_csv(out_dir / "density_trace.csv", pd.DataFrame(trace, columns=["epoch", "arch", TRACE_KEY]))
    write_csv(out_dir / "history.csv", pd.DataFrame([{k: v for k, v in h.items() if k != TRACE_KEY}
                                                     for h in result.history]))
    write_json(out_dir / "summary.json", summary)
    (out_dir / "ranking.partial.npz").unlink(missing_ok=True)
    found = (f"rank {summary['gt_rank']}, tau {summary.get('kendall_tau', float('nan')):.3f}" if gt is not None
             else f"no ground truth; {summary.get('macs_m', float('nan')):.1f} M MACs, retrain it")
    log(f"{method['label']} seed {seed}: chose {summary['arch']} ({found})")
    return summary


TRACE_KEY = "mean_distance"
MAX_TRACE_ARCHS = 10_000  # every epoch computes the outputs of every architecture


def density_trace_hook(scfg: dict, n: int) -> Callable | None:
    """Thesis Fig. 5.4 (``search.density_trace``): after every epoch, the mean functional distance of every
    architecture to all others (Eqs. 5.5 and 5.11; a low mean distance is a high density) on the fixed
    validation batch the density sampler uses."""
    from nasrepro.samplers.density import mean_cosine_distance

    if not scfg["search"].get("density_trace"):
        return None
    if n > MAX_TRACE_ARCHS:
        raise ConfigError(f"search.density_trace computes all {n:,} architectures every epoch; it is meant for "
                          f"spaces of at most {MAX_TRACE_ARCHS:,} (set it to false for this setting)")
    images = scfg.get("sampler", {}).get("batch_images")
    return lambda trainer: {TRACE_KEY: mean_cosine_distance(trainer.features(range(n), images)).tolist()}


def chosen_ground_truth(gt, arch: Arch) -> dict:
    """Ground-truth accuracy and rank of the found architecture (NaN / None if the table lacks it)."""
    if gt is None:
        return {"gt_acc": float("nan"), "gt_rank": None, "ground_truth": "none: retrain the found network"}
    try:
        return {"gt_acc": gt.accuracy_of(arch), "gt_rank": gt.rank_of(arch), "ground_truth": gt.source}
    except KeyError:
        return {"gt_acc": float("nan"), "gt_rank": None, "ground_truth": gt.source}


def distinct_paths(space: SearchSpace, archs: Sequence[Arch], indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Representatives of the distinct supernet paths among ``indices`` (``space.supernet_key``) and,
    for each index, the position of its representative: ``scores_of_reps[members]`` scores them all."""
    keys = [space.supernet_key(archs[i]) for i in indices]
    first: dict[Arch, int] = {}
    members = np.array([first.setdefault(k, len(first)) for k in keys], dtype=np.int64)
    reps = np.empty(len(first), dtype=np.int64)
    reps[members[::-1]] = np.asarray(indices)[::-1]  # first occurrence wins
    return reps, members


def score_resumable(score: Callable[[Sequence[int]], np.ndarray], indices: np.ndarray, partial: Path,
                    chunk: int = 2048, log: Callable = print) -> np.ndarray:
    """Score architectures in chunks, saving each chunk, so that a killed ranking of thousands of
    architectures (all 15,625 NB201 cells) resumes where it stopped instead of starting over."""
    indices = np.asarray(indices, dtype=np.int64)
    if len(indices) <= chunk:
        return score(indices)
    acc = np.full(len(indices), np.nan)
    if partial.exists():
        saved = np.load(partial)
        if np.array_equal(saved["indices"], indices):
            acc = saved["acc"]
            log(f"ranking: resumed with {int(np.isfinite(acc).sum())}/{len(indices)} architectures scored")
    for start in range(0, len(indices), chunk):
        part = slice(start, start + chunk)
        if np.isfinite(acc[part]).all():
            continue
        acc[part] = score(indices[part])
        with atomic_path(partial) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, indices=indices, acc=acc)
    return acc


def select_final(sampler, population: int, ranked: np.ndarray, ranked_acc: np.ndarray, k: int,
                 rng: np.random.Generator, score: Callable[[list[int]], np.ndarray]) -> tuple[int, float]:
    """Paper App. B.1: k = 1 takes the maximum-probability path; k > 1 samples k architectures with
    lambda = 0 and keeps the best on validation data. Uniform training has no probabilities: with k = 1
    it takes the best ranked architecture, with k > 1 the best of k uniform draws."""
    if sampler is not None and not sampler.guides_selection:
        sampler = None  # density / fairness probabilities say nothing about quality: select as uniform
    if sampler is None and k == 1:
        best = int(np.argmax(ranked_acc))
        return int(ranked[best]), float(ranked_acc[best])
    if sampler is None:
        candidates = [int(i) for i in dict.fromkeys(rng.integers(population, size=k))]
    else:
        candidates = [int(i) for i in sampler.select(k, rng)]
    if k == 1:
        return candidates[0], float("nan")
    acc = score(candidates)
    best = int(np.argmax(acc))
    return candidates[best], float(acc[best])
