"""Stand-alone ground truth: architectures trained alone, and the retraining of a found network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd
import torch

from nasrepro.config import space_config, space_of, training_fingerprint
from nasrepro.data.colour import ColourJitter
from nasrepro.data.source import Source, load_source
from nasrepro.data.splits import capped, eval_loader, eval_tensors, make_loader, training_source
from nasrepro.errors import ConfigError
from nasrepro.evaluation.evaluate import evaluate_architectures, topk_hits
from nasrepro.io import write_json
from nasrepro.spaces import get_space
from nasrepro.spaces.base import Arch
from nasrepro.spaces.population import network_cost
from nasrepro.training.optim import OptimConfig
from nasrepro.training.packed import run_concurrently
from nasrepro.runtime import Runtime, runtime_from_config, seed_everything
from nasrepro.training.supernet import Phase, SupernetTrainer


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
    runtime = runtime_from_config(cfg)
    source, num_classes = training_source(cfg, scfg)
    if source.images is not None:  # one device copy shared by the pack
        source = Source(source.labels.to(runtime.device), images=source.images.to(runtime.device))
    test, _ = load_source(scfg["dataset"], cfg, "test", scfg.get("resolution"))
    test_limit = scfg["evaluation"].get("test_images")
    optim = OptimConfig.from_dict(sa)
    if optim.grad_clip is not None:
        raise ConfigError(f"{space_name}.standalone.grad_clip clips bi-level (differentiable) training only: remove it")
    out_json = Path(out_json)
    jitter = ColourJitter.from_config(sa.get("colour_jitter"), f"{space_name}.standalone.colour_jitter")
    trainers = []
    for arch in archs:
        rng = seed_everything(seed)  # every member starts exactly as a job of its own would
        # forward(x, arch) with only this path's weights (DARTS: its evaluation network, ``standalone.network``)
        model = space.standalone_model(arch, num_classes, scfg["width"], **(sa.get("network") or {}))
        train = make_loader(scfg, source, optim.batch_size, runtime, seed, augment=True, cutout=sa.get("cutout", 0),
                            colour_jitter=jitter)
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
        acc, top5 = test_accuracy(scfg, trainer.model, arch, test, runtime, test_limit)
        rows.append({"space": space_name, "arch": space.format(arch), "index": space.display_index(arch),
                     "seed": seed, "test_acc": float(acc), "test_top5": float(top5),
                     "metric": "miou" if test.labels.dim() == 3 else "top1",
                     "train_seconds": result.seconds, "epochs": optim.epochs,
                     "pack_size": len(archs), "preset": cfg["preset"], "config_hash": cfg["config_hash"]})
        log(f"{rows[-1]['arch']} seed {seed}: test accuracy {acc:.2f}%")
    write_json(out_json, rows)
    for trainer in trainers:
        trainer.checkpoint.unlink(missing_ok=True)
    return rows


def test_accuracy(scfg: dict, model: torch.nn.Module, arch: Arch, test: Source, runtime: Runtime,
                  limit: int | None) -> tuple[float, float]:
    """Top-1 and top-5 (%) (segmentation: mIoU and NaN) of a stand-alone network in eval mode on the (capped) test split (thesis Table 5.5
    and paper Table 4 report both for ImageNet). Image folders are streamed batch by batch (ImageNet's 50,000
    validation images do not fit the device at once)."""
    batch = scfg["evaluation"]["batch_size"]
    if test.folder is None and test.labels.dim() == 3:  # segmentation: mIoU (%) over the test images, no top-5
        tx, ty = eval_tensors(scfg, test, runtime, limit)
        return float(evaluate_architectures(model, [arch], tx, ty, runtime, batch, use_batch_stats=False)[0]), float("nan")
    if test.folder is None:
        tx, ty = eval_tensors(scfg, test, runtime, limit)
        hits, n = topk_hits(model, arch, tx, ty, runtime, batch), len(ty)
    else:
        source = capped(test, limit)
        hits, n = {1: 0.0, 5: 0.0}, len(source)
        for x, y in eval_loader(scfg, source, min(batch, len(source)), runtime).iterate(0):
            for k, v in topk_hits(model, arch, x, y, runtime, len(y)).items():
                hits[k] += v
    return 100.0 * hits[1] / n, 100.0 * hits[5] / n


def top_architectures(summary: dict, arch_eval: pd.DataFrame, k: int) -> list[str]:
    """The ``k`` architectures a search ranks highest: its chosen one first, then the others of its
    ``arch_eval.csv`` by supernet validation accuracy (ties in the file's order). Thesis Table 2.6 retrains
    "the best 3 architectures based on our ranking"."""
    order = arch_eval.sort_values("supernet_val_acc", ascending=False, kind="stable")["arch"].astype(str)
    ranked = list(dict.fromkeys([str(summary["arch"]), *order]))
    if len(ranked) < k:
        raise ConfigError(f"retrain.top is {k} but the search ranked only {len(ranked)} architectures: "
                          f"lower retrain.top or rank more (evaluation.proxy_top / rank_archs)")
    return ranked[:k]


def run_retrain(cfg: dict, space_name: str, summary_json: str | Path, seed: int, out_json: str | Path,
                log: Callable = print, pick: str | None = None) -> list[dict]:
    """Retrain the network a search found (its ``summary.json``) from scratch with the section's
    ``standalone`` protocol, as the paper does for ImageNet, and record its cost beside the accuracy.
    With ``retrain.top: k`` the search's k best-ranked architectures (``arch_eval.csv`` beside the summary)
    train together as one pack; each record carries its ``rank``. ``pick`` retrains the network another
    selection of the same search found instead (``ea``: the summary's ``ea_arch``)."""
    summary_json = Path(summary_json)
    found = json.loads(summary_json.read_text())
    scfg = space_config(cfg, space_name)
    searched = (scfg.get("retrain") or {}).get("search") or space_name  # a transfer retrains another setting's find
    if found.get("space") != searched:
        raise ConfigError(f"{summary_json} is a search of {found.get('space')!r}, not of {searched!r}"
                          + ("" if searched == space_name else f" ({space_name}.retrain.search)"))
    top = int((scfg.get("retrain") or {}).get("top", 1))
    if pick is not None:
        if f"{pick}_arch" not in found:
            raise ConfigError(f"{summary_json} has no {pick}_arch: the search ran without selection.ea_shift "
                              f"(set it in {space_name}.selection, or retrain without --pick)")
        archs = [found[f"{pick}_arch"]]
    elif top == 1:
        archs = [found["arch"]]
    else:
        archs = top_architectures(found, pd.read_csv(summary_json.parent / "arch_eval.csv"), top)
    rows = run_standalone(cfg, space_name, archs, seed, out_json, log=log)
    space = get_space(space_of(cfg, space_name))
    for rank, row in enumerate(rows, start=1):
        row.update(network_cost(scfg, space, space.parse(row["arch"])))
        row.update(method=found["method"], label=found["label"], search_seed=found["seed"], rank=rank,
                   selection=pick or "search")
    write_json(out_json, rows)
    return rows
