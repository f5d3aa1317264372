"""``nasrepro bench``: how fast the training path, the samplers, evaluation and tree building run.

``run_bench(device, spaces, quick) -> dict`` measures, for every search space:

1. **train** -- images/s of the supernet (a random architecture per step, drawn from a pool of
   architectures) and of the same architectures built as plain fixed networks
   (``space.build_network(arch)``, one network per pool architecture), each stepped by the trainer's
   own ``SupernetTrainer.train_step`` (forward + cross-entropy under the runtime's autocast,
   ``zero_grad``, backward, SGD step, cosine schedule step, on-device loss/accuracy sums), the same
   batch and the same architecture sequence. Synthetic uint8 images go through ``DeviceLoader`` (uint8 on the
   device, on-device crop + flip, channels_last per runtime), so augmentation is included. The ratio
   is supernet step time / fixed step time (target <= 1.10), the median over runs of the ratio of two
   runs made back to back on the same architecture sequence.
2. **samplers** -- sample + update microseconds per step of every sampler (``measure_overhead``), over
   the space's whole population, for every registered sampler (``nasrepro.samplers.SAMPLERS``; one
   that takes a tree also on a learned tree built from random outputs), bound to a stand-in trainer
   whose measurements are random (supernet forwards are timed in 1), also as % of the measured supernet step (target
   < 1 %) and of a 10.24 ms step (the H100 target of 25,000 images/s at batch 256).
3. **eval** -- ``evaluate_architectures`` throughput in architectures/s at the validation batch (and, for
   NAS-Bench-201, stacked multi-architecture passes against one at a time).
3b. **packed ground truth** -- stand-alone networks trained one after another vs as one pack.
4. **trees** (once, not per space) -- ``build_tree("learned")`` (KL distances + average linkage, the
   paper's Pooling setting and the pipeline's default) on random outputs of B=64 images x 10 classes for
   N = 36, 6,561 and 15,625, each in a fresh interpreter so its peak RSS is its own (target <= 60 s and
   < 24 GiB for 15,625 on 2 cores).
5. **memory** -- CUDA max allocated per space on GPU; the process max RSS on CPU.
6. **sync** -- cost of reading the validation mini-batch reward with ``float()`` every step: step time
   of train + reward forward with the reward left on the device vs read to the host (median of paired
   differences; on CPU the tensors are already on the host, so this is ~0 plus noise).
7. **projections** -- wall time of the paper-preset Pooling search and NAS-Bench-Macro search from the
   measured per-image train and reward costs.

Every figure is the median of several timed runs after a warm-up; the train variants are interleaved
(supernet, fixed, reward, reward+sync, repeat) so a background load affects them alike. ``quick=True``
shortens everything and skips N = 15,625. On CPU the batch is small (32; 16 when quick) and NB-Macro /
NAS-Bench-201 drop to a reduced width when a full-width step takes more than a second; the output says so.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

DEFAULT_SPACES = ("pooling", "nb-macro", "nb201", "darts")
TREE_SIZES = (36, 6561, 15625)
TREE_IMAGES, TREE_CLASSES = 64, 10
H100_TARGET_IMAGES_PER_S = 25_000.0
H100_TARGET_STEP_US = 256 / H100_TARGET_IMAGES_PER_S * 1e6  # 10,240 us per batch-256 step
TARGETS = {
    "ratio_max": 1.10,
    "sampler_overhead_pct_max": 1.0,
    "tree_15625_s_max": 60.0,
    "tree_15625_rss_gib_max": 24.0,
    "h100_pooling_images_per_s_min": H100_TARGET_IMAGES_PER_S,
}
# Wall-time projections of the paper's method: setting -> method, protocol from the paper preset
# (``tools.protocol.paper_protocol``).
PROJECTIONS = {"pooling": "mcts-learned", "nb-macro": "mcts-learned"}
PAPER_TRAIN_IMAGES = 25_000  # the GPU timing runs on as many synthetic images as a CIFAR search half


@dataclass(frozen=True)
class Settings:
    batch: int              # train batch (and reward mini-batch)
    images: int             # synthetic training images held by the loader
    pool: int               # distinct architectures the timed steps cycle through
    steps: int              # steps per timed run
    repeats: int            # timed runs per variant (median reported)
    eval_batch: int         # validation batch of the evaluation throughput
    eval_archs: int         # architectures per timed evaluation run
    eval_repeats: int
    sampler_steps: int      # sample/update pairs per sampler (median reported)
    tree_sizes: tuple[int, ...]
    tree_repeats: dict      # N -> timed builds
    max_cpu_step_s: float   # CPU: reduce NB-Macro / NB201 width while a full-width step is slower
    representation_archs: int = 36  # consecutive architectures (lexicographic, as a whole-space pass shares prefixes)
    packed_networks: int = 4        # stand-alone networks timed one after another and as one pack
    packed_steps: int = 4           # training steps of each


def default_settings(device_type: str, quick: bool) -> Settings:
    if device_type == "cuda":
        if quick:
            return Settings(256, 5_000, 4, 10, 3, 1024, 4, 3, 300, (36, 6561), {36: 3, 6561: 1}, math.inf, 8)
        return Settings(256, PAPER_TRAIN_IMAGES, 8, 30, 7, 1024, 16, 5, 2000, TREE_SIZES,
                        {36: 5, 6561: 3, 15625: 1}, math.inf)
    if quick:
        return Settings(16, 256, 2, 2, 2, 64, 2, 2, 200, (36, 6561), {36: 3, 6561: 1}, 1.0, 3)
    return Settings(32, 2_048, 4, 3, 7, 128, 4, 3, 2000, TREE_SIZES, {36: 5, 6561: 3, 15625: 1}, 1.0)


# ------------------------------------------------------------------------------------------ helpers
def _jsonable(x: Any) -> Any:
    """Strict-JSON copy: string keys, tuples as lists, non-finite floats as None."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def median(xs: Sequence[float]) -> float:
    return float(np.median(np.asarray(xs, dtype=np.float64)))


def _max_rss_bytes() -> int:
    """Peak resident set size of this process (Linux reports KiB, macOS bytes)."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(r if sys.platform == "darwin" else r * 1024)


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{_cpu_name()} ({os.cpu_count()} cores, torch threads {torch.get_num_threads()})"


def sync_device(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _synthetic_loader(runtime, n: int, batch: int, seed: int, augment: bool):
    from nasrepro.data.loader import DeviceLoader

    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, 10, (n,), generator=g)
    return DeviceLoader(images, labels, batch, runtime.device, augment=augment, seed=seed,
                        channels_last=runtime.channels_last)


class _StepCount:
    """Stands in for a train loader when a trainer is stepped by hand: the trainer reads only its length
    (the steps its learning-rate schedule spans)."""

    def __init__(self, steps: int):
        self.steps = steps

    def __len__(self) -> int:
        return self.steps


def timing_trainer(model: nn.Module, archs: Sequence, runtime, batch: int):
    """A ``SupernetTrainer`` to time by hand: ``train_step`` and ``reward_step`` are the training
    loop's own step and reward forward (SGD, lr 0.05, cosine schedule over a million steps)."""
    from nasrepro.training.optim import OptimConfig
    from nasrepro.training.supernet import Phase, SupernetTrainer

    optim = OptimConfig(epochs=1, batch_size=batch, lr=0.05, momentum=0.9, weight_decay=1e-3)
    return SupernetTrainer(model, archs, None, [Phase("uniform", 1.0)], optim, runtime, _StepCount(1_000_000), None,
                           np.random.default_rng(0), log=lambda message: None)


def launches_per_step(step: Callable[[], Any], device: torch.device, repeats: int = 3) -> float | None:
    """Kernel and graph launches the host issues per call of ``step`` (torch profiler's CUDA runtime
    events); None off CUDA. A captured step is one ``cudaGraphLaunch``."""
    if device.type != "cuda":
        return None
    from torch.profiler import ProfilerActivity, profile

    step()
    sync_device(device)
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for _ in range(repeats):
            step()
        sync_device(device)
    launches = sum(e.count for e in prof.key_averages()
                   if e.key.startswith(("cudaLaunch", "cuLaunch", "cudaGraphLaunch")))
    return launches / repeats


# ------------------------------------------------------------------------------------------ 1 + 6: train
def _train_variants(space, runtime, settings: Settings, width: float, rng: np.random.Generator,
                    log: Callable[[str], None]) -> dict[str, Any]:
    from nasrepro.data.loader import BatchCycler

    archs = space.enumerate()
    pool_idx = rng.choice(len(archs), size=min(settings.pool, len(archs)), replace=False)
    pool = [tuple(archs[i]) for i in pool_idx]
    torch.manual_seed(0)
    sup = timing_trainer(space.build_supernet(10, width), pool, runtime, settings.batch)
    # the pruned supernet of each path: the network the stand-alone ground-truth job trains
    fixed = [timing_trainer(space.build_network(a, 10, width).net, [a], runtime, settings.batch) for a in pool]
    train = BatchCycler(_synthetic_loader(runtime, settings.images, settings.batch, 1, augment=True))
    val = BatchCycler(_synthetic_loader(runtime, settings.images, settings.batch, 2, augment=False))
    reward_acc = torch.zeros((), device=runtime.device)
    read_s: list[float] = []  # seconds spent inside float(reward), per reward_sync step

    def run(variant: str, seq: Sequence[int]) -> float:
        nonlocal reward_acc
        sync_device(runtime.device)
        t0 = time.perf_counter()
        for k in seq:
            x, y = next(train)
            if variant == "fixed":
                fixed[k].train_step(x, y, [0])
                continue
            sup.train_step(x, y, [k])
            if variant != "supernet":
                r = sup.reward_step(pool[k], next(val))[0]
                if variant == "reward_sync":
                    t_read = time.perf_counter()
                    value = float(r)  # the trainer's one host read per step
                    read_s.append(time.perf_counter() - t_read)
                    reward_acc += value
                else:
                    reward_acc += r  # stays on the device
        sync_device(runtime.device)
        return (time.perf_counter() - t0) / max(1, len(seq))

    variants = ("supernet", "fixed", "reward_async", "reward_sync")
    # warm-up: every pool architecture once in every variant (cuDNN autotuning sees every shape)
    everyone = list(range(len(pool)))
    for v in variants:
        run(v, everyone)
    read_s.clear()
    times: dict[str, list[float]] = {v: [] for v in variants}
    for r in range(settings.repeats):
        seq = rng.integers(len(pool), size=settings.steps).tolist()
        for v in (variants if r % 2 == 0 else variants[::-1]):  # ABBA order cancels a drifting background load
            times[v].append(run(v, seq))
    float(reward_acc)
    med = {v: median(ts) for v, ts in times.items()}
    # paired figures: each repeat compares variants run back to back on the same architecture sequence
    paired_ratio = median([s / f for s, f in zip(times["supernet"], times["fixed"])])
    paired_sync = median([s - a for s, a in zip(times["reward_sync"], times["reward_async"])])
    paired_reward = median([a - s for a, s in zip(times["reward_async"], times["supernet"])])
    b = settings.batch
    out = {
        "batch": b,
        "width": width,
        "pool_archs": [space.format(a) for a in pool],
        "steps_per_run": settings.steps,
        "runs": settings.repeats,
        "supernet_step_ms": med["supernet"] * 1e3,
        "fixed_step_ms": med["fixed"] * 1e3,
        "supernet_images_per_s": b / med["supernet"],
        "fixed_images_per_s": b / med["fixed"],
        "ratio": paired_ratio,
        "ratio_of_medians": med["supernet"] / med["fixed"],
        "reward_step_ms": med["reward_async"] * 1e3,
        "reward_sync_step_ms": med["reward_sync"] * 1e3,
        "reward_forward_ms": paired_reward * 1e3,
        # CUDA: reading the reward stalls the host until the GPU is done, so the CPU cannot queue the next
        # step meanwhile: the cost is the paired step-time difference. CPU: there is no device to wait for,
        # the cost is the float() call itself (the paired difference is only background noise there).
        "reward_sync_cost_us": (paired_sync if runtime.device.type == "cuda" else median(read_s)) * 1e6,
        "reward_sync_paired_diff_us": paired_sync * 1e6,
        "reward_sync_cost_pct": None,
        "reward_read_us": median(read_s) * 1e6,
        "reward_sync_method": "paired step-time difference" if runtime.device.type == "cuda"
                              else "time inside float(reward) (no device on CPU)",
        "supernet_params": sum(p.numel() for p in sup.model.parameters()),
        "fixed_params_mean": float(np.mean([sum(p.numel() for p in f.model.parameters()) for f in fixed])),
    }
    out["reward_sync_cost_pct"] = out["reward_sync_cost_us"] / 1e6 / med["reward_sync"] * 100.0
    out["launches_per_step"] = launches_per_step(lambda: run("supernet", [0]), runtime.device)
    out["cuda_graphs"] = runtime.cuda_graphs
    if sup.graphs is not None:
        out["graph_stats"] = dict(sup.graphs.stats)
    log(f"  train: supernet {out['supernet_images_per_s']:.0f} img/s, fixed {out['fixed_images_per_s']:.0f} img/s, "
        f"ratio {out['ratio']:.3f}; reward sync {out['reward_sync_cost_us']:.0f} us/step")
    return {"result": out, "model": sup.model}


def _mixed_op_step(space, runtime, settings: Settings, width: float, single_path_ms: float | None,
                   log: Callable[[str], None]) -> dict | None:
    """Step time of the space's DARTS-style relaxation (issue 19: every operation of every edge runs), the
    weight step alone and with the architecture step of bi-level training, against the single-path
    supernet's step at the same width and batch (when given), and a no-grad forward (what a distillation
    teacher costs HEP-NAS); None for a space without a relaxation."""
    from nasrepro.data.loader import BatchCycler
    from nasrepro.errors import ConfigError
    from nasrepro.training.bilevel import ArchOptimConfig, BilevelTrainer
    from nasrepro.training.optim import OptimConfig

    try:
        torch.manual_seed(0)
        relaxed = space.build_relaxed(10, width)
    except ConfigError:
        return None
    train = _synthetic_loader(runtime, settings.images, settings.batch, 1, augment=True)
    val = _synthetic_loader(runtime, settings.images, settings.batch, 2, augment=False)
    trainer = BilevelTrainer(relaxed, OptimConfig(epochs=1, batch_size=settings.batch, lr=0.025), ArchOptimConfig(),
                             runtime, train, val, np.random.default_rng(0), log=lambda m: None)
    batches, val_batches = BatchCycler(train), BatchCycler(val)

    def run(steps: int, bilevel: bool) -> float:
        sync_device(runtime.device)
        t0 = time.perf_counter()
        for _ in range(steps):
            if bilevel:
                trainer.arch_step(*next(val_batches))
            trainer.weight_step(*next(batches))
        sync_device(runtime.device)
        return (time.perf_counter() - t0) / steps

    def forward(steps: int) -> float:
        relaxed.eval()
        sync_device(runtime.device)
        t0 = time.perf_counter()
        with torch.no_grad(), runtime.autocast():
            for _ in range(steps):
                relaxed(next(val_batches)[0])
        sync_device(runtime.device)
        relaxed.train()
        return (time.perf_counter() - t0) / steps

    run(2, True)  # warm-up
    weight = median([run(settings.steps, False) for _ in range(settings.repeats)])
    bilevel = median([run(settings.steps, True) for _ in range(settings.repeats)])
    fwd = median([forward(settings.steps) for _ in range(settings.repeats)])
    out = {"batch": settings.batch, "width": width, "ops_per_edge": int(relaxed.rows().shape[-1]),
           "weight_step_ms": weight * 1e3, "bilevel_step_ms": bilevel * 1e3, "forward_ms": fwd * 1e3}
    if single_path_ms:
        out.update(weight_step_ratio=weight * 1e3 / single_path_ms, bilevel_step_ratio=bilevel * 1e3 / single_path_ms)
    log(f"  mixed-op: weight step {out['weight_step_ms']:.1f} ms"
        + (f" ({out['weight_step_ratio']:.2f}x the single path)" if single_path_ms else "")
        + f", bi-level step {out['bilevel_step_ms']:.1f} ms"
        + (f" ({out['bilevel_step_ratio']:.2f}x)" if single_path_ms else "") + f", forward {fwd * 1e3:.1f} ms")
    return out


# The DARTS space has no enumerable population (no single-path variants, samplers or trees): the bench times
# its relaxed search network and its evaluation network, which HEP-NAS's projections price.
DARTS_CPU_WIDTH = 0.25  # CPU: the 8-cell search network at C = 4 (full width: seconds per bi-level step)


def _darts_costs(space, runtime, settings: Settings, log: Callable[[str], None]) -> dict:
    from nasrepro.data.loader import BatchCycler
    from nasrepro.tools.protocol import paper_section

    width = 1.0 if runtime.device.type == "cuda" else DARTS_CPU_WIDTH
    mixed = _mixed_op_step(space, runtime, settings, width, None, log)
    network = dict(paper_section("darts-hepnas")[1]["standalone"].get("network") or {})
    arch = space.sample(np.random.default_rng(0))[0]
    torch.manual_seed(0)
    trainer = timing_trainer(space.standalone_model(arch, 10, 1.0, **network), [arch], runtime, settings.batch)
    batches = BatchCycler(_synthetic_loader(runtime, settings.images, settings.batch, 3, augment=True))

    def run(steps: int) -> float:
        sync_device(runtime.device)
        t0 = time.perf_counter()
        for _ in range(steps):
            x, y = next(batches)
            trainer.train_step(x, y, [0])
        sync_device(runtime.device)
        return (time.perf_counter() - t0) / steps

    run(1)  # warm-up
    step = median([run(settings.steps) for _ in range(settings.repeats)])
    log(f"  evaluation network {network}: {step * 1e3:.1f} ms per step at batch {settings.batch}")
    return {"population": space.size(), "train": {"batch": settings.batch, "width": width, "mixed_op": mixed},
            "evaluation": {"network": network, "batch": settings.batch, "step_ms": step * 1e3,
                           "images_per_s": settings.batch / step}}


# HEP-NAS's paper runs projected from the measured relaxed steps: space -> (setting, method)
HEPNAS_PROJECTIONS = {"nb201": ("nb201-hepnas", "hepnas"), "darts": ("darts-hepnas", "hepnas-darts")}


def _hepnas_projections(result: dict, spaces) -> dict:
    from nasrepro.tools.schedule_projection import (StepCosts, paper_evaluation_projection,
                                                    paper_hepnas_projection)

    out = {}
    for space in spaces:
        measured = result.get("darts") if space.name == "darts" else result["spaces"].get(space.name)
        mixed = (measured or {}).get("train", {}).get("mixed_op")
        if space.name not in HEPNAS_PROJECTIONS or not mixed:
            continue
        setting, method = HEPNAS_PROJECTIONS[space.name]
        b = mixed["batch"]
        costs = StepCosts(bilevel=mixed["bilevel_step_ms"] / 1e3 / b, weight=mixed["weight_step_ms"] / 1e3 / b,
                          forward=mixed["forward_ms"] / 1e3 / b)
        at = {"batch": b, "width": mixed["width"]}
        out[f"{setting} search"] = {**paper_hepnas_projection(setting, method, space.edges(), mixed["ops_per_edge"],
                                                              costs), "measured_at": at}
        ev = measured.get("evaluation")
        if ev:
            out[f"{setting} evaluation"] = {**paper_evaluation_projection(setting, ev["step_ms"] / 1e3 / ev["batch"]),
                                            "measured_at": {"batch": ev["batch"], "width": 1.0}}
    return out


def _probe_width(space, runtime, settings: Settings, log: Callable[[str], None]) -> tuple[float, str | None]:
    """CPU only: the largest of 1, 0.5, 0.25 whose supernet train step takes at most ``max_cpu_step_s``."""
    if runtime.device.type != "cpu" or space.name == "pooling" or not math.isfinite(settings.max_cpu_step_s):
        return 1.0, None
    archs = space.enumerate()
    rng = np.random.default_rng(123)
    loader = _synthetic_loader(runtime, settings.batch * 4, settings.batch, 3, augment=True)
    slow = {}
    for width in (1.0, 0.5):
        torch.manual_seed(0)
        st = timing_trainer(space.build_supernet(10, width), archs, runtime, settings.batch)
        ts = []
        for i in range(3):
            x, y = loader.batch(0, i % len(loader))
            t0 = time.perf_counter()
            st.train_step(x, y, [int(rng.integers(len(archs)))])
            ts.append(time.perf_counter() - t0)
        step = median(ts[1:])
        if step <= settings.max_cpu_step_s:
            note = None if width == 1.0 else (
                f"width {width} on CPU: a full-width step took {slow[1.0]:.2f} s (> {settings.max_cpu_step_s:g} s)")
            return width, note
        slow[width] = step
        log(f"  width {width}: {step:.2f} s per step on CPU, reducing")
    return 0.25, (f"width 0.25 on CPU: full-width step {slow[1.0]:.2f} s, width 0.5 step {slow[0.5]:.2f} s "
                  f"(> {settings.max_cpu_step_s:g} s)")


# ------------------------------------------------------------------------------------------ 3: eval
def _eval_throughput(space, model: nn.Module, runtime, settings: Settings, rng: np.random.Generator) -> dict:
    from nasrepro.evaluation.evaluate import evaluate_architectures

    archs = space.enumerate()
    loader = _synthetic_loader(runtime, settings.eval_batch, settings.eval_batch, 4, augment=False)
    images, labels = loader.batch(0, 0)
    pick = lambda k: [tuple(archs[i]) for i in rng.choice(len(archs), size=min(k, len(archs)), replace=False)]
    evaluate_architectures(model, pick(1), images, labels, runtime, batch_size=settings.eval_batch)  # warm-up
    rates = []
    for _ in range(settings.eval_repeats):
        chosen = pick(settings.eval_archs)
        sync_device(runtime.device)
        t0 = time.perf_counter()
        evaluate_architectures(model, chosen, images, labels, runtime, batch_size=settings.eval_batch)
        sync_device(runtime.device)
        rates.append(len(chosen) / (time.perf_counter() - t0))
    out = {"batch": settings.eval_batch, "archs_per_run": settings.eval_archs, "runs": settings.eval_repeats,
           "archs_per_s": median(rates), "images_per_s": median(rates) * settings.eval_batch}
    if hasattr(model, "forward_many"):
        # Stacked evaluation (several architectures per forward pass) against one at a time, same archs.
        chosen = pick(settings.eval_archs)
        timings = {}
        for stack in (1, 16):
            runs = []
            for _ in range(settings.eval_repeats):
                sync_device(runtime.device)
                t0 = time.perf_counter()
                evaluate_architectures(model, chosen, images, labels, runtime, batch_size=settings.eval_batch,
                                       stack=stack)
                sync_device(runtime.device)
                runs.append(len(chosen) / (time.perf_counter() - t0))
            timings[stack] = median(runs)
        out.update({"stacked_archs_per_s": timings[16], "stacked_ratio": timings[16] / timings[1]})
    model.train()
    return out


# ------------------------------------------------------------------------------------------ density representations
def _representation_costs(space, model: nn.Module, runtime, settings: Settings) -> dict:
    """Thesis Table 5.2: time and float32 bytes per architecture of each density representation on one
    batch of ``eval_batch`` images (issue 16). Spaces without the prefix protocol have no CKA row."""
    from nasrepro.evaluation import representations as rep
    from nasrepro.evaluation.evaluate import collect_outputs
    from nasrepro.evaluation.prefix import supports_prefix

    archs = [tuple(a) for a in space.enumerate()[:settings.representation_archs]]
    loader = _synthetic_loader(runtime, settings.eval_batch, settings.eval_batch, 5, augment=False)
    x, y = loader.batch(0, 0)
    variants = {"functional": lambda: collect_outputs(model, archs, x, runtime),
                "gradient": lambda: rep.collect_gradients(model, archs, x, y, runtime),
                "gradient, sketch 16384": lambda: rep.collect_gradients(model, archs, x, y, runtime, 16384)}
    if supports_prefix(model):
        last = len(archs[0]) - 2
        variants[f"gradient, layers after decision {last}"] = lambda: rep.collect_gradients(
            model, archs, x, y, runtime, from_decision=last)
        variants["representational (CKA)"] = lambda: rep.collect_cka_features(model, archs, x, runtime)
    out = {"images": settings.eval_batch, "archs": len(archs)}
    for name, fn in variants.items():
        sync_device(runtime.device)
        t0 = time.perf_counter()
        feats = fn()
        sync_device(runtime.device)
        out[name] = {"ms_per_arch": (time.perf_counter() - t0) * 1e3 / len(archs),
                     "bytes_per_arch": int(feats.reshape(len(archs), -1).shape[1] * 4)}
    model.train()
    return out


# ------------------------------------------------------------------------------------------ packed ground truth
def _packed_throughput(space, runtime, settings: Settings, width: float, rng: np.random.Generator) -> dict:
    """Stand-alone training of ``networks`` small networks one after another vs as one pack
    (``training.packed``: interleaved steps, one CUDA stream each), in one process, same steps."""
    from nasrepro.training.optim import OptimConfig
    from nasrepro.training.packed import run_concurrently
    from nasrepro.training.supernet import Phase, SupernetTrainer

    networks, steps = settings.packed_networks, settings.packed_steps

    archs = space.enumerate()
    pick = [tuple(archs[i]) for i in rng.choice(len(archs), size=networks, replace=False)]
    optim = OptimConfig(epochs=1, batch_size=settings.batch, lr=0.05, momentum=0.9, weight_decay=5e-4)

    def trainers():
        out = []
        for k, arch in enumerate(pick):
            torch.manual_seed(k)
            loader = _synthetic_loader(runtime, steps * settings.batch, settings.batch, 10 + k, augment=True)
            out.append(SupernetTrainer(space.build_network(arch, 10, width).net, [arch], None, [Phase("uniform", 1.0)],
                                       optim, runtime, loader, None, np.random.default_rng(k), log=lambda m: None))
        return out

    def timed(run) -> float:
        group = trainers()
        sync_device(runtime.device)
        t0 = time.perf_counter()
        run(group)
        sync_device(runtime.device)
        return time.perf_counter() - t0

    timed(lambda g: [t.run() for t in g])  # warm-up (cuDNN autotuning, allocator)
    alone, packed = [], []
    for r in range(settings.repeats):
        order = (("alone", "packed") if r % 2 == 0 else ("packed", "alone"))
        for variant in order:
            if variant == "alone":
                alone.append(timed(lambda g: [t.run() for t in g]))
            else:
                packed.append(timed(run_concurrently))
    images = networks * steps * settings.batch
    return {"networks": networks, "steps_each": steps, "batch": settings.batch, "width": width,
            "alone_images_per_s": images / median(alone), "packed_images_per_s": images / median(packed),
            "speedup": median(alone) / median(packed)}


# ------------------------------------------------------------------------------------------ 2: samplers
class _StandInTrainer:
    """What a sampler's ``bind`` takes from the supernet trainer, with random measurements in place of
    supernet forwards (those are supernet work, timed in section 1; here only the sampler is timed)."""

    def __init__(self, n: int, space=None):
        import torch

        from nasrepro.runtime import make_runtime

        self.visits = np.ones(n, dtype=np.int64)
        self._scores = np.random.default_rng(3).random(n)
        self._features = np.random.default_rng(4).standard_normal((n, 16))
        # a sampler that reads gradients (PA&DA) binds to a real, small supernet and a 64-image loader
        self.runtime = make_runtime("cpu")
        self.model = space.build_supernet(width=0.25) if space is not None else torch.nn.Identity()
        self.train = type("Loader", (), {"n": 64})()

    def val_scores(self, indices, batches: int = 1) -> np.ndarray:
        return self._scores[np.asarray(indices, dtype=np.int64)]

    def features(self, indices, max_images=None) -> np.ndarray:
        return self._features[np.asarray(indices, dtype=np.int64)]


def _observe_us(sampler, trainer: _StandInTrainer, arch, repeats: int = 20) -> float:
    """Microseconds of one ``observe_step`` after a backward pass of ``arch`` (gradients present)."""
    import torch

    x, y = torch.randn(8, 3, 32, 32), torch.randint(0, 10, (8,))
    logits = trainer.model(x, arch)
    torch.nn.functional.cross_entropy(logits, y).backward()
    ids = torch.arange(8)
    sampler.observe_step(arch, logits.detach(), y, ids)  # warm-up
    t0 = time.perf_counter()
    for _ in range(repeats):
        sampler.observe_step(arch, logits.detach(), y, ids)
    return (time.perf_counter() - t0) / repeats * 1e6


def _sampler_variants(space, archs, learned_tree: Any):
    """(row name, sampler name, options) for every registered sampler; a sampler that takes a tree is
    timed on the default tree and, when one was built, on the learned tree too."""
    import inspect

    from nasrepro.samplers import SAMPLERS, sampler_class
    from nasrepro.trees.build import build_tree

    for name in SAMPLERS:
        if "tree" not in inspect.signature(sampler_class(name).__init__).parameters:
            yield name, name, {}
            continue
        tree, _ = build_tree("default", encodings=space.encodings(archs), tree_paths=space.tree_paths(archs))
        yield name, name, {"tree": tree}
        yield f"{name}+learned-tree", name, ({"tree": learned_tree} if learned_tree is not None else None)


def _sampler_overheads(space, settings: Settings, step_us: float, learned_tree: Any,
                       log: Callable[[str], None]) -> dict[str, dict]:
    from nasrepro.errors import ConfigError
    from nasrepro.samplers import make_sampler
    from nasrepro.samplers.overhead import measure_overhead

    archs = space.enumerate()
    enc = space.encodings(archs)
    choices = space.choices_per_decision()
    out: dict[str, dict] = {}
    for name, sampler_name, options in _sampler_variants(space, archs, learned_tree):
        if options is None:
            out[name] = {"skipped": f"no learned tree of {len(archs)} architectures was built (quick)"}
            continue
        try:
            sampler = make_sampler(sampler_name, enc, choices, **options)
        except ConfigError as exc:  # e.g. strict fairness needs equal choices per decision
            out[name] = {"skipped": str(exc)}
            continue
        stand_in = _StandInTrainer(len(archs), space if sampler.observes_steps else None)
        sampler.bind(stand_in)
        tree = getattr(sampler, "tree", None)
        tree_depth = tree.max_depth if tree is not None else None
        m = measure_overhead(sampler, steps=settings.sampler_steps, rng=np.random.default_rng(7))
        total = m["sample_us"] + m["update_us"]
        out[name] = {
            "sample_us": m["sample_us"],
            "update_us": m["update_us"],
            "total_us": total,
            "total_us_p90": m["sample_us_p90"] + m["update_us_p90"],
            "pct_of_step": total / step_us * 100.0,
            "pct_of_h100_target_step": total / H100_TARGET_STEP_US * 100.0,
            "population": m["population"],
            "steps": m["steps"],
        }
        if tree_depth is not None:
            out[name]["tree_depth"] = int(tree_depth)
        if sampler.observes_steps:  # PA&DA: the gradient-norm reads after each step, on a supernet at width 0.25
            out[name]["observe_us"] = _observe_us(sampler, stand_in, archs[0])
        if hasattr(sampler, "rebuild"):  # iterative MCTS: once per iteration, not per step (tree from the ranking)
            t0 = time.perf_counter()
            sampler.rebuild()
            out[name]["rebuild_ms"] = (time.perf_counter() - t0) * 1e3
            out[name]["tree_depth"] = int(sampler.tree.max_depth)
    log("  samplers: " + ", ".join(f"{k} {v['total_us']:.1f} us" for k, v in out.items() if "total_us" in v))
    return out


# ------------------------------------------------------------------------------------------ 4: trees
def _tree_worker(spec_json: str) -> None:
    """Run in a fresh interpreter: time ``build_tree("learned")`` on random outputs, print one JSON line."""
    spec = json.loads(spec_json)
    n, b, c, repeats = int(spec["n"]), int(spec["b"]), int(spec["c"]), int(spec["repeats"])
    from nasrepro.trees.build import build_tree, pairwise_output_distances

    if spec.get("threads"):
        torch.set_num_threads(int(spec["threads"]))
    rng = np.random.default_rng(int(spec.get("seed", 0)))
    build_tree("learned", outputs=rng.standard_normal((8, b, c)).astype(np.float32))  # imports, warm-up
    base_rss = _max_rss_bytes()
    outputs = (2.0 * rng.standard_normal((n, b, c))).astype(np.float32)
    t0 = time.perf_counter()
    d = pairwise_output_distances(outputs, "kl")
    dist_s = time.perf_counter() - t0
    del d
    times, tree = [], None
    for _ in range(repeats):
        tree = info = None
        t0 = time.perf_counter()
        tree, info = build_tree("learned", outputs=outputs, distance="kl", linkage="average")
        times.append(time.perf_counter() - t0)
    del info
    if spec.get("tree_out"):
        torch.save(tree.state_dict(), spec["tree_out"])
    print(json.dumps({"n": n, "b": b, "c": c, "runs": repeats, "seconds": median(times),
                      "seconds_all": times, "distances_s": dist_s, "clustering_s": max(0.0, median(times) - dist_s),
                      "peak_rss_bytes": _max_rss_bytes(), "baseline_rss_bytes": base_rss,
                      "tree_depth": int(tree.max_depth), "tree_nodes": int(tree.num_nodes),
                      "threads": torch.get_num_threads()}))


def _tree_bench(n: int, repeats: int, tree_out: str | None, threads: int | None = None,
                timeout: float = 1800.0) -> dict:
    spec = json.dumps({"n": n, "b": TREE_IMAGES, "c": TREE_CLASSES, "repeats": repeats, "seed": n,
                       "tree_out": tree_out, "threads": threads})
    code = "import sys; from nasrepro.tools.bench import _tree_worker; _tree_worker(sys.argv[1])"
    proc = subprocess.run([sys.executable, "-c", code, spec], capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        return {"n": n, "error": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["failed"]}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["peak_rss_gib"] = res["peak_rss_bytes"] / 2**30
    return res


def _trees(settings: Settings, tmp: str, log: Callable[[str], None], threads: int | None) -> tuple[dict, dict]:
    from nasrepro.trees.tree import Tree

    results, trees = {}, {}
    for n in settings.tree_sizes:
        path = os.path.join(tmp, f"tree{n}.pt")
        res = _tree_bench(n, settings.tree_repeats.get(n, 1), path, threads)
        results[str(n)] = res
        if "error" in res:
            log(f"  tree N={n}: failed: {res['error']}")
            continue
        trees[n] = Tree.from_state_dict(torch.load(path, weights_only=True))
        log(f"  tree N={n}: {res['seconds']:.2f} s (distances {res['distances_s']:.2f} s), "
            f"peak RSS {res['peak_rss_gib']:.2f} GiB, depth {res['tree_depth']}")
    return results, trees


# ------------------------------------------------------------------------------------------ 7: projections
def _projection(protocol, train: dict) -> dict:
    """Wall time from the measured per-image train cost and reward forward, and the per-step sync.

    Every search step runs the validation forward (the trainer records the mini-batch accuracy even when
    no sampler reads it); only the steps whose reward the sampler reads pay the host sync."""
    p = protocol
    b = train["batch"]
    train_s_img = train["supernet_step_ms"] / 1e3 / b
    reward_s_img = max(train["reward_forward_ms"], 0.0) / 1e3 / b
    sync_s = max(train["reward_sync_cost_us"], 0.0) / 1e6
    warm_steps = p.warmup_epochs * (p.search_images // p.warmup_batch)
    search_steps = p.search_epochs * (p.search_images // p.search_batch)
    warm_s = warm_steps * p.warmup_batch * train_s_img
    search_s = search_steps * p.search_batch * train_s_img
    reward_s = search_steps * p.search_batch * reward_s_img + int(round(p.reward_fraction * search_steps)) * sync_s
    return {
        "description": (f"{p.setting}, {p.method} (paper preset): warm-up {p.warmup_epochs} epochs at batch "
                        f"{p.warmup_batch} + search {p.search_epochs} epochs at batch {p.search_batch} on "
                        f"{p.search_images:,} images; reward read on {p.reward_fraction:.0%} of the search steps"),
        "protocol": p.as_dict(),
        "measured_at": {"batch": b, "width": train["width"]},
        "warmup_s": warm_s,
        "search_train_s": search_s,
        "search_reward_s": reward_s,
        "total_s": warm_s + search_s + reward_s,
        "search_total_s": search_s + reward_s,
    }


# ------------------------------------------------------------------------------------------ entry point
def run_bench(device: str = "cpu", spaces: Sequence[str] = DEFAULT_SPACES, quick: bool = False,
              log: Callable[[str], None] | None = None, tree_sizes: Sequence[int] | None = None,
              settings: Settings | None = None, threads: int | None = None) -> dict:
    """Measure every figure of the module docstring and return them as a JSON-ready dict.

    ``tree_sizes`` / ``settings`` override the defaults (tests use a single small tree). ``threads`` sets
    torch's intra-op threads for the train / eval / sampler figures and is restored afterwards (on a CPU
    shared with other jobs, 1 thread avoids OpenMP oversubscription stalls); the tree workers always use
    torch's default (every core), as the tree target is stated for the whole 2-core machine.
    """
    prev_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(int(threads))
    try:
        return _run_bench(device, spaces, quick, log, tree_sizes, settings, threads)
    finally:
        torch.set_num_threads(prev_threads)


def _run_bench(device, spaces, quick, log, tree_sizes, settings, threads) -> dict:
    from nasrepro.runtime import make_runtime
    from nasrepro.spaces import get_space
    from nasrepro.tools.protocol import require_config

    require_config()  # the projections read the paper preset: fail before minutes of measuring, not after
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    runtime = make_runtime(device, deterministic=False)
    if runtime.device.type == "cpu":
        torch.backends.cudnn.benchmark = False
    dev = runtime.device
    settings = settings or default_settings(dev.type, quick)
    if tree_sizes is not None:
        settings = Settings(**{**asdict(settings), "tree_sizes": tuple(int(n) for n in tree_sizes)})
    space_objs = [get_space(s) for s in spaces]
    t_start = time.perf_counter()
    result: dict[str, Any] = {
        "meta": {
            "device": _device_name(dev),
            "device_type": dev.type,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "commit": _git_commit(),
            "date": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
            "quick": bool(quick),
            "torch_threads": torch.get_num_threads(),
            "cpu_count": os.cpu_count(),
            "amp_dtype": str(runtime.amp_dtype).replace("torch.", "") if runtime.amp_dtype else "float32",
            "channels_last": runtime.channels_last,
            "settings": _jsonable(asdict(settings)),
        },
        "targets": dict(TARGETS),
        "spaces": {},
    }
    with tempfile.TemporaryDirectory(prefix="nasrepro-bench-") as tmp:
        log(f"bench on {result['meta']['device']}: trees (N = {', '.join(map(str, settings.tree_sizes))})")
        tree_results, trees = _trees(settings, tmp, log, None)  # all cores: the target is for 2 cores
    result["trees"] = tree_results
    for space in space_objs:
        log(f"bench {space.name}")
        if space.name == "darts":
            result["darts"] = _darts_costs(space, runtime, settings, log)  # not a population: no train variants
            continue
        if dev.type == "cuda":
            torch.cuda.reset_peak_memory_stats(dev)
        rng = np.random.default_rng(0)
        width, note = _probe_width(space, runtime, settings, log)
        tr = _train_variants(space, runtime, settings, width, rng, log)
        train = tr["result"]
        if dev.type == "cuda":  # issue 21: the same steps replayed as CUDA graphs (before = eager, above)
            log("  train, CUDA graphs:")
            graphed = _train_variants(space, dataclasses.replace(runtime, cuda_graphs=True), settings, width,
                                      np.random.default_rng(0), log)["result"]
            graphed["speedup_supernet"] = train["supernet_step_ms"] / graphed["supernet_step_ms"]
            graphed["speedup_fixed"] = train["fixed_step_ms"] / graphed["fixed_step_ms"]
            train["graphed"] = graphed
        if note:
            train["note"] = note
        mixed = _mixed_op_step(space, runtime, settings, width, train["supernet_step_ms"], log)
        if mixed is not None:
            train["mixed_op"] = mixed
        ev = _eval_throughput(space, tr["model"], runtime, settings, rng)
        ev["representations"] = _representation_costs(space, tr["model"], runtime, settings)
        log(f"  eval: {ev['archs_per_s']:.2f} archs/s at batch {ev['batch']}"
            + (f"; stacked x16: {ev['stacked_ratio']:.2f}x" if "stacked_ratio" in ev else ""))
        del tr
        samplers = _sampler_overheads(space, settings, train["supernet_step_ms"] * 1e3,
                                      trees.get(space.size()), log)
        if dev.type == "cuda":
            mem = {"kind": "cuda_max_allocated", "bytes": int(torch.cuda.max_memory_allocated(dev))}
        else:
            mem = {"kind": "process_max_rss", "bytes": _max_rss_bytes()}
        mem["gib"] = mem["bytes"] / 2**30
        result["spaces"][space.name] = {"population": space.size(), "train": train, "eval": ev,
                                        "samplers": samplers, "memory": mem}
        if space.name == "pooling":  # the 36 ground-truth networks: trained alone or as packs
            result["packed_ground_truth"] = _packed_throughput(space, runtime, settings, width, rng)
            pk = result["packed_ground_truth"]
            log(f"  packed ground truth: {pk['networks']} networks {pk['speedup']:.2f}x faster as one pack")
    from nasrepro.tools.protocol import paper_protocol

    result["projections"] = {
        setting: _projection(paper_protocol(setting, method), result["spaces"][setting]["train"])
        for setting, method in PROJECTIONS.items() if setting in result["spaces"]
    }
    result["hepnas_projections"] = _hepnas_projections(result, space_objs)
    result["checks"] = _checks(result)
    result["meta"]["bench_seconds"] = time.perf_counter() - t_start
    return _jsonable(result)


def _checks(result: dict) -> dict:
    """Which targets the measured figures meet (None where the figure was not measured)."""
    checks: dict[str, Any] = {}
    for name, s in result["spaces"].items():
        checks[f"{name}.ratio<=1.10"] = s["train"]["ratio"] <= TARGETS["ratio_max"]
        pcts = [v["pct_of_step"] for v in s["samplers"].values() if "pct_of_step" in v]
        checks[f"{name}.sampler_overhead<1%"] = all(p < TARGETS["sampler_overhead_pct_max"] for p in pcts)
    big = result.get("trees", {}).get("15625")
    if big and "seconds" in big:
        checks["tree15625<=60s"] = big["seconds"] <= TARGETS["tree_15625_s_max"]
        checks["tree15625<24GiB"] = big["peak_rss_gib"] < TARGETS["tree_15625_rss_gib_max"]
    else:
        checks["tree15625<=60s"] = None
        checks["tree15625<24GiB"] = None
    if result["meta"]["device_type"] == "cuda" and "pooling" in result["spaces"]:
        ips = result["spaces"]["pooling"]["train"]["supernet_images_per_s"]
        checks["pooling>=25000img/s(H100)"] = ips >= H100_TARGET_IMAGES_PER_S
    return checks


# ------------------------------------------------------------------------------------------ text output
def _fmt_s(s: float) -> str:
    if s >= 3600:
        return f"{s / 3600:.2f} h"
    if s >= 60:
        return f"{s / 60:.1f} min"
    return f"{s:.1f} s"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    cells = [[str(h) for h in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return [line(cells[0]), "  ".join("-" * w for w in widths), *(line(r) for r in cells[1:])]


def format_bench(result: dict) -> str:
    """The bench result as readable tables."""
    m = result["meta"]
    out = [f"nasrepro bench -- {m['device']}",
           f"torch {m['torch']}, commit {m['commit'] or '?'}, {m['date']}, precision {m['amp_dtype']}, "
           f"channels_last {m['channels_last']}{', QUICK' if m['quick'] else ''}; medians of several runs after warm-up",
           ""]
    spaces = result["spaces"]
    rows = []
    for name, s in spaces.items():
        t = s["train"]
        rows.append([name, t["batch"], t["width"], f"{t['supernet_images_per_s']:.0f}", f"{t['fixed_images_per_s']:.0f}",
                     f"{t['ratio']:.3f}", f"{t['supernet_step_ms']:.2f}", f"{t['reward_forward_ms']:.2f}",
                     f"{t['reward_sync_cost_us']:.0f}", f"{s['eval']['archs_per_s']:.2f} @{s['eval']['batch']}",
                     f"{s['memory']['gib']:.2f}"])
    mem_kind = "CUDA max alloc" if m["device_type"] == "cuda" else "max RSS"
    out += ["Training (supernet: random arch per step; fixed: space.build_network, same loop/batch/archs)"]
    out += _table(["space", "batch", "width", "super img/s", "fixed img/s", "ratio", "step ms", "reward fwd ms",
                   "sync us", "eval arch/s", mem_kind + " GiB"], rows)
    for name, s in spaces.items():
        if s["train"].get("note"):
            out.append(f"  note ({name}): {s['train']['note']}")
    rows = [[name, r, f"{v['ms_per_arch']:.2f}", f"{v['bytes_per_arch'] / 1e6:.3f}",
             f"{s['eval']['representations']['images']}"]
            for name, s in spaces.items() for r, v in s["eval"].get("representations", {}).items() if isinstance(v, dict)]
    out += ["", "Density representations (thesis Table 5.2), per architecture over consecutive architectures"]
    out += _table(["space", "representation", "ms / arch", "MB / arch (float32)", "images"], rows)
    out += ["", "Sampler + tree overhead per step (sample + update, median us; % of the measured supernet step; "
                f"% of a {H100_TARGET_STEP_US / 1e3:.2f} ms H100-target step)"]
    rows = []
    for name, s in spaces.items():
        for sname, v in s["samplers"].items():
            if "total_us" not in v:
                rows.append([name, sname, "-", "-", "-", "-", "-", v.get("skipped", "")])
                continue
            rows.append([name, sname, f"{v['sample_us']:.1f}", f"{v['update_us']:.1f}", f"{v['total_us']:.1f}",
                         f"{v['pct_of_step']:.3f}", f"{v['pct_of_h100_target_step']:.2f}",
                         f"N={v['population']}" + (f", depth {v['tree_depth']}" if "tree_depth" in v else "")
                         + (f", rebuild {v['rebuild_ms']:.1f} ms/iteration" if "rebuild_ms" in v else "")])
    out += _table(["space", "sampler", "sample us", "update us", "total us", "% step", "% 10ms", "population"], rows)
    out += ["", f"Learned tree build (KL + average linkage) on random outputs, B={TREE_IMAGES} x {TREE_CLASSES} classes, "
                "fresh process each"]
    rows = []
    for n, t in result.get("trees", {}).items():
        if "seconds" not in t:
            rows.append([n, "failed", "", "", "", "", " ".join(t.get("error", []))])
            continue
        rows.append([n, f"{t['seconds']:.2f}", f"{t['distances_s']:.2f}", f"{t['clustering_s']:.2f}",
                     f"{t['peak_rss_gib']:.2f}", t["runs"], t["tree_depth"]])
    out += _table(["N", "total s", "distances s", "clustering s", "peak RSS GiB", "runs", "depth"], rows)
    if result.get("packed_ground_truth"):
        pk = result["packed_ground_truth"]
        out += ["", f"Ground-truth training, {pk['networks']} Pooling networks x {pk['steps_each']} steps (batch "
                    f"{pk['batch']}, width {pk['width']}): one after another {pk['alone_images_per_s']:.0f} img/s, "
                    f"as one pack (training.packed) {pk['packed_images_per_s']:.0f} img/s: {pk['speedup']:.2f}x"]
    if result.get("projections"):
        out += ["", "Projected wall time of the paper presets (from the measured per-image costs above)"]
        rows = [[k, _fmt_s(p["warmup_s"]), _fmt_s(p["search_total_s"]), _fmt_s(p["total_s"]),
                 f"batch {p['measured_at']['batch']}, width {p['measured_at']['width']}"]
                for k, p in result["projections"].items()]
        out += _table(["search", "warm-up", "search", "total", "measured at"], rows)
        for k, p in result["projections"].items():
            out.append(f"  {k}: {p['description']}")
    mixed = {name: s["train"]["mixed_op"] for name, s in [*spaces.items(), ("darts", result.get("darts") or {"train": {}})]
             if s["train"].get("mixed_op")}
    if mixed:
        out += ["", "Mixed-op (DARTS-style relaxation: every operation of every edge) steps; ratio to the single-path "
                    "supernet step above"]
        ratio = lambda v, key: f"{v[key]:.2f}" if key in v else "-"  # the DARTS space has no single path here
        rows = [[name, v["batch"], v["width"], f"{v['weight_step_ms']:.1f}", ratio(v, "weight_step_ratio"),
                 f"{v['bilevel_step_ms']:.1f}", ratio(v, "bilevel_step_ratio"), f"{v['forward_ms']:.1f}"]
                for name, v in mixed.items()]
        out += _table(["space", "batch", "width", "weight step ms", "ratio", "bi-level step ms", "ratio", "forward ms"], rows)
    if result.get("darts", {}).get("evaluation"):
        ev = result["darts"]["evaluation"]
        out.append(f"  DARTS evaluation network {ev['network']}: {ev['step_ms']:.1f} ms per step at batch {ev['batch']} "
                   f"({ev['images_per_s']:.0f} img/s)")
    if result.get("hepnas_projections"):
        out += ["", "Projected wall time of HEP-NAS's paper runs (schedule of training.hepnas priced by the measured "
                    "per-image costs; at a reduced width a lower bound)"]
        rows = [[k, _fmt_s(p["total_s"]), f"batch {p['measured_at']['batch']}, width {p['measured_at']['width']}"]
                for k, p in result["hepnas_projections"].items()]
        out += _table(["run", "total", "measured at"], rows)
        for k, p in result["hepnas_projections"].items():
            out.append(f"  {k}: {p['description']}")
    out += ["", "Targets: " + ", ".join(f"{k} {'ok' if v else ('n/a' if v is None else 'MISSED')}"
                                        for k, v in result["checks"].items())]
    out.append(f"(bench took {_fmt_s(m.get('bench_seconds', 0.0))})")
    return "\n".join(out)


__all__ = ["run_bench", "format_bench", "default_settings", "Settings", "TARGETS", "PROJECTIONS"]
