"""SGD with a per-iteration cosine schedule, the recipe of every CIFAR experiment in the seeds, or the step
schedule of thesis §2.4's ResNet18/50 runs."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class OptimConfig:
    epochs: int
    batch_size: int
    lr: float
    momentum: float = 0.9
    weight_decay: float = 5e-4
    nesterov: bool = False
    # A step schedule (thesis §2.4: ResNet18 "reduced it by a factor of 0.1 on epochs [200,300]", ResNet50
    # "by factor 0.2 at epochs [60,120,160]"); empty: the cosine annealing of every other recipe here.
    milestones: tuple[int, ...] = ()
    gamma: float = 0.1
    # The cosine's floor (DARTS and HEP-NAS anneal "0.025 ... to 0.001"); 0: to zero, as every other recipe here
    lr_min: float = 0.0
    # Gradient-norm clipping of the weights (DARTS: 5); None: none
    grad_clip: float | None = None

    @classmethod
    def from_dict(cls, d: dict) -> "OptimConfig":
        keys = {"epochs", "batch_size", "lr", "momentum", "weight_decay", "nesterov", "milestones", "gamma", "lr_min",
                "grad_clip"}
        out = {k: v for k, v in d.items() if k in keys}
        if "milestones" in out:
            out["milestones"] = tuple(sorted(int(m) for m in out["milestones"]))
        return cls(**out)


def _is_lazy_dynamo_wrapper(fn) -> bool:
    """Whether ``fn`` is the wrapper ``torch._compile._disable_dynamo`` puts around optimiser methods: on
    its first call it imports ``torch._dynamo`` (about a second) just to mark the method as not traced."""
    from torch._compile import _disable_dynamo

    code = _disable_dynamo(lambda: None).__code__  # builds the wrapper only; imports nothing
    return getattr(fn, "__code__", None) is code and hasattr(fn, "__wrapped__")


def keep_compiler_unloaded() -> None:
    """Let optimiser and scheduler methods run without importing ``torch._dynamo`` in a process that
    never compiles: each lazy wrapper is handed its own function as the already "disabled" version, which
    is exactly what it runs when nothing is being compiled. A process that compiles has imported the
    compiler before it builds its optimiser (``Runtime.prepare``), and keeps the wrappers as they are."""
    if "torch._dynamo" in sys.modules:
        return
    classes = [torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]
    seen = set()
    while classes:
        cls = classes.pop()
        if cls in seen:
            continue
        seen.add(cls)
        classes.extend(cls.__subclasses__())
        for attr in vars(cls).values():
            if _is_lazy_dynamo_wrapper(attr):
                setattr(attr.__wrapped__, "__dynamo_disable", attr.__wrapped__)


class _PlainStep:
    """An optimiser whose ``step`` skips the compiler's graph-break wrapper while nothing is compiled.

    torch wraps ``SGD.step`` and ``Adam.step`` so that a compiled graph breaks around them; the wrapper
    imports ``torch._dynamo`` on its first call (about a second of every job's start-up) and otherwise only
    runs the update under ``torch.no_grad()``, which is what this does. With the compiler loaded (``compile:
    true``) or a differentiable optimiser, torch's own step runs. The update is torch's, so results are
    bit-identical (tested)."""

    _torch_class: type[torch.optim.Optimizer]

    @torch.no_grad()
    def _plain_step(self, closure=None):
        return self._torch_class.step.__wrapped__(self, closure)

    def step(self, closure=None):
        if "torch._dynamo" in sys.modules or self.defaults["differentiable"] or \
                not hasattr(self._torch_class.step, "__wrapped__"):
            return self._torch_class.step(self, closure)
        return self._plain_step(closure)  # torch's step runs a closure under enable_grad itself


class SGD(_PlainStep, torch.optim.SGD):
    """torch's SGD without the compiler's import on its first step (``_PlainStep``)."""

    _torch_class = torch.optim.SGD


class Adam(_PlainStep, torch.optim.Adam):
    """torch's Adam (the architecture parameters' optimiser of DARTS and HEP-NAS) without the compiler's
    import on its first step (``_PlainStep``)."""

    _torch_class = torch.optim.Adam


def make_optimizer(model: nn.Module, cfg: OptimConfig, total_steps: int, params=None):
    """SGD over ``params`` (default: every parameter of ``model``; a DARTS network passes its weights
    only, its architecture parameters having their own optimiser) with the per-iteration cosine schedule."""
    keep_compiler_unloaded()
    # No weight decay on BN/bias parameters would be a tuning choice the seeds never mention; keep plain SGD.
    opt = SGD(
        model.parameters() if params is None else params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, nesterov=cfg.nesterov
    )
    steps = max(1, total_steps)
    if cfg.milestones:  # per iteration, so a resumed run continues mid-epoch with the same factor
        per_epoch = steps / max(1, cfg.epochs)
        factor = lambda s: cfg.gamma ** sum(s >= m * per_epoch for m in cfg.milestones)  # noqa: E731
    else:  # cosine from lr to lr_min (torch's CosineAnnealingLR formula), per iteration
        floor = cfg.lr_min / cfg.lr
        factor = lambda s: floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * min(s, steps) / steps))  # noqa: E731
    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    return opt, sched
