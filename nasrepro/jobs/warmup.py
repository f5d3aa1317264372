"""The supernet warm-up (Algorithm 1, "MCTS warm-up") and the outputs the learned tree clusters."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from nasrepro.config import space_config, space_of, training_fingerprint
from nasrepro.data.splits import Split, eval_tensors, make_loader, nas_split
from nasrepro.evaluation.density_trace import split_history
from nasrepro.evaluation.evaluate import collect_outputs, progress_logger
from nasrepro.evaluation.ranking import distinct_paths
from nasrepro.io import atomic_path, write_csv
from nasrepro.spaces import get_space
from nasrepro.spaces.population import population, section_supernet
from nasrepro.training.optim import OptimConfig
from nasrepro.runtime import Runtime, runtime_from_config, seed_everything
from nasrepro.training.supernet import Phase, SupernetTrainer

HV_SCREEN_SEED = 10_007  # the high-variance candidates are the same batches for every seed


def snapshot_epochs(scfg: dict) -> list[int]:
    """Warm-up epochs at which outputs are also saved, for paper Fig. 6(b) (warm-up length)."""
    epochs = scfg["warmup"]["epochs"]
    return [max(1, min(epochs, int(round(f * epochs)))) for f in scfg["warmup"].get("snapshots", [])]


def run_warmup(cfg: dict, space_name: str, seed: int, out_dir: str | Path, log: Callable = print) -> None:
    """Uniformly trained supernet, then every architecture's outputs on validation batches for the
    learned tree (see ``write_outputs``); ``warmup.snapshots`` also saves the outputs after shorter
    warm-ups (``snapshots/outputs_<i>.npz``)."""
    out_dir = Path(out_dir)
    scfg = space_config(cfg, space_name)
    space = get_space(space_of(cfg, space_name))
    runtime = runtime_from_config(cfg)
    split = nas_split(cfg, scfg)
    archs = population(scfg, space)
    optim = OptimConfig.from_dict(scfg["warmup"])
    rng = seed_everything(seed)
    supernet = section_supernet(space, split.num_classes, scfg)
    train = make_loader(scfg, split.train, optim.batch_size, runtime, seed, augment=True)
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
    write_outputs(scfg, space, trainer.model, split, runtime, seed, out_dir, log)
    write_csv(out_dir / "history.csv", split_history(result.history, str)[2])  # per-architecture records dropped


def _batch_outputs(scfg, space, model, split: Split, runtime: Runtime, pick: torch.Tensor, what: str, log):
    bx, by = eval_tensors(scfg, split.val.take(pick), runtime, None)
    archs = population(scfg, space)
    reps, members = distinct_paths(space, archs, np.arange(len(archs)))  # NB201: 12,205 of 15,625
    outs = collect_outputs(model, [archs[i] for i in reps], bx, runtime, progress=progress_logger(log, what))
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


def write_outputs(scfg, space, model, split: Split, runtime: Runtime, seed: int, out_dir: Path, log) -> None:
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
        with atomic_path(out_dir / "outputs_hv.npz") as tmp:
            shutil.copyfile(out_dir / "outputs.npz", tmp)
        return
    g = torch.Generator().manual_seed(HV_SCREEN_SEED)
    candidates = [torch.randperm(len(split.val), generator=g)[:vb] for _ in range(n_cand)]
    scored = []
    for c, cand in enumerate(candidates):
        out, lab = _batch_outputs(scfg, space, model, split, runtime, cand, f"high-variance candidate {c + 1}/{n_cand}", log)
        probs = torch.softmax(torch.from_numpy(out), -1)
        scored.append((float(probs.var(0).mean()), c, out, lab))
        scored = sorted(scored, key=lambda t: -t[0])[: len(scfg["seeds"])]  # keep only what can be used
    variance, c, out, lab = scored[seed % len(scored)]
    _save_outputs(out_dir / "outputs_hv.npz", out, lab, candidates[c], output_variance=variance)
