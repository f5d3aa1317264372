"""CUDA-graph capture of the single-path train step and the reward forward (issue 21).

On an H100 the supernet step is bound by the host: a Pooling step launches about 320 kernels and takes
11-16 ms whatever the batch. Replaying a captured graph launches them with one call. Three pieces:

- ``CapturableSGD``: torch's SGD update (momentum, dampening 0, weight decay, Nesterov) written with
  foreach ops and a learning rate that lives on the device, so the update can sit inside the graph while
  the cosine schedule moves. Momentum buffers are created as zeros up front: a path's parameters first
  trained after capture then have the buffer the graph reads (this is what made torch's fused SGD raise on
  NB201), and a zero buffer gives exactly the first step of torch's lazy one (``0 * m + g == g``).
- ``GraphCache``: the captured steps, keyed by ``StepKey`` (kind, paths, input shape and dtype), captured on
  the second time a key is seen (a space too large to repeat paths, such as NB201's 15,625 cells under
  uniform sampling, then stays eager instead of paying a capture per step), least recently used evicted at
  ``capacity``, all dropped by ``invalidate`` whenever the weights are replaced (resume, load_state_dict).
- a capturer: ``CudaCapturer`` records the step with ``torch.cuda.graph``; tests pass a fake one that
  records keys and runs the step eagerly.

The eager path and the replay run the same kernels with the same update, so a run whose steps are partly
captured and partly eager (the cache is empty after a resume) is bit-identical to an uninterrupted run
(``nasrepro check-device`` checks it on CUDA). Steps over several paths (strict fairness) stay eager.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Hashable, Protocol

import torch
from torch import nn


class CapturableSGD:
    """The update of ``torch.optim.SGD`` (dampening 0) on its param groups, with the learning rate read
    from a device tensor and the momentum buffers kept in the optimiser's own state, so checkpoints keep
    torch's format. ``step`` skips parameters without a gradient, as torch's SGD does."""

    def __init__(self, opt: torch.optim.SGD):
        if len(opt.param_groups) != 1:
            raise ValueError("CapturableSGD keeps one learning rate on the device: give it one param group")
        for group in opt.param_groups:
            if group.get("dampening", 0) != 0:
                raise ValueError("CapturableSGD implements dampening 0 only (the harness's SGD)")
            if group.get("maximize", False):
                raise ValueError("CapturableSGD does not maximise")
        self.opt = opt
        device = opt.param_groups[0]["params"][0].device
        self.lr = torch.zeros((), dtype=torch.float32, device=device)
        self.ensure_buffers()

    def ensure_buffers(self) -> None:
        """A zero momentum buffer for every parameter that has none yet (after a load_state_dict too)."""
        for group in self.opt.param_groups:
            if group["momentum"] == 0:
                continue
            for p in group["params"]:
                state = self.opt.state[p]
                if state.get("momentum_buffer") is None:
                    state["momentum_buffer"] = torch.zeros_like(p, memory_format=torch.preserve_format)

    def set_lr(self, lr: float) -> None:
        """Copy the schedule's learning rate to the device (an asynchronous fill, no host sync)."""
        self.lr.fill_(lr)

    @torch.no_grad()
    def step(self) -> None:
        for group in self.opt.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            wd, momentum = group["weight_decay"], group["momentum"]
            if wd != 0:
                grads = torch._foreach_add(grads, params, alpha=wd)
            if momentum != 0:
                bufs = [self.opt.state[p]["momentum_buffer"] for p in params]
                torch._foreach_mul_(bufs, momentum)
                torch._foreach_add_(bufs, grads)
                update = torch._foreach_add(grads, bufs, alpha=momentum) if group["nesterov"] else bufs
            else:
                update = grads
            torch._foreach_sub_(params, torch._foreach_mul(update, self.lr))
        self.opt._opt_called = True  # what torch's LR scheduler checks to know the optimiser stepped first


@dataclass(frozen=True)
class StepKey:
    kind: str  # "train" or "reward"
    paths: tuple[Hashable, ...]  # the architectures the step runs (one: only single-path steps are captured)
    shape: tuple[int, ...]  # images
    dtype: str


StepFn = Callable[..., tuple[torch.Tensor, ...]]  # fn(warmup=False): one step on the static inputs


class Capturer(Protocol):
    def __call__(self, key: StepKey, fn: StepFn) -> Callable[[], tuple[torch.Tensor, ...]]:
        """Record ``fn`` (which reads the static inputs; ``fn(warmup=True)`` skips the weight update) and
        return what replays it."""


class GraphCache:
    """Captured steps by ``StepKey``: captured on the ``capture_after``-th sighting of a key, LRU-evicted at
    ``capacity``; ``run`` replays a captured step or returns None (the caller then runs it eagerly)."""

    def __init__(self, capturer: Capturer, capacity: int = 64, capture_after: int = 2):
        if capacity < 1 or capture_after < 1:
            raise ValueError("capacity and capture_after must be >= 1")
        self.capturer, self.capacity, self.capture_after = capturer, capacity, capture_after
        self.graphs: OrderedDict[StepKey, Callable[[], tuple[torch.Tensor, ...]]] = OrderedDict()  # LRU order
        self.seen: dict[StepKey, int] = {}
        self.stats = {"replays": 0, "captures": 0, "evictions": 0, "eager": 0, "invalidations": 0}

    def run(self, key: StepKey, fn: StepFn) -> tuple[torch.Tensor, ...] | None:
        replay = self.graphs.get(key)
        if replay is None:
            self.seen[key] = self.seen.get(key, 0) + 1
            if self.seen[key] < self.capture_after:
                self.stats["eager"] += 1
                return None
            if len(self.graphs) >= self.capacity:
                self.graphs.popitem(last=False)
                self.stats["evictions"] += 1
            replay = self.graphs[key] = self.capturer(key, fn)
            self.stats["captures"] += 1
        else:
            self.graphs.move_to_end(key)
        self.stats["replays"] += 1
        return replay()

    def invalidate(self) -> None:
        """Drop every graph (they hold the addresses of the tensors they were captured with)."""
        if self.graphs:
            self.stats["invalidations"] += 1
        self.graphs.clear()
        self.seen.clear()


class StaticInputs:
    """One device buffer per input shape that every graph of that shape reads; ``load`` copies a batch in."""

    def __init__(self):
        self.buffers: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    def load(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        key = (tuple(images.shape), images.dtype, tuple(labels.shape), images.is_contiguous(memory_format=torch.channels_last))
        if key not in self.buffers:
            fmt = torch.channels_last if key[3] and images.dim() == 4 else torch.contiguous_format
            self.buffers[key] = (torch.empty_like(images, memory_format=fmt), torch.empty_like(labels))
        x, y = self.buffers[key]
        x.copy_(images, non_blocking=True)
        y.copy_(labels, non_blocking=True)
        return x, y


class EagerCapturer:
    """A capturer that records nothing: its 'replay' runs the step again eagerly. The reference a captured
    replay must equal bit for bit (``check-device``), and the CPU tests' stand-in for CUDA."""

    def __init__(self):
        self.keys: list[StepKey] = []

    def __call__(self, key: StepKey, fn: StepFn) -> Callable[[], tuple[torch.Tensor, ...]]:
        self.keys.append(key)
        return lambda: fn()


class CudaCapturer:
    """Records a step into a CUDA graph. All graphs share one memory pool: each replay's outputs are cloned
    by the caller before the next replay, so no graph's live memory outlives its own replay. Before
    capture, ``fn`` runs twice on a side stream (cuBLAS/cuDNN workspaces, autograd state); the module
    buffers it touched (BatchNorm statistics) are restored, so the warm-up leaves no trace in the run."""

    def __init__(self, model: nn.Module, warmup: int = 2):
        self.model, self.warmup, self.pool = model, warmup, None

    def __call__(self, key: StepKey, fn: StepFn) -> Callable[[], tuple[torch.Tensor, ...]]:
        saved = [b.detach().clone() for b in self.model.buffers()]
        params = list(self.model.parameters())
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(self.warmup):
                fn(warmup=True)
                for p in params:
                    p.grad = None
        torch.cuda.current_stream().wait_stream(side)
        with torch.no_grad():
            for b, s in zip(self.model.buffers(), saved):
                b.copy_(s)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, pool=self.pool):
            outputs = fn(warmup=False)
        if self.pool is None:
            self.pool = graph.pool()

        def replay() -> tuple[torch.Tensor, ...]:
            graph.replay()
            return outputs

        return replay


__all__ = ["CapturableSGD", "CudaCapturer", "EagerCapturer", "GraphCache", "StaticInputs", "StepKey"]
