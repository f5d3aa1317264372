"""``nasrepro check-device``: do the harness's exactness guarantees hold on this device?

The test suite proves them on CPU in float32. A cluster's GPUs run bf16 autocast, channels_last, cuDNN and
CUDA streams, where a guarantee can silently break (a non-deterministic kernel, a stream race). Each check
runs the real code path on the chosen device with the preset's runtime (``make_runtime``) and reports the
largest deviation it saw:

- ``same_seed``: two supernet trainings with one seed give bit-identical weights and visit counts;
- ``resume``: a training killed after epoch 1 and resumed from its checkpoint equals the unbroken one;
- ``packed``: networks trained as one pack (``run_concurrently``, one CUDA stream each) equal each trained alone;
- ``stacked``: NAS-Bench-201 ``forward_many`` against one architecture at a time, and how many of the
  evaluated accuracies differ;
- ``prefix``: shared-prefix evaluation (Pooling, NAS-Bench-Macro) against one forward per architecture;
- ``graphs`` (CUDA only): the CUDA-graph step (``runtime.cuda_graphs``): two same-seed runs and a resumed run
  are bit-identical, and replayed graphs equal the same steps run eagerly (``EagerCapturer``); the distance
  to the plain eager trainer (torch's SGD, whose update rounds differently) is reported, not required.

The first three must be exact. ``stacked`` and ``prefix`` reorder float arithmetic: each fast path's relative
L2 error against a float32 reference (no autocast) must stay within twice the plain path's own error plus
1e-4. In float32 both errors are ~1e-6; under bf16 autocast the plain path itself is several % off a
randomly initialised net, and the fast path must not be worse than that. The tiny models keep the run short.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

FLOAT32_REL_TOL = 1e-4


def _within(fast_err: float, plain_err: float) -> bool:
    """A reordered fast path is as accurate as the plain one (see the module docstring)."""
    return fast_err <= 2.0 * plain_err + FLOAT32_REL_TOL


def _weights(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().float().flatten() for p in model.parameters()])


def _max_abs(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max())


def _rel_l2(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.float() - b.float()).norm() / b.float().norm().clamp_min(1e-12))


def _trainer(device: str, seed: int = 0, ckpt: Path | None = None, epochs: int = 3, uniform_only: bool = False,
             **graph_options):
    from nasrepro.testing import MCTS_PHASES, tiny_trainer
    from nasrepro.training.supernet import Phase

    return tiny_trainer("pooling", "mcts", [Phase("uniform", 1.0)] if uniform_only else MCTS_PHASES, device=device,
                        seed=seed, checkpoint=ckpt, epochs=epochs, width=0.25, train_images=128, val_images=64,
                        batch=32, **graph_options)


def check_same_seed(device: str) -> dict:
    a, b = _trainer(device), _trainer(device)
    ra, rb = a.run(), b.run()
    diff = _max_abs(_weights(a.model), _weights(b.model))
    return {"max_abs_weight_diff": diff, "visits_equal": bool(np.array_equal(ra.visits, rb.visits)),
            "ok": diff == 0.0 and bool(np.array_equal(ra.visits, rb.visits))}


def check_resume(device: str) -> dict:
    full = _trainer(device)
    ref = full.run()
    with tempfile.TemporaryDirectory(prefix="nasrepro-check-") as tmp:
        ckpt = Path(tmp) / "ck.pt"
        _trainer(device, ckpt=ckpt).run(stop_after_epoch=1)
        again = _trainer(device, ckpt=ckpt)
        resumed = again.resume_if_possible()
        res = again.run()
    diff = _max_abs(_weights(full.model), _weights(again.model))
    visits = bool(np.array_equal(ref.visits, res.visits))
    return {"resumed": resumed, "max_abs_weight_diff": diff, "visits_equal": visits,
            "ok": resumed and diff == 0.0 and visits}


def check_packed(device: str, members: int = 4) -> dict:
    from nasrepro.training.packed import run_concurrently

    alone = [_trainer(device, seed=s, epochs=2, uniform_only=True) for s in range(members)]
    for t in alone:
        t.run()
    packed = [_trainer(device, seed=s, epochs=2, uniform_only=True) for s in range(members)]
    run_concurrently(packed)
    diff = max(_max_abs(_weights(a.model), _weights(p.model)) for a, p in zip(alone, packed))
    return {"members": members, "max_abs_weight_diff": diff, "ok": diff == 0.0}


def check_stacked(device: str, archs: int = 64, width: float = 0.5, images: int = 64) -> dict:
    from nasrepro.evaluation.evaluate import evaluate_architectures
    from nasrepro.spaces import get_space
    from nasrepro.runtime import batch_statistics, make_runtime

    runtime = make_runtime(device, deterministic=True)
    space = get_space("nb201")
    torch.manual_seed(1)
    net = runtime.prepare(space.build_supernet(10, width))
    everything = space.enumerate()
    pick = [everything[i] for i in np.random.default_rng(0).choice(len(everything), archs, replace=False)]
    x = torch.randn(images, 3, 32, 32, device=runtime.device)
    y = torch.randint(0, 10, (images,), device=runtime.device)
    if runtime.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), batch_statistics(net):
        ref = torch.stack([net(x, a).float() for a in pick])
        with runtime.autocast():
            one = torch.stack([net(x, a) for a in pick])
            many = net.forward_many(x, pick)
    plain_err, fast_err = _rel_l2(one, ref), _rel_l2(many, ref)
    acc_one = evaluate_architectures(net, pick, x, y, runtime, batch_size=images, stack=1)
    acc_many = evaluate_architectures(net, pick, x, y, runtime, batch_size=images, stack=16)
    return {"archs": archs, "plain_rel_l2": plain_err, "stacked_rel_l2": fast_err,
            "stacked_vs_plain_rel_l2": _rel_l2(many, one), "accuracies_differing": int((acc_one != acc_many).sum()),
            "max_accuracy_diff_pct": float(np.abs(acc_one - acc_many).max()), "ok": _within(fast_err, plain_err)}


def check_prefix(device: str) -> dict:
    from nasrepro.evaluation.evaluate import collect_outputs
    from nasrepro.spaces import get_space
    from nasrepro.runtime import batch_statistics, make_runtime

    runtime = make_runtime(device, deterministic=True)
    out: dict[str, Any] = {}
    ok = True
    for name, width, count in (("pooling", 0.25, 36), ("nb-macro", 0.125, 64)):
        torch.manual_seed(0)
        space = get_space(name)
        net = runtime.prepare(space.build_supernet(width=width))
        archs = space.enumerate()
        sub = [archs[i] for i in np.random.default_rng(0).choice(len(archs), min(count, len(archs)), replace=False)]
        x = torch.randn(16, 3, 32, 32, device=runtime.device)
        if runtime.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        fast = torch.as_tensor(collect_outputs(net, sub, x, runtime))
        net.eval()
        with torch.no_grad(), batch_statistics(net):
            ref = torch.stack([net(x, a).float() for a in sub]).cpu()
            with runtime.autocast():
                slow = torch.stack([net(x, a).float() for a in sub]).cpu()
        plain_err, fast_err = _rel_l2(slow, ref), _rel_l2(fast, ref)
        out[f"{name}_plain_rel_l2"], out[f"{name}_prefix_rel_l2"] = plain_err, fast_err
        ok = ok and _within(fast_err, plain_err)
    out["ok"] = ok
    return out


def check_graphs(device: str) -> dict:
    """CUDA graphs: same seed, resume and replay-vs-eager, all exact (see the module docstring)."""
    if not str(device).startswith("cuda"):
        return {"skipped": "CUDA graphs need a CUDA device", "ok": True}
    from nasrepro.training.graphs import EagerCapturer

    a, b = _trainer(device, cuda_graphs=True), _trainer(device, cuda_graphs=True)
    ra, rb = a.run(), b.run()
    same = _max_abs(_weights(a.model), _weights(b.model))
    with tempfile.TemporaryDirectory(prefix="nasrepro-check-") as tmp:
        ckpt = Path(tmp) / "ck.pt"
        _trainer(device, ckpt=ckpt, cuda_graphs=True).run(stop_after_epoch=1)
        again = _trainer(device, ckpt=ckpt, cuda_graphs=True)
        resumed = again.resume_if_possible()
        rr = again.run()
    resume = _max_abs(_weights(a.model), _weights(again.model))
    eager_path = _trainer(device, graph_capturer=EagerCapturer())
    eager_path.run()
    replay_vs_eager = _max_abs(_weights(a.model), _weights(eager_path.model))
    plain = _trainer(device)
    plain.run()
    stats = a.graphs.stats
    visits = bool(np.array_equal(ra.visits, rb.visits) and np.array_equal(ra.visits, rr.visits))
    return {"captures": stats["captures"], "replays": stats["replays"], "eager_steps": stats["eager"],
            "same_seed_max_abs": same, "resumed": resumed, "resume_max_abs": resume,
            "replay_vs_eager_max_abs": replay_vs_eager, "visits_equal": visits,
            "vs_torch_sgd_rel_l2": _rel_l2(_weights(a.model), _weights(plain.model)),
            "ok": stats["replays"] > 0 and same == 0.0 and resumed and resume == 0.0 and replay_vs_eager == 0.0
            and visits}


# Sizes of a quick run (tests, CPU smoke checks): same code paths, smaller models and batches.
QUICK: dict[str, dict] = {"packed": {"members": 2}, "stacked": {"archs": 8, "width": 0.25, "images": 16}}

CHECKS: dict[str, Callable[..., dict]] = {
    "same_seed": check_same_seed,
    "resume": check_resume,
    "packed": check_packed,
    "stacked": check_stacked,
    "prefix": check_prefix,
    "graphs": check_graphs,
}


def run_checks(device: str = "auto", only: list[str] | None = None, quick: bool = False,
               log: Callable[[str], None] | None = None) -> dict:
    """Run the named checks (default: all) on ``device``, at the ``QUICK`` sizes if ``quick``; returns
    ``{"device": ..., "checks": {name: result}, "ok": all passed}``."""
    from nasrepro.runtime import make_runtime

    runtime = make_runtime(device, deterministic=True)
    name = torch.cuda.get_device_name(runtime.device) if runtime.device.type == "cuda" else "cpu"
    unknown = sorted(set(only or []) - set(CHECKS))
    if unknown:
        raise ValueError(f"unknown check(s) {unknown}; choose from {sorted(CHECKS)}")
    results = {}
    for key in only or list(CHECKS):
        results[key] = CHECKS[key](str(runtime.device), **(QUICK.get(key, {}) if quick else {}))
        if log:
            log(f"{key}: {'ok' if results[key]['ok'] else 'FAILED'} {results[key]}")
    return {"device": name, "amp_dtype": str(runtime.amp_dtype), "channels_last": runtime.channels_last,
            "checks": results, "ok": all(r["ok"] for r in results.values())}


__all__ = ["CHECKS", "QUICK", "run_checks"]
