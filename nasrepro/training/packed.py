"""Train several small networks at once on one device (ground truth: the 36 Pooling networks, NAS-Bench-Macro
keys, NAS-Bench-201 cells).

One small network leaves most of a GPU idle: its kernels are too small to fill the device and the
Python step loop is the bottleneck. ``run_concurrently`` interleaves the step loops of independent
``SupernetTrainer``s step by step, each on its own CUDA stream, so the kernels of one network run while
the host prepares the next network's step. Every trainer keeps its own model, optimiser, data order
(a pure function of its seed) and checkpoint, so the result of each network is exactly what it would
be trained alone (tested bit for bit on CPU) and a killed pack resumes every member from its own
checkpoint. On CPU the interleaving only saves process start-up and data loading per network.
"""

from __future__ import annotations

import contextlib
from typing import Sequence

import torch

from nasrepro.training.supernet import SupernetTrainer, TrainResult


def run_concurrently(trainers: Sequence[SupernetTrainer]) -> list[TrainResult]:
    """Run every trainer to its end, one step of each in turn; returns their results in order."""
    if not trainers:
        return []
    device = trainers[0].runtime.device
    if any(t.runtime.device != device for t in trainers):
        raise ValueError("concurrent trainers must share one device")
    cuda = device.type == "cuda"
    if cuda:
        torch.cuda.synchronize(device)  # models and data were made on the default stream
        streams = [torch.cuda.Stream(device) for _ in trainers]
    loops = [t.steps() for t in trainers]
    live = list(range(len(trainers)))
    while live:
        for k in list(live):
            ctx = torch.cuda.stream(streams[k]) if cuda else contextlib.nullcontext()
            with ctx:
                try:
                    next(loops[k])
                except StopIteration:
                    live.remove(k)
    if cuda:
        torch.cuda.synchronize(device)
    return [t.result() for t in trainers]


__all__ = ["run_concurrently"]
