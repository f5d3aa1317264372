"""Bi-level training of a differentiable supernet (DARTS, Liu et al. 2018b; GAEA, Li et al. 2020d), with
exact checkpoint/resume.

Each step first updates the architecture parameters on the next validation mini-batch, then the
network weights on the training mini-batch (first-order DARTS: the weights' response to the
architecture step is not differentiated through; the thesis does not say which order Ch. 2 used, and
first order is the cheaper of DARTS's two). Weights: SGD with the per-iteration cosine schedule of every
search here (``training.optim``; thesis §2.4: "SGD with cosine learning rate for CNN weights").
Architecture parameters, by ``ArchOptimConfig.update``:

- ``adam``: Adam on the softmax logits (thesis §2.4: "Adam for architecture parameters with learning rate
  1e-2"; betas (0.5, 0.999) and weight decay 1e-3 are DARTS's own, an assumption here);
- ``exponentiated``: GAEA's exponentiated-gradient step on weights kept on the simplex,
  w <- w * exp(-eta * grad) / Z per layer (mirror descent under the entropy), with a floor of 1e-5 before
  normalising so that no resolution is lost for good; eta = ``lr``.

The network must provide ``arch_parameters()``, ``weight_parameters()``, ``forward(x)`` (relaxed) and
``derive()`` (``SearchSpace.build_relaxed``). The checkpoint holds both parameter sets, both optimiser
states, the schedule, the generators, the validation stream position and the history, so a resumed run
ends with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import copy
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nasrepro.data.loader import BatchCycler, DeviceLoader
from nasrepro.errors import ConfigError, TrainingDiverged
from nasrepro.io import resumable_state, save_checkpoint
from nasrepro.runtime import Runtime
from nasrepro.training.optim import Adam, OptimConfig, make_optimizer

ARCH_UPDATES = ("adam", "exponentiated")
SIMPLEX_FLOOR = 1e-5


@dataclass(frozen=True)
class ArchOptimConfig:
    update: str = "adam"
    lr: float = 1e-2                    # thesis §2.4 (Adam); the exponentiated step's eta likewise
    betas: tuple[float, float] = (0.5, 0.999)
    weight_decay: float = 1e-3
    order: int = 1                      # 2: DARTS's second-order (unrolled) architecture gradient

    @classmethod
    def from_dict(cls, d: dict) -> "ArchOptimConfig":
        if d.get("update", "adam") not in ARCH_UPDATES:
            raise ConfigError(f"differentiable.update must be one of {ARCH_UPDATES}, got {d.get('update')!r}")
        if d.get("order", 1) not in (1, 2):
            raise ConfigError(f"differentiable.order must be 1 or 2 (DARTS's first or second order), got {d.get('order')!r}")
        keys = {"update", "lr", "betas", "weight_decay", "order"}
        out = {k: v for k, v in d.items() if k in keys}
        if "betas" in out:
            out["betas"] = tuple(float(b) for b in out["betas"])
        return cls(**out)


def exponentiated_step(weights: torch.Tensor, grad: torch.Tensor, lr: float) -> None:
    """GAEA: in place, w <- max(w * exp(-lr * g), floor) normalised over the last dimension."""
    with torch.no_grad():
        weights.mul_(torch.exp(-lr * grad)).clamp_(min=SIMPLEX_FLOOR)
        weights.div_(weights.sum(dim=-1, keepdim=True))


class BilevelTrainer:
    def __init__(self, model: nn.Module, optim: OptimConfig, arch: ArchOptimConfig, runtime: Runtime,
                 train: DeviceLoader, val: DeviceLoader, rng: np.random.Generator,
                 checkpoint: str | Path | None = None, log: Callable[[str], None] = print, fingerprint: str = "",
                 weight_loss: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None):
        self.model = runtime.prepare(model)
        # (logits, labels, images) -> the weight step's loss (default cross-entropy; HEP-NAS: Eq. 7's SMD loss)
        self.weight_loss = weight_loss
        self.freeze_arch = False  # HEP-NAS: alpha stays fixed for the first epochs (no architecture step)
        self.fd_scale = 0.01  # second order: the finite difference's step, eps = 0.01 / ||grad|| (DARTS)
        self.optim, self.arch = optim, arch
        self.runtime, self.train, self.val = runtime, train, BatchCycler(val)
        self.rng = rng
        self.checkpoint = Path(checkpoint) if checkpoint else None
        self.log, self.fingerprint = log, fingerprint
        self.total_steps = optim.epochs * len(train)
        self.opt, self.sched = make_optimizer(self.model, optim, self.total_steps,
                                              params=self.model.weight_parameters())
        self.arch_opt = self._arch_optimizer() if arch.update == "adam" else None
        self.history: list[dict] = []
        self.start_epoch = 0
        self.elapsed = 0.0

    def _arch_optimizer(self) -> Adam:
        return Adam(self.model.arch_parameters(), lr=self.arch.lr, betas=self.arch.betas,
                    weight_decay=self.arch.weight_decay)

    def arch_step(self, images: torch.Tensor, labels: torch.Tensor,
                  train_batch: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """One architecture update on a validation mini-batch (second order: also the training mini-batch of
        the step's virtual weight update); returns the validation loss (on the device)."""
        alphas = self.model.arch_parameters()
        for a in alphas:
            a.grad = None
        if self.arch.order == 2:
            if train_batch is None:
                raise ValueError("a second-order architecture step needs the training mini-batch")
            loss = self._unrolled_gradient(images, labels, *train_batch)
        else:
            with self.runtime.autocast():
                loss = F.cross_entropy(self.model(images), labels)
            loss.backward()
        if self.arch_opt is not None:
            self.arch_opt.step()
        else:
            for a in alphas:
                exponentiated_step(a, a.grad, self.arch.lr)
        for p in self.model.weight_parameters():  # the weights learn from the training data only
            p.grad = None
        return loss.detach()

    def _unrolled_gradient(self, vx: torch.Tensor, vy: torch.Tensor, tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
        """DARTS's second-order gradient (Liu et al. 2018b, Eqs. 6-8) into ``alpha.grad``:
        grad_a L_val(w', a) - xi * (grad_a L_train(w+, a) - grad_a L_train(w-, a)) / (2 eps), with the virtual
        step w' = w - xi (grad_w L_train(w, a) + lambda w) at the current weight learning rate xi (no momentum
        term: an assumption, DARTS's code adds the momentum buffer), w+- = w +- eps grad_w' L_val(w', a) and
        eps = 0.01 / ||grad_w' L_val||. The weights are restored exactly afterwards."""
        weights, alphas = self.model.weight_parameters(), self.model.arch_parameters()
        xi, decay = float(self.sched.get_last_lr()[0]), float(self.optim.weight_decay)

        def grads(loss, params):
            out = torch.autograd.grad(loss, params, allow_unused=True)
            return [torch.zeros_like(p) if g is None else g for g, p in zip(out, params)]

        def train_loss():
            with self.runtime.autocast():
                return F.cross_entropy(self.model(tx), ty)

        saved = [w.detach().clone() for w in weights]
        try:
            gw = grads(train_loss(), weights)
            with torch.no_grad():
                for w, g in zip(weights, gw):
                    w.sub_(xi * (g + decay * w))
            with self.runtime.autocast():
                loss = F.cross_entropy(self.model(vx), vy)
            g_all = grads(loss, alphas + weights)
            d_alpha, d_w = g_all[: len(alphas)], g_all[len(alphas):]
            eps = self.fd_scale / torch.cat([g.flatten() for g in d_w]).norm().clamp_min(1e-12)
            with torch.no_grad():
                for w, s, g in zip(weights, saved, d_w):
                    w.copy_(s + eps * g)
            plus = grads(train_loss(), alphas)
            with torch.no_grad():
                for w, s, g in zip(weights, saved, d_w):
                    w.copy_(s - eps * g)
            minus = grads(train_loss(), alphas)
        finally:
            with torch.no_grad():
                for w, s in zip(weights, saved):
                    w.copy_(s)
        for a, da, p, m in zip(alphas, d_alpha, plus, minus):
            a.grad = da - xi * (p - m) / (2 * eps)
        return loss.detach()

    def weight_step(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.opt.zero_grad(set_to_none=True)
        with self.runtime.autocast():
            logits = self.model(images)
            loss = F.cross_entropy(logits, labels) if self.weight_loss is None else self.weight_loss(logits, labels, images)
        loss.backward()
        for a in self.model.arch_parameters():
            a.grad = None
        if self.optim.grad_clip is not None:  # DARTS clips the weights' gradient norm at 5
            nn.utils.clip_grad_norm_(self.model.weight_parameters(), self.optim.grad_clip)
        self.opt.step()
        self.sched.step()
        return loss.detach(), (logits.detach().argmax(1) == labels).sum()

    def state(self, epoch: int) -> dict:
        return {"epoch": epoch, "model": self.model.state_dict(), "opt": self.opt.state_dict(),
                "sched": self.sched.state_dict(), "arch_opt": self.arch_opt.state_dict() if self.arch_opt else {},
                "rng": json.dumps(self.rng.bit_generator.state), "torch_rng": torch.get_rng_state(),
                "val": self.val.state_dict(), "history": json.dumps(self.history), "elapsed": self.elapsed,
                "fingerprint": self.fingerprint}

    def resume_if_possible(self) -> bool:
        state = resumable_state(self.checkpoint, self.fingerprint, self.log)
        if state is None:
            return False
        self.load_state(state)
        self.log(f"resumed from {self.checkpoint} at epoch {self.start_epoch}/{self.optim.epochs}")
        return True

    def load_state(self, state: dict) -> None:
        """Restore what ``_state`` saved (the network, both optimisers, schedule, generators, streams)."""
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])
        if self.arch_opt is not None:
            self.arch_opt.load_state_dict(state["arch_opt"])
        self.rng.bit_generator.state = json.loads(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        self.val.load_state_dict(state["val"])
        self.history = json.loads(state["history"])
        self.elapsed = float(state["elapsed"])
        self.start_epoch = int(state["epoch"])

    def train_epoch(self, epoch: int) -> dict:
        """One epoch of bi-level steps (weight steps only while ``freeze_arch``); appends and returns its
        history row."""
        self.model.train()
        t0 = time.perf_counter()
        loss_sum = torch.zeros((), device=self.runtime.device)
        val_sum = torch.zeros((), device=self.runtime.device)
        correct, seen = torch.zeros((), device=self.runtime.device), 0
        for images, labels in self.train.iterate(epoch):
            if not self.freeze_arch:
                val_sum += self.arch_step(*next(self.val), train_batch=(images, labels))
            loss, hits = self.weight_step(images, labels)
            loss_sum += loss
            correct += hits
            seen += labels.shape[0]
        steps = max(1, len(self.train))
        mean_loss = float(loss_sum) / steps
        if not math.isfinite(mean_loss):
            raise TrainingDiverged(f"training loss became {mean_loss} in epoch {epoch + 1}; lower the learning "
                                   f"rate (config key lr, now {self.optim.lr}) or check the data")
        self.elapsed += time.perf_counter() - t0
        weights = self.model.arch_weights().detach().cpu().tolist()
        row = {"epoch": epoch + 1, "train_loss": mean_loss, "train_acc": float(correct) / max(1, seen),
               "val_loss": float(val_sum) / steps if not self.freeze_arch else float("nan"),
               "derived": list(self.model.derive()), "arch_weights": weights,
               "lr": float(self.sched.get_last_lr()[0]), "seconds": self.elapsed}
        self.history.append(row)
        self.log(f"epoch {epoch + 1}/{self.optim.epochs} loss {mean_loss:.3f} val loss {row['val_loss']:.3f} "
                 f"derived {self.model.derive()} {self.elapsed:.1f}s")
        return row

    def spawn(self, mask) -> "BilevelTrainer":
        """A sub-supernet that inherits everything (HEP-NAS Eq. 7: "the initial w of every sub-supernet is
        inherited"): a copy of the network with operation mask ``mask``, both optimisers' states, the schedule
        and the validation stream position. Loaders, runtime and generator are shared."""
        child = copy.copy(self)
        child.model = copy.deepcopy(self.model)
        child.model.set_mask(mask)
        child.opt, child.sched = make_optimizer(child.model, self.optim, self.total_steps,
                                                params=child.model.weight_parameters())
        child.opt.load_state_dict(self.opt.state_dict())
        child.sched.load_state_dict(self.sched.state_dict())
        if self.arch_opt is not None:
            child.arch_opt = child._arch_optimizer()
            child.arch_opt.load_state_dict(self.arch_opt.state_dict())
        child.val = BatchCycler(self.val.loader)
        child.val.load_state_dict(self.val.state_dict())
        child.history = list(self.history)
        return child

    def run(self, stop_after_epoch: int | None = None) -> list[dict]:
        """Train to the end (or to ``stop_after_epoch``, to test resume); the per-epoch history."""
        for epoch in range(self.start_epoch, self.optim.epochs):
            self.train_epoch(epoch)
            if self.checkpoint is not None:
                save_checkpoint(self.checkpoint, self.state(epoch + 1))
            if stop_after_epoch is not None and epoch + 1 >= stop_after_epoch:
                break
        return self.history
