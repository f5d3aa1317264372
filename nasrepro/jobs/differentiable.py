"""A differentiable (DARTS-style) search: the space's relaxation trained bi-level, the derived path, and the
paths scored through the trained weights (thesis Tables 2.2 and 2.3, Fig. 2.7).

It writes the outputs of a sampling search (``summary.json``, ``arch_eval.csv``, ``history.csv``, and
header-only ``density_trace.csv`` / ``visits.csv``), so the workflow's search rule, the retraining of the
found network and the tables read it as any other run. A method is differentiable when its config entry
has a ``differentiable`` section instead of a ``sampler``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch

from nasrepro.benchmarks.trained import coverage, ground_truth_for
from nasrepro.config import method_config, space_config, space_of, training_fingerprint
from nasrepro.data.splits import eval_tensors, make_loader, nas_split
from nasrepro.evaluation.density_trace import TRACE_KEY
from nasrepro.evaluation.evaluate import evaluate_architectures, progress_logger
from nasrepro.evaluation.metrics import ranking_summary
from nasrepro.errors import ConfigError
from nasrepro.evaluation.ranking import chosen_ground_truth, ranking_set
from nasrepro.io import write_csv, write_json
from nasrepro.runtime import runtime_from_config, seed_everything
from nasrepro.spaces import get_space
from nasrepro.training.bilevel import ArchOptimConfig, BilevelTrainer
from nasrepro.training.hepnas import HepNasConfig, HepNasRun
from nasrepro.training.optim import OptimConfig

# ``differentiable`` keys that build the relaxed network (the rest configure the architecture optimiser and
# the final discretisation): Ch. 2's weight sharing over resolutions, the NB201 categorical per edge or shared
NETWORK_KEYS = ("sharing", "categorical")
FINALS = ("argmax", "sample")


def is_differentiable(method: dict) -> bool:
    return "differentiable" in method


def relaxed_model(space, scfg: dict, method_name: str, options: dict, num_classes: int):
    """The setting's relaxed network for a method's ``differentiable`` options (its network keys; GAEA's
    exponentiated update keeps the weights themselves on the simplex)."""
    network = {**(scfg.get("network") or {}), **{k: options[k] for k in NETWORK_KEYS if k in options}}
    if ArchOptimConfig.from_dict(options).update == "exponentiated":
        network["parametrisation"] = "simplex"
    try:
        return space.build_relaxed(num_classes, scfg["width"], **network)
    except TypeError as exc:  # an option of another space's relaxation
        raise ConfigError(f"methods.{method_name}.differentiable: space {space.name!r} does not take "
                          f"{sorted(network)} ({exc})") from None


def run_differentiable(cfg: dict, space_name: str, method_name: str, seed: int, out_dir: str | Path,
                       log: Callable = print) -> dict:
    out_dir = Path(out_dir)
    scfg = space_config(cfg, space_name)
    method = method_config(cfg, method_name)
    options = dict(method["differentiable"])
    space = get_space(space_of(cfg, space_name))
    runtime = runtime_from_config(cfg)
    split = nas_split(cfg, scfg)
    arch_cfg = ArchOptimConfig.from_dict(options)
    optim = OptimConfig.from_dict(scfg["search"])
    # a setting may shorten HEP-NAS's schedule (the demo) with its own ``hepnas`` keys, as ``sampler`` does
    hep = (HepNasConfig.from_dict({**method["hepnas"], **(scfg.get("hepnas") or {})}, f"{space_name}.hepnas")
           if "hepnas" in method else None)
    if hep is not None:  # HEP-NAS's own schedule: its supernet epochs plus every stage's distillation epochs
        optim = replace(optim, epochs=hep.total_epochs)
    rng = seed_everything(seed)
    model = relaxed_model(space, scfg, method_name, options, split.num_classes)
    train = make_loader(scfg, split.train, optim.batch_size, runtime, seed, augment=True)
    val = make_loader(scfg, split.val, optim.batch_size, runtime, seed + 10_000, augment=False)
    fingerprint = training_fingerprint("search", scfg, {k: v for k, v in method.items() if k != "label"}, seed)
    ev = scfg["evaluation"]
    vx, vy = eval_tensors(scfg, split.val, runtime, ev.get("val_images"))
    stages: list[dict] = []
    if hep is None:
        trainer = BilevelTrainer(model, optim, arch_cfg, runtime, train, val, rng,
                                 checkpoint=out_dir / "search.ckpt.pt", log=log, fingerprint=fingerprint)
        trainer.resume_if_possible()
        history = trainer.run()
    else:  # seed 002 Alg. 1: split hierarchy by hierarchy, keep the best sub-supernet (``training.hepnas``)
        base = BilevelTrainer(model, optim, arch_cfg, runtime, train, val, rng, log=log)
        run = HepNasRun(base, space.edges(), hep, vx, vy, ev["batch_size"], rng,
                        checkpoint=out_dir / "search.ckpt.pt", fingerprint=fingerprint, log=log)
        run.resume_if_possible()
        trainer = run.run()
        history, stages = trainer.history, run.records
    final = options.get("final", "argmax")
    # ANASOD-DNAS (seed 004 Alg. 1 line 7) samples its cell from the learnt distribution; DARTS takes the argmax.
    # The draw uses the run's generator, whose state the checkpoint restores, so a resumed run draws the same.
    arch = trainer.model.sample(trainer.rng) if final == "sample" else trainer.model.derive()

    # Every path with ground truth, scored through the trained weights with a one-hot choice (the relaxed
    # network's ``forward(x, arch)``), so the table can report Kendall's tau of the DARTS supernet too. A space
    # without tabular ground truth (the DARTS cells, ``ground_truth: none``) scores only the found network, which
    # the workflow retrains.
    gt = None if scfg.get("ground_truth") == "none" else ground_truth_for(cfg, space_name)
    if gt is None:
        archs, ranked = [arch], np.array([0])
    else:
        archs = space.enumerate()
        ranked = ranking_set(len(archs), ev.get("rank_archs"))  # NB201: a fixed random subset of the 15,625
        ranked = ranked[coverage(gt, [archs[i] for i in ranked])]
    acc = evaluate_architectures(trainer.model, [archs[i] for i in ranked], vx, vy, runtime, ev["batch_size"],
                                 progress=progress_logger(log, "ranking"))
    truth = (np.full(len(ranked), np.nan) if gt is None else np.array([gt.accuracy_of(archs[i]) for i in ranked]))
    weights = trainer.model.arch_weights().detach().cpu().numpy()
    log_likelihood = [trainer.model.log_likelihood(archs[i]) for i in ranked]
    summary = {
        "space": space_name, "method": method_name, "label": method["label"], "seed": seed,
        "preset": cfg["preset"], "config_hash": cfg["config_hash"],
        "arch": space.format(arch), "arch_index": space.display_index(arch),
        **chosen_ground_truth(gt, arch),
        **space.describe_path(arch, int(scfg.get("resolution") or 32)),  # e.g. Fig. 2.7's feature-map sizes
        "arch_weights": weights.tolist(), "differentiable": options, "final": final,
        "train_seconds": trainer.elapsed, "search_epochs": optim.epochs, "path_steps": optim.epochs * len(train),
        "device": torch.cuda.get_device_name(runtime.device) if runtime.device.type == "cuda" else "cpu",
        "ranked_archs": int(len(ranked)) if gt is not None else 0,
        "population_size": space.size() if gt is None else len(archs),
        **({"hepnas_stages": stages, "remaining_space": stages[-1]["remaining_space"]} if stages else {}),
        **(ranking_summary(acc, truth) if gt is not None else {"supernet_val_acc": float(acc[0])}),
    }
    write_csv(out_dir / "arch_eval.csv", pd.DataFrame({
        "arch": [space.format(archs[i]) for i in ranked], "index": [space.display_index(archs[i]) for i in ranked],
        "supernet_val_acc": acc, "gt_acc": truth, "arch_log_likelihood": log_likelihood}))
    write_csv(out_dir / "density_trace.csv", pd.DataFrame(columns=["epoch", "arch", TRACE_KEY]))
    write_csv(out_dir / "visits.csv", pd.DataFrame(columns=["epoch", "arch", "visits"]))
    write_csv(out_dir / "history.csv", pd.DataFrame([_history_row(space, trainer.model, h, final, seed)
                                                     for h in history]))
    write_json(out_dir / "summary.json", summary)  # last: a summary implies the other outputs exist
    found = "no ground truth: retrain it" if summary["gt_rank"] is None else f"rank {summary['gt_rank']}"
    how = "sampled" if final == "sample" else "derived"
    log(f"{method['label']} seed {seed}: {how} {summary['arch']} ({found})"
        + (f", feature maps {summary['resolutions']}" if "resolutions" in summary else ""))
    return summary


def _history_row(space, model, h: dict, final: str, seed: int) -> dict:
    """One epoch of ``history.csv``: the trainer's scalars, the derived path, and for a sampling method the
    cell drawn from that epoch's weights (ANASOD Fig. 5 scores one such draw per epoch), from a generator of
    its own (seed, epoch), so the training stream is untouched."""
    row = {k: v for k, v in h.items() if k not in ("arch_weights", "derived")}
    row["derived"] = space.format(tuple(h["derived"]))
    if final == "sample":
        rng = np.random.default_rng([seed, int(h["epoch"])])
        row["sampled"] = space.format(model.sample_weights(np.asarray(h["arch_weights"], dtype=np.float64), rng))
    return row
