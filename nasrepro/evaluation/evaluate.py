"""Evaluate many architectures of a supernet on held-out data."""

from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from nasrepro.evaluation.prefix import prefix_outputs, supports_prefix
from nasrepro.spaces.base import Arch
from nasrepro.runtime import Runtime, batch_statistics


# Architectures per forward pass by default. Stacking (``forward_many``) was measured slower than one
# architecture at a time on both devices it ran on: 0.56x on the 2-core CPU, 0.41x on an H100 at
# validation batch 1024 (``nasrepro bench``, ``stacked_ratio``), where one architecture already fills the GPU.
DEFAULT_STACK = 1


def _stack_size(model: nn.Module, stack: int | None) -> int:
    """Architectures per forward pass: 1 without ``forward_many``, else ``stack`` (default ``DEFAULT_STACK``)."""
    if not hasattr(model, "forward_many"):
        return 1
    return DEFAULT_STACK if stack is None else max(1, int(stack))


def _batches(images: torch.Tensor, labels: torch.Tensor, batch_size: int):
    for start in range(0, images.shape[0], batch_size):
        yield images[start : start + batch_size], labels[start : start + batch_size]


def progress_logger(log: Callable[[str], None], what: str, every_s: float = 10.0) -> Callable[[int, int], None]:
    """A ``progress`` callback that logs "<what>: i/n architectures" at most every ``every_s`` seconds
    and at the end, so a ranking of thousands of architectures shows it is alive."""
    state = {"t": time.perf_counter()}

    def report(i: int, n: int) -> None:
        if i == n or time.perf_counter() - state["t"] > every_s:
            state["t"] = time.perf_counter()
            log(f"{what}: {i}/{n} architectures")

    return report


@torch.no_grad()
def evaluate_architectures(
    model: nn.Module,
    archs: Sequence[Arch],
    images: torch.Tensor,
    labels: torch.Tensor,
    runtime: Runtime,
    batch_size: int = 512,
    progress: Callable[[int, int], None] | None = None,
    use_batch_stats: bool = True,
    stack: int | None = None,
) -> np.ndarray:
    """Top-1 accuracy (%) of every architecture on (already normalised, on-device) ``images``.

    Supernet paths are scored with batch statistics (see ``batch_statistics``); a stand-alone
    network is scored in eval mode (``use_batch_stats=False``). A supernet with ``forward_many``
    (NAS-Bench-201) runs ``stack`` architectures per forward pass; the default stacks on CUDA only,
    because on CPU it measured slower (``nasrepro bench``: 0.6-0.9x) while small GPU kernels gain.
    """
    if labels.dim() == 3:  # semantic segmentation: mIoU (%) per architecture (thesis §4.4)
        return _segmentation_scores(model, archs, images, labels, runtime, batch_size, progress, use_batch_stats)
    model.eval()
    correct = torch.zeros(len(archs), device=runtime.device)
    ctx = batch_statistics(model) if use_batch_stats else torch.no_grad()
    stack = _stack_size(model, stack) if use_batch_stats else 1
    with ctx, runtime.autocast():
        if stack > 1 and len(archs) > 1:
            for start in range(0, len(archs), stack):
                group = list(archs[start : start + stack])
                for x, y in _batches(images, labels, batch_size):
                    correct[start : start + len(group)] += (model.forward_many(x, group).argmax(-1) == y).sum(1)
                if progress is not None:
                    progress(start + len(group), len(archs))
        elif supports_prefix(model) and len(archs) > 1:
            batches = list(_batches(images, labels, batch_size))
            for b, (x, y) in enumerate(batches):
                report = progress if b == len(batches) - 1 else None
                for i, logits in prefix_outputs(model, archs, x, report):
                    correct[i] += (logits.argmax(1) == y).sum()
        else:
            for i, arch in enumerate(archs):
                for x, y in _batches(images, labels, batch_size):
                    correct[i] += (model(x, arch).argmax(1) == y).sum()
                if progress is not None:
                    progress(i + 1, len(archs))
    return (correct.double() * 100.0 / images.shape[0]).cpu().numpy()


def _segmentation_scores(model, archs, images, labels, runtime, batch_size, progress, use_batch_stats) -> np.ndarray:
    """mIoU (%) of each architecture over every image: one confusion matrix per architecture, accumulated over
    the batches (not a mean of batch mIoUs)."""
    from nasrepro.training.task import miou_fraction
    from nasrepro.evaluation.segmentation import confusion_matrix

    model.eval()
    out = torch.zeros(len(archs), device=runtime.device)
    ctx = batch_statistics(model) if use_batch_stats else torch.no_grad()
    with ctx, runtime.autocast():
        for i, arch in enumerate(archs):
            confusion = None
            for x, y in _batches(images, labels, batch_size):
                logits = model(x, arch)
                c = confusion_matrix(logits, y, logits.shape[1])
                confusion = c if confusion is None else confusion + c
            out[i] = miou_fraction(confusion)
            if progress is not None:
                progress(i + 1, len(archs))
    return (out.double() * 100.0).cpu().numpy()


@torch.no_grad()
def topk_hits(model: nn.Module, arch: Arch, images: torch.Tensor, labels: torch.Tensor, runtime: Runtime,
              batch_size: int = 512, ks: Sequence[int] = (1, 5)) -> dict[int, float]:
    """Correct predictions among the top k logits, per k, of one stand-alone network in eval mode (counts, so
    streamed batches add up). Top-1 is the argmax, exactly as ``evaluate_architectures`` counts it; k larger
    than the number of classes counts every image."""
    model.eval()
    hits = {k: torch.zeros((), device=runtime.device) for k in ks}
    with runtime.autocast():
        for x, y in _batches(images, labels, batch_size):
            logits = model(x, arch)
            for k in ks:
                if k == 1:
                    hits[k] += (logits.argmax(1) == y).sum()
                else:
                    top = logits.topk(min(k, logits.shape[1]), dim=1).indices
                    hits[k] += (top == y[:, None]).any(1).sum()
    return {k: float(v) for k, v in hits.items()}


@torch.no_grad()
def collect_outputs(
    model: nn.Module, archs: Sequence[Arch], images: torch.Tensor, runtime: Runtime,
    progress: Callable[[int, int], None] | None = None, stack: int | None = None,
) -> np.ndarray:
    """Logits [N, B, C] (float32) of every architecture on one validation batch (paper §4);
    ``stack`` as in ``evaluate_architectures``."""
    model.eval()
    stack = _stack_size(model, stack)
    with batch_statistics(model), runtime.autocast():
        if stack > 1:
            outs = []
            for start in range(0, len(archs), stack):
                outs.extend(model.forward_many(images, list(archs[start : start + stack])).float().unbind(0))
                if progress is not None:
                    progress(min(start + stack, len(archs)), len(archs))
        elif supports_prefix(model):
            outs: list[torch.Tensor | None] = [None] * len(archs)
            for i, logits in prefix_outputs(model, archs, images, progress):
                outs[i] = logits.float()
        else:
            outs = []
            for i, arch in enumerate(archs):
                outs.append(model(images, arch).float())
                if progress is not None:
                    progress(i + 1, len(archs))
    return torch.stack(outs).cpu().numpy()
