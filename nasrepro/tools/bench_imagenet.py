"""``nasrepro bench --imagenet``: what one search and one retraining of paper Table 4 cost, in GPU-days.

Measures, on the given device and at paper scale (MobileNet space of thesis App. II, width 1, 224 px,
1,000 classes, the preset's bf16 autocast and channels_last):

- the supernet train step, a random member of the FLOPs-budget population per step (as the search draws);
- the validation-batch reward forward of the search (every search step computes one);
- the train step of fixed networks drawn from the same population (the retraining);
- JPEG decoding + RandomResizedCrop of ``ImageFolderLoader`` on generated 500x375 JPEGs (the ImageNet
  average size), per worker process and with every core, since at ImageNet scale decoding can bound
  the GPU.

The projection multiplies the per-image costs by the paper preset's epochs (``protocol()``); it counts
GPU compute only, so it holds when decoding keeps up (compare ``decode_images_per_s`` with the train
rate). Synthetic images sit on the device, so the train figures exclude the host-to-device copy.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

PROTOCOL_SETTING = "mobilenet-imagenet-280"  # both budgets share it (the 330 setting merges the 280 one)


def protocol(method: str = "mcts-learned") -> dict:
    """Epochs and images of the paper preset's ImageNet setting (``tools.protocol``)."""
    from nasrepro.tools.protocol import paper_protocol

    return paper_protocol(PROTOCOL_SETTING, method).as_dict()


def _time_steps(step: Callable[[int], None], device: torch.device, steps: int, repeats: int) -> float:
    """Median seconds per step over ``repeats`` runs of ``steps`` steps, after one warm-up run."""
    from nasrepro.tools.bench import median, sync_device

    runs = []
    for r in range(repeats + 1):
        sync_device(device)
        t0 = time.perf_counter()
        for i in range(steps):
            step(r * steps + i)
        sync_device(device)
        if r:
            runs.append((time.perf_counter() - t0) / steps)
    return median(runs)


def _jpeg_folder(root: Path, images: int) -> None:
    """``images`` generated 500x375 JPEGs in 4 class folders (256 distinct, the rest hard links)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    distinct = min(images, 256)  # encoding is slow; decoding cost does not care about repeats
    for i in range(images):
        d = root / f"c{i % 4}"
        d.mkdir(exist_ok=True)
        if i < distinct:
            # smooth noise compresses like a photograph (~100 KB at quality 90), unlike white noise
            small = rng.integers(0, 256, (47, 63, 3), dtype=np.uint8)
            Image.fromarray(small).resize((500, 375), Image.BILINEAR).save(d / f"{i}.jpg", quality=90)
        else:
            os.link(root / f"c{i % distinct % 4}" / f"{i % distinct}.jpg", d / f"{i}.jpg")


def _steady_rate(loader) -> float:
    """Images/s from the first batch on: worker processes start once per epoch (seconds, against the ~20 min
    of an ImageNet epoch), so the steady rate is the one that bounds training."""
    seen, t0 = 0, None
    for x, _ in loader.iterate(0):
        if t0 is None:
            t0 = time.perf_counter()
            continue
        seen += int(x.shape[0])
    return seen / (time.perf_counter() - t0) if seen else float("nan")


def _decode_rates(resolution: int, images: int, cores: int, device: torch.device) -> dict:
    """Train-transform images/s of ``ImageFolderLoader`` (1 and ``cores`` workers) and of the DALI loader
    (GPU decode on CUDA, its CPU backend otherwise) over the same generated JPEGs."""
    from torchvision import datasets

    from nasrepro.data.imagefolder import ImageFolderLoader

    with tempfile.TemporaryDirectory(prefix="nasrepro-decode-") as tmp:
        _jpeg_folder(Path(tmp), images)
        out = {}
        for workers in sorted({1, cores}):
            loader = ImageFolderLoader(tmp, batch_size=max(1, images // (4 * workers)), augment=True,
                                       resolution=resolution, workers=workers)
            out[workers] = _steady_rate(loader)
        try:
            from nasrepro.data.dali_loader import DaliFolderLoader

            dali = DaliFolderLoader(datasets.ImageFolder(tmp), None, max(1, images // 16), device, augment=True,
                                    resolution=resolution, threads=cores)
            out["dali"], out["dali_backend"] = _steady_rate(dali), dali.backend
        except Exception as exc:  # noqa: BLE001 - reported, not fatal: DALI is an optional extra
            out["dali"], out["dali_backend"] = None, f"unavailable: {exc}"
    return out


def run_imagenet_bench(device: str = "auto", budgets: tuple[float, ...] = (280.0, 330.0), batch: int = 256,
                       resolution: int = 224, width: float = 1.0, steps: int = 20, repeats: int = 3,
                       pool: int = 8, decode_images: int = 16384, log: Callable[[str], None] | None = None) -> dict:
    """Measured step costs and projected GPU-days per FLOPs budget (see the module docstring)."""
    from nasrepro.tools.bench import median, timing_trainer
    from nasrepro.spaces import get_space
    from nasrepro.spaces.budget import budget_population, estimate_macs, mac_table
    from nasrepro.runtime import make_runtime

    log = log or (lambda m: None)
    runtime = make_runtime(device, deterministic=False)
    dev = runtime.device
    space = get_space("mobilenet-imagenet")
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 3, resolution, resolution, generator=g).to(dev)
    if runtime.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 1000, (batch,), generator=g).to(dev)

    result: dict[str, Any] = {
        "meta": {"device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
                 "amp_dtype": str(runtime.amp_dtype), "channels_last": runtime.channels_last, "batch": batch,
                 "resolution": resolution, "width": width, "torch": torch.__version__},
        "protocol": (p := protocol()), "budgets": {},
    }
    for budget in budgets:
        archs = [tuple(int(v) for v in row) for row in budget_population(space, budget * 1e6, n=pool, seed=0)]
        torch.manual_seed(0)
        # the loop of nasrepro bench (and of SupernetTrainer): forward + loss under autocast, SGD, cosine step
        sup = timing_trainer(space.build_supernet(1000, width), archs, runtime, batch)
        sup_s = _time_steps(lambda i: sup.train_step(x, y, [i % len(archs)]), dev, steps, repeats)
        reward_s = _time_steps(lambda i: sup.reward_step(archs[i % len(archs)], (x, y)), dev, steps, repeats)
        fixed = []
        for a in archs[: min(3, len(archs))]:
            net = timing_trainer(space.build_network(a, 1000, width).net, [a], runtime, batch)
            fixed.append(_time_steps(lambda i, n=net: n.train_step(x, y, [0]), dev, steps, repeats))
            del net
        fixed_s = median(fixed)
        mem = int(torch.cuda.max_memory_allocated(dev)) if dev.type == "cuda" else None
        search_s = (p["warmup_epochs"] * p["search_images"] * sup_s / batch
                    + p["search_epochs"] * p["search_images"] * (sup_s + reward_s) / batch)
        retrain_s = p["retrain_epochs"] * p["retrain_images"] * fixed_s / batch
        macs_m = estimate_macs(mac_table(space), archs) / 1e6
        result["budgets"][f"{budget:g}"] = row = {
            "population_macs_m": [float(macs_m.min()), float(macs_m.max())],
            "supernet_step_ms": sup_s * 1e3, "supernet_images_per_s": batch / sup_s,
            "reward_forward_ms": reward_s * 1e3,
            "fixed_step_ms": fixed_s * 1e3, "fixed_images_per_s": batch / fixed_s,
            "cuda_max_allocated_gib": mem / 2**30 if mem is not None else None,
            "search_gpu_days": search_s / 86400, "retrain_gpu_days": retrain_s / 86400,
            "total_gpu_days": (search_s + retrain_s) / 86400,
        }
        log(f"{budget:g} M: supernet {row['supernet_images_per_s']:.0f} img/s, fixed {row['fixed_images_per_s']:.0f}"
            f" img/s; search {row['search_gpu_days']:.2f} + retrain {row['retrain_gpu_days']:.2f} GPU-days")
        del sup
        if dev.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(dev)
    if decode_images:
        cores = os.cpu_count() or 1
        rates = _decode_rates(resolution, decode_images, cores, dev)
        one, every = rates[1], rates[cores]
        result["decode"] = {"images": decode_images, "one_worker_images_per_s": one,
                            "workers": cores, "decode_images_per_s": every,
                            "dali_images_per_s": rates["dali"], "dali_backend": rates["dali_backend"]}
        log(f"decode: {one:.0f} img/s with 1 worker, {every:.0f} img/s with {cores}; DALI ({rates['dali_backend']}) "
            + (f"{rates['dali']:.0f} img/s" if rates["dali"] else "not measured"))
    return result


__all__ = ["protocol", "run_imagenet_bench"]
