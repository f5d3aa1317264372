"""A search: a supernet trained with one method, the final selection, and the ranking of its
architectures against the ground truth."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import torch

from nasrepro import methods
from nasrepro.benchmarks.trained import coverage, ground_truth_for
from nasrepro.config import method_config, space_config, space_of, training_fingerprint
from nasrepro.data.splits import eval_tensors, make_loader, nas_split
from nasrepro.errors import ConfigError
from nasrepro.evaluation.bse import bse_on_supernet
from nasrepro.jobs.differentiable import is_differentiable, run_differentiable
from nasrepro.evaluation.density_trace import density_trace_hook, split_history
from nasrepro.evaluation.evaluate import evaluate_architectures, progress_logger
from nasrepro.evaluation.metrics import ranking_summary
from nasrepro.evaluation.ranking import (chosen_ground_truth, distinct_paths, ranking_set, score_resumable,
                                         select_final)
from nasrepro.io import write_csv, write_json
from nasrepro.spaces import get_space
from nasrepro.spaces.mixture import build_mixture, evaluation_model, fold_visits, joint_archs, joint_label
from nasrepro.spaces.population import network_cost, population, search_candidates, section_supernet
from nasrepro.training.distributed import init_from_env
from nasrepro.training.optim import OptimConfig
from nasrepro.training.reward import Reward
from nasrepro.runtime import runtime_from_config, seed_everything
from nasrepro.training.supernet import SupernetTrainer


@dataclass
class Ranking:
    """Architectures ranked (indices into the population), their supernet and ground-truth accuracies,
    and the distinct supernet paths scored for them."""

    indices: np.ndarray
    supernet_acc: np.ndarray
    gt_acc: np.ndarray
    reps: np.ndarray


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
    if is_differentiable(method):  # DARTS-style: trained bi-level, no sampler
        return run_differentiable(cfg, space_name, method_name, seed, out_dir, log)
    space = get_space(space_of(cfg, space_name))
    runtime = runtime_from_config(cfg)
    split = nas_split(cfg, scfg)
    archs = population(scfg, space)
    tree, tree_info = methods.build_tree_for(method, scfg, space, archs, seed, warmup_outputs)
    sampler = methods.make_sampler_for(method, scfg, space, archs, tree)
    plan = methods.phases(method, scfg)
    reward = Reward.from_dict(methods.reward_options(method, scfg))
    optim = OptimConfig.from_dict(methods.search_protocol(methods.search_section(method, scfg), sampler))
    if optim.grad_clip is not None:
        raise ConfigError(f"{space_name}.search.grad_clip clips bi-level (differentiable) training only; method "
                          f"{method_name!r} samples paths: remove the key or give it a differentiable section")
    rng = seed_everything(seed)
    # a balanced mixture (thesis §2.2.2) trains M weight sets: its paths are (weight set, architecture) pairs
    sets = int(sampler.weight_sets)
    supernet = build_mixture(lambda: section_supernet(space, split.num_classes, scfg), sets)
    train = make_loader(scfg, split.train, optim.batch_size, runtime, seed, augment=True)
    val = make_loader(scfg, split.val, optim.batch_size, runtime, seed + 10_000, augment=False)
    trainer = SupernetTrainer(supernet, joint_archs(archs, sets), sampler, plan, optim, runtime, train, val, rng,
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
    vx, vy = eval_tensors(scfg, split.val, runtime, ev.get("val_images"))
    model = evaluation_model(trainer.model, archs, sampler.weight_set_of())  # a mixture: argmax_m p(m|c)
    visits = fold_visits(result.visits, len(archs))

    def score(indices) -> np.ndarray:
        return evaluate_architectures(model, [archs[i] for i in indices], vx, vy, runtime, ev["batch_size"],
                                      progress=progress_logger(log, "ranking"))

    # ImageNet has no tabular ground truth (ground_truth: none): the found network is retrained instead
    gt = None if scfg.get("ground_truth") == "none" else ground_truth_for(cfg, space_name, trained_ground_truth)
    ranking = _rank(space, archs, gt, ev.get("rank_archs"), score, out_dir / "ranking.partial.npz", log,
                    subset=_proxy_subset(sampler, ev.get("proxy_top")))
    chosen, cand_acc = select_final(sampler, len(archs), ranking.indices, ranking.supernet_acc,
                                    scfg["selection"]["k"], rng, score)
    arch = archs[chosen]
    bse = _bse_summary(scfg, space, archs, model, vx, vy, runtime, gt, seed, log)
    # last: supernet shifting fine-tunes the supernet, which every score above must not see
    ea = _ea_shift_summary(scfg, space, lambda c: evaluate_architectures(model, c, vx, vy, runtime, ev["batch_size"]),
                           split, runtime, seed, out_dir, gt, log,
                           training_fingerprint("search", scfg, {k: v for k, v in method.items() if k != "label"}, seed,
                                                "ea_shift", scfg["selection"].get("ea_shift")),
                           model)
    summary = {
        "space": space_name, "method": method_name, "label": method["label"], "seed": seed,
        "preset": cfg["preset"], "config_hash": cfg["config_hash"],
        "arch": space.format(arch), "arch_index": space.display_index(arch),
        **chosen_ground_truth(gt, arch),
        **network_cost(scfg, space, arch),
        "supernet_val_acc": cand_acc, "reward": f"{reward.metric}/{reward.data}/{reward.measure}",
        # what ran, as the run merged it (figures read these instead of re-deriving them from the config)
        "sampler": method["sampler"], "sampler_options": methods.effective_sampler_options(method, scfg),
        "tree": method.get("tree"), "tree_options": methods.tree_options(method, scfg),
        "reward_options": methods.reward_options(method, scfg),
        "phases": [{"mode": p.mode, "fraction": p.fraction} for p in plan],
        "train_seconds": result.seconds,
        # forward/backward passes of the search: equal for every method at equal cost (methods.search_protocol)
        "search_epochs": optim.epochs,
        "path_steps": int(visits.sum()),  # every path trained on every step, counted by the trainer
        "device": torch.cuda.get_device_name(runtime.device) if runtime.device.type == "cuda" else "cpu",
        "unique_visited": int((visits > 0).sum()), "ranked_archs": len(ranking.indices),
        "population_size": len(archs),
        **(ranking_summary(ranking.supernet_acc, ranking.gt_acc) if gt is not None else {}),
        **sampler.diagnostics(ranking.reps),
        **{k: v for k, v in tree_info.items() if isinstance(v, (int, float, str))},
        **bse,
        **ea,
    }
    _write_search_outputs(out_dir, space, archs, ranking, result, visits, sampler.probabilities(),
                          sampler.per_arch(), summary, joint_label(space.format, archs, sets))
    found = (f"rank {summary['gt_rank']}, tau {summary.get('kendall_tau', float('nan')):.3f}" if gt is not None
             else "no ground truth" + (f"; {summary['macs_m']:.1f} M MACs" if "macs_m" in summary else "") + ", retrain it")
    log(f"{method['label']} seed {seed}: chose {summary['arch']} ({found})")
    return summary


def _bse_summary(scfg: dict, space, archs, model, vx, vy, runtime, gt, seed: int, log: Callable) -> dict:
    """BSE on the trained supernet (thesis Eq. 2.6; ``selection.bse``), the final-selection method of
    thesis Tables 5.1 / 5.2: the architecture it finds and that architecture's ground truth."""
    options = scfg["selection"].get("bse")
    if not options:
        return {}
    found = bse_on_supernet(model, space.encodings(archs), space.choices_per_decision(), archs, vx, vy, runtime,
                            options, seed, beta=scfg["sampler"].get("beta", 0.95))
    arch = archs[found.chosen]
    truth = chosen_ground_truth(gt, arch)
    log(f"BSE ({options['iterations']} iterations): {space.format(arch)} (ground truth {truth['gt_acc']:.2f})")
    return {"bse_arch": space.format(arch), "bse_gt_acc": truth["gt_acc"], "bse_gt_rank": truth["gt_rank"],
            "bse_estimate": found.estimate, "bse_iterations": int(found.visits.sum()),
            "bse_unique_visited": int((found.visits > 0).sum())}


def _ea_shift_summary(scfg: dict, space, score_archs: Callable, split, runtime, seed: int, out_dir: Path, gt,
                      log: Callable, fingerprint: str, model) -> dict:
    """Evolution with supernet shifting (``selection.ea_shift``, thesis Table 5.5) on the trained supernet:
    the architecture it finds (``ea_arch``, retrained by ``nasrepro retrain --pick ea``) and its cost."""
    options = scfg["selection"].get("ea_shift")
    if options is None:
        return {}
    from nasrepro.data.loader import BatchCycler
    from nasrepro.evaluation.ea_shift import EAShiftConfig, ShiftingEvolution

    config = EAShiftConfig.from_dict(options)
    batches = BatchCycler(make_loader(scfg, split.train, config.batch_size, runtime, seed + 20_000, augment=True))
    found = ShiftingEvolution(model, search_candidates(scfg, space), config, batches, score_archs, runtime,
                              np.random.default_rng([seed, 5]), checkpoint=out_dir / "ea_shift.ckpt.pt",
                              fingerprint=fingerprint, log=log).run()
    truth = chosen_ground_truth(gt, found.arch)
    return {"ea_arch": space.format(found.arch), "ea_supernet_val_acc": found.score, "ea_gt_acc": truth["gt_acc"],
            "ea_evaluations": found.evaluations, "ea_generations": config.generations,
            **{f"ea_{k}": v for k, v in network_cost(scfg, space, found.arch).items()}}


def _proxy_subset(sampler, top: int | None) -> np.ndarray | None:
    """The ``evaluation.proxy_top`` architectures the sampler's estimate ranks highest (sorted), or None."""
    if not top:
        return None
    order = sampler.proxy_order()
    if order is None:
        raise ConfigError(f"evaluation.proxy_top needs a sampler with its own estimate of every architecture "
                          f"(balanced-mixture); {type(sampler).__name__} has none: remove the key")
    return np.sort(np.asarray(order[:top], dtype=np.int64))


def _rank(space, archs, gt, limit: int | None, score: Callable, partial: Path, log: Callable,
          subset: np.ndarray | None = None) -> Ranking:
    """Supernet accuracy of the ranked architectures (each distinct path scored once, resumably) beside
    their ground truth (NaN where there is none): ``subset`` if given, else ``ranking_set``."""
    ranked = ranking_set(len(archs), limit) if subset is None else subset
    if gt is not None:
        ranked = ranked[coverage(gt, [archs[i] for i in ranked])]  # trained ground truth may cover a subset
    reps, members = distinct_paths(space, archs, ranked)
    supernet_acc = score_resumable(score, reps, partial, log=log)[members]
    gt_acc = np.array([gt.accuracy_of(archs[i]) for i in ranked]) if gt is not None else np.full(len(ranked), np.nan)
    return Ranking(ranked, supernet_acc, gt_acc, reps)


def _write_search_outputs(out_dir: Path, space, archs, ranking: Ranking, result, visits: np.ndarray,
                          probs: np.ndarray, per_arch: dict[str, np.ndarray], summary: dict,
                          path_label: Callable[[int], str]) -> None:
    ranked = ranking.indices
    write_csv(out_dir / "arch_eval.csv", pd.DataFrame({
        "arch": [space.format(archs[i]) for i in ranked], "index": [space.display_index(archs[i]) for i in ranked],
        "supernet_val_acc": ranking.supernet_acc, "gt_acc": ranking.gt_acc, "visits": visits[ranked],
        "probability": probs[ranked],
        **{name: np.asarray(values)[ranked] for name, values in per_arch.items()},  # the sampler's own columns
    }))
    trace, epoch_visits, history = split_history(result.history, path_label)
    # always written (a header when search.density_trace is off) so the workflow can name it as an output
    write_csv(out_dir / "density_trace.csv", trace)
    write_csv(out_dir / "visits.csv", epoch_visits)
    write_csv(out_dir / "history.csv", history)
    write_json(out_dir / "summary.json", summary)  # last: a summary implies the other outputs exist
    (out_dir / "ranking.partial.npz").unlink(missing_ok=True)
