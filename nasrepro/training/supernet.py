"""Supernet training driven by a sampler, in phases, with exact checkpoint/resume.

A run is a sequence of phases over the training iterations (thesis App. I.1: MCTS methods split them
roughly 40/25/35 into uniform sampling / MCTS warm-up / MCTS sampling):

- ``uniform``: architectures drawn uniformly, no reward is computed (no validation forward);
- ``explore``: drawn uniformly, but the validation mini-batch reward is fed to the sampler so its
  statistics warm up (the "MCTS warm-up");
- ``sample``: drawn from the sampler, which is updated with the reward every step.

The reward is by default the accuracy of the sampled architecture on one validation mini-batch (paper
Eq. 4 is applied inside the sampler); ``Reward`` also gives the Table 6 variants. Every random choice derives from the run seed, and the checkpoint holds
the model, optimiser, schedule, sampler, numpy generator and validation-stream position, so a
resumed run produces the same weights as an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from nasrepro.data.loader import BatchCycler, DeviceLoader
from nasrepro.errors import ConfigError, TrainingDiverged
from nasrepro.evaluation.density_trace import EPOCH_VISITS
from nasrepro.io import resumable_state, save_checkpoint
from nasrepro.samplers.base import Sampler
from nasrepro.samplers.phases import PHASE_MODES, Phase, phase_bounds  # noqa: F401  (re-exported)
from nasrepro.training import distributed as ddp
from nasrepro.spaces.base import Arch
from nasrepro.training.graphs import CapturableSGD, Capturer, CudaCapturer, GraphCache, StaticInputs, StepKey
from nasrepro.training.optim import OptimConfig, make_optimizer
from nasrepro.training.reward import Reward
from nasrepro.training.task import batch_score, hits, primary, task_loss
from nasrepro.runtime import Runtime, batch_statistics


@dataclass
class TrainResult:
    history: list[dict] = field(default_factory=list)
    visits: np.ndarray | None = None
    seconds: float = 0.0


@dataclass
class StepStats:
    """What one ``train_step`` leaves on the device: the mean loss over its paths, their correct count
    and images seen, and the last path's logits and loss (the train-data reward reads them)."""

    loss: torch.Tensor
    correct: torch.Tensor
    seen: int
    logits: torch.Tensor
    last_loss: torch.Tensor


class SupernetTrainer:
    def __init__(
        self,
        supernet: nn.Module,
        archs: Sequence[Arch],
        sampler: Sampler | None,
        phases: Sequence[Phase],
        optim: OptimConfig,
        runtime: Runtime,
        train: DeviceLoader,
        val: DeviceLoader | None,
        rng: np.random.Generator,
        checkpoint: str | Path | None = None,
        checkpoint_every: int = 1,
        log: Callable[[str], None] = print,
        reward: Reward | None = None,
        epoch_hook: Callable[["SupernetTrainer"], dict] | None = None,
        fingerprint: str = "",
        graph_capturer: Capturer | None = None,
        graph_capacity: int = 64,
    ):
        if sampler is None and any(p.mode != "uniform" for p in phases):
            raise ConfigError("phases 'explore' and 'sample' need a sampler")
        if val is None and (reward is None or reward.data == "val") and any(p.mode != "uniform" for p in phases):
            raise ConfigError("phases 'explore' and 'sample' need validation data for the reward")
        self.model = runtime.prepare(supernet)
        # Under torchrun every rank trains the same path on its slice of each global batch (DDP averages
        # the gradients); rewards are averaged across ranks so the samplers stay identical.
        self.rank, self.world = ddp.rank_and_world()
        self.train_model = ddp.wrap(self.model)
        self.archs = [tuple(a) for a in archs]
        self.sampler = sampler
        self.optim = optim
        self.runtime = runtime
        self.train = train
        self.val = BatchCycler(val) if val is not None else None
        self.rng = rng
        self.checkpoint = Path(checkpoint) if checkpoint else None
        self.checkpoint_every = max(1, checkpoint_every)
        self.log = log if self.rank == 0 else (lambda message: None)
        self.reward = reward or Reward()
        # Extra per-epoch measurements merged into the history record, so a checkpoint carries them
        # (thesis Fig. 5.4's density trace); it must not draw from the run's random generators.
        self.epoch_hook = epoch_hook
        # What the job's result depends on (its config, method, seed): a checkpoint left by a job with
        # another fingerprint (the config changed and the workflow reruns the job) is not resumed.
        self.fingerprint = fingerprint
        self.steps_per_epoch = len(train)
        self.total_steps = optim.epochs * self.steps_per_epoch
        self.bounds = phase_bounds(phases, self.total_steps)
        self.opt, self.sched = make_optimizer(self.model, optim, self.total_steps)
        # CUDA graphs (runtime.cuda_graphs; tests pass a fake capturer): one process, no compiler.
        # A sampler that reads the gradients after each step (PA&DA) needs them as eager tensors.
        observes = sampler is not None and sampler.observes_steps
        if graph_capturer is None and runtime.cuda_graphs and self.world == 1 and not runtime.compile and not observes:
            graph_capturer = CudaCapturer(self.model)
        self.graphs = GraphCache(graph_capturer, capacity=graph_capacity) if graph_capturer else None
        self.sgd = CapturableSGD(self.opt) if self.graphs is not None else None
        self.static = StaticInputs()
        self.visits = np.zeros(len(self.archs), dtype=np.int64)
        self.history: list[dict] = []
        self.start_epoch = 0
        self.elapsed = 0.0
        if sampler is not None:
            sampler.bind(self)

    def _phase_at(self, step: int) -> tuple[Phase, int, int]:
        for bound in self.bounds:
            if bound[1] <= step < bound[2]:
                return bound
        return self.bounds[-1]

    def train_step(self, images: torch.Tensor, labels: torch.Tensor, paths: Sequence[int]) -> StepStats:
        """One optimiser step on ``paths`` (indices into ``archs``; several for strict fairness: their
        gradients add up into one update), with the schedule step. Everything stays on the device."""
        if self.graphs is not None and len(paths) == 1:
            return self._graph_train_step(images, labels, paths[0])
        self.opt.zero_grad(set_to_none=True)
        loss_sum = torch.zeros((), device=self.runtime.device)
        correct = torch.zeros((), device=self.runtime.device)
        for idx in paths:
            self.visits[idx] += 1
            with self.runtime.autocast():
                output = self.train_model(images, self.archs[idx])
                loss = task_loss(output, labels)
                logits = primary(output)  # an auxiliary head's logits only add to the loss
            loss.backward()
            loss_sum += loss.detach() / len(paths)
            correct += hits(logits.detach(), labels)
        self.opt.step()
        self.sched.step()
        return StepStats(loss_sum, correct, labels.shape[0] * len(paths), logits, loss)

    def _graph_train_step(self, images: torch.Tensor, labels: torch.Tensor, idx: int) -> StepStats:
        """``train_step`` of one path through the graph cache: replayed when captured, else run eagerly
        with the same kernels (static inputs, autocast without cache, ``CapturableSGD``)."""
        self.visits[idx] += 1
        arch = self.archs[idx]
        self.sgd.set_lr(self.opt.param_groups[0]["lr"])
        x, y = self.static.load(images, labels)
        self.opt.zero_grad(set_to_none=True)  # a capture must allocate the path's gradients, not add to old ones

        def fn(warmup: bool = False) -> tuple[torch.Tensor, ...]:
            with self.runtime.autocast(cache_enabled=False):
                output = self.train_model(x, arch)
                loss = task_loss(output, y)
                logits = primary(output)
            loss.backward()
            if not warmup:
                self.sgd.step()
            return loss.detach(), hits(logits.detach(), y), logits.detach()

        key = StepKey("train", (arch,), tuple(images.shape), str(images.dtype))
        out = self.graphs.run(key, fn)
        loss, correct, logits = (t.clone() for t in out) if out is not None else fn()
        self.sched.step()
        return StepStats(loss, correct, labels.shape[0], logits, loss)

    def reward_step(self, arch: Arch, batch: tuple[torch.Tensor, torch.Tensor] | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Accuracy and loss of ``arch`` on the next validation mini-batch (or on ``batch``), with batch
        statistics, left on the device."""
        if batch is None:
            batch = self._mine(*next(self.val), local=getattr(self.val.loader, "rank_local", False))
        images, labels = batch
        if self.graphs is not None:
            x, y = self.static.load(images, labels)

            def fn(warmup: bool = False) -> tuple[torch.Tensor, ...]:
                with torch.no_grad(), batch_statistics(self.model), self.runtime.autocast(cache_enabled=False):
                    logits = self.model(x, arch)
                    loss = task_loss(logits, y)
                return batch_score(logits, y), loss.float()

            out = self.graphs.run(StepKey("reward", (arch,), tuple(images.shape), str(images.dtype)), fn)
            acc, loss = (t.clone() for t in out) if out is not None else fn()
            return acc, loss
        with torch.no_grad(), batch_statistics(self.model), self.runtime.autocast():
            logits = self.model(images, arch)
            loss = task_loss(logits, labels)
        return batch_score(logits, labels), loss.float()

    def _fixed_val_batches(self, count: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        if self.val is None:
            raise ConfigError("this sampler measures the supernet on validation data; the run has none")
        loader = self.val.loader
        batches = [loader.batch(0, b) for b in range(min(count, len(loader)))]
        return torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches]), batches[0][0].shape[0]

    def _mine(self, images: torch.Tensor, labels: torch.Tensor, local: bool = False
              ) -> tuple[torch.Tensor, torch.Tensor]:
        """This rank's slice of a global batch (everything outside a process group, or when the loader
        already decoded only this rank's share: ``rank_local``)."""
        if self.world == 1 or local:
            return images, labels
        return ddp.rank_slice(images, self.rank, self.world), ddp.rank_slice(labels, self.rank, self.world)

    def features(self, indices: Sequence[int], max_images: int | None = None,
                 representation: str = "functional", gradient_dim: int | None = None,
                 cka_layers: Sequence[int] | None = None, gradient_from: int | None = None) -> np.ndarray:
        """Representations [n, D] of architectures on one fixed validation batch (density sampling,
        ``nasrepro.evaluation.representations``), optionally on only its first ``max_images`` images:
        outputs (``functional``), loss gradients (``gradient``) or centred Gram matrices of hidden
        feature maps (``representational``)."""
        from nasrepro.evaluation import representations as rep
        from nasrepro.evaluation.evaluate import collect_outputs

        images, labels, _ = self._fixed_val_batches(1)
        images, labels = images[:max_images], labels[:max_images]
        archs = [self.archs[int(i)] for i in indices]
        if representation == "gradient":
            out = rep.collect_gradients(self.model, archs, images, labels, self.runtime, gradient_dim, gradient_from)
        elif representation == "representational":
            out = rep.collect_cka_features(self.model, archs, images, self.runtime, cka_layers)
        elif representation == "functional":
            out = collect_outputs(self.model, archs, images, self.runtime)
        else:
            raise ConfigError(f"representation must be 'functional', 'gradient' or 'representational' "
                              f"(the encoding needs no supernet), got {representation!r}")
        self.model.train()  # the collectors leave the model in eval mode
        return out.reshape(len(out), -1)

    def val_scores(self, indices: Sequence[int], batches: int = 1) -> np.ndarray:
        """Accuracy (%) of architectures on the first ``batches`` validation mini-batches, each
        normalised with its own batch statistics (iterative MCTS re-ranking, thesis §4.3.3)."""
        from nasrepro.evaluation.evaluate import evaluate_architectures

        images, labels, size = self._fixed_val_batches(batches)
        acc = evaluate_architectures(self.model, [self.archs[int(i)] for i in indices], images, labels,
                                     self.runtime, batch_size=size)
        self.model.train()
        return acc

    def _reward(self, arch: Arch, logits: torch.Tensor, labels: torch.Tensor, loss: torch.Tensor
                ) -> tuple[float, float | None]:
        """(reward for the sampler, validation accuracy if it was measured)."""
        if self.reward.data == "val":
            acc, loss = self.reward_step(arch)
        else:
            acc = batch_score(logits.detach(), labels)
        # The sampler needs the reward before the next draw: this is the one host sync per step.
        acc_f, loss_f = ddp.mean_across_ranks(torch.stack([acc, loss.detach().float()])).tolist()
        return self.reward(acc_f, loss_f), (acc_f if self.reward.data == "val" else None)

    def _state(self, epoch: int) -> dict:
        return {
            "epoch": epoch,
            "model": self.model.state_dict(),
            "opt": self.opt.state_dict(),
            "sched": self.sched.state_dict(),
            "sampler": self.sampler.state_dict() if self.sampler is not None else {},
            "rng": json.dumps(self.rng.bit_generator.state),
            "torch_rng": torch.get_rng_state(),
            "val": self.val.state_dict() if self.val is not None else {},
            "reward": self.reward.state_dict(),
            "visits": torch.from_numpy(self.visits.copy()),
            "history": json.dumps(self.history),
            "elapsed": self.elapsed,
            "fingerprint": self.fingerprint,
        }

    def _restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        if self.graphs is not None:  # the optimiser's buffers are new tensors: graphs would update the old ones
            self.graphs.invalidate()
            self.sgd.ensure_buffers()
        self.sched.load_state_dict(state["sched"])
        if self.sampler is not None:
            self.sampler.load_state_dict(state["sampler"])
        self.rng.bit_generator.state = json.loads(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        if self.val is not None:
            self.val.load_state_dict(state["val"])
        self.reward.load_state_dict(state["reward"])
        self.visits = state["visits"].numpy().astype(np.int64)
        self.history = json.loads(state["history"])
        self.elapsed = float(state["elapsed"])
        self.start_epoch = int(state["epoch"])

    def resume_if_possible(self) -> bool:
        state = resumable_state(self.checkpoint, self.fingerprint, self.log)
        if state is None:
            return False
        self._restore(state)
        self.log(f"resumed from {self.checkpoint} at epoch {self.start_epoch}/{self.optim.epochs}")
        return True

    def run(self, stop_after_epoch: int | None = None) -> TrainResult:
        """Train to the end (or to ``stop_after_epoch``, used to test resume) and return the result."""
        for _ in self.steps(stop_after_epoch):
            pass
        return self.result()

    def result(self) -> TrainResult:
        return TrainResult(self.history, self.visits, self.elapsed)

    def steps(self, stop_after_epoch: int | None = None) -> Iterator[int]:
        """The training loop as a generator that yields after every optimiser step (its global step
        index), so several independent trainers can be interleaved (``training.packed``)."""
        self.model.train()
        n = len(self.archs)
        for epoch in range(self.start_epoch, self.optim.epochs):
            t_mark = time.perf_counter()  # own time only: interleaved trainers do not bill each other
            visits_before = self.visits.copy()  # paper Fig. 6(a): distinct architectures of this epoch
            loss_sum = torch.zeros((), device=self.runtime.device)
            correct = torch.zeros((), device=self.runtime.device)
            seen = 0
            reward_sum, rewards = 0.0, 0
            val_sum, val_steps = torch.zeros((), device=self.runtime.device), 0
            if hasattr(self.model, "set_progress"):  # DARTS's evaluation network: drop-path grows with the epoch
                self.model.set_progress(epoch, self.optim.epochs)
            if self.sampler is not None:
                order = self.sampler.begin_epoch(epoch, self.optim.epochs, self.rng)
                if order is not None:
                    self.train.set_order(epoch, order)
            observes = self.sampler is not None and self.sampler.observes_steps
            for i, batch in enumerate(self.train.iterate(epoch)):
                images, labels = self._mine(*batch, local=getattr(self.train, "rank_local", False))
                step = epoch * self.steps_per_epoch + i
                phase, start, end = self._phase_at(step)
                if phase.mode == "sample":
                    self.sampler.set_progress((step - start) / max(1, end - start - 1))
                    paths = ddp.same_on_all_ranks(self.sampler.sample_paths(self.rng), self.runtime.device)
                else:
                    paths = [int(self.rng.integers(n))]
                stats = self.train_step(images, labels, paths)
                if observes:
                    self.sampler.observe_step(self.archs[paths[-1]], stats.logits, labels, self.train.sample_ids(epoch, i))
                loss_sum += stats.loss
                correct += stats.correct
                seen += stats.seen
                idx = paths[-1]
                arch = self.archs[idx]
                if phase.mode != "uniform" and self.sampler.uses_reward:
                    reward, val_acc = self._reward(arch, stats.logits, labels, stats.last_loss)
                    self.sampler.update(idx, reward)
                    reward_sum += reward
                    rewards += 1
                    if val_acc is not None:
                        val_sum += val_acc
                        val_steps += 1
                elif self.val is not None:
                    # Issue 2: the validation mini-batch accuracy is recorded at every step; with no
                    # sampler waiting for it, it stays on the device (no host sync).
                    val_sum += self.reward_step(arch)[0]
                    val_steps += 1
                self.elapsed += time.perf_counter() - t_mark
                yield step
                t_mark = time.perf_counter()
            mean_loss = float(loss_sum) / max(1, len(self.train))
            if not math.isfinite(mean_loss):
                raise TrainingDiverged(
                    f"training loss became {mean_loss} in epoch {epoch + 1}; lower the learning rate "
                    f"(config key lr, now {self.optim.lr}) or check the data"
                )
            self.elapsed += time.perf_counter() - t_mark
            record = {
                "epoch": epoch + 1,
                "phase": self._phase_at(min((epoch + 1) * self.steps_per_epoch, self.total_steps) - 1)[0].mode,
                "train_loss": mean_loss,
                "train_acc": float(correct) / max(1, seen),
                "reward_mean": reward_sum / rewards if rewards else float("nan"),
                "val_batch_acc": float(val_sum) / val_steps if val_steps else float("nan"),
                "unique_visited": int((self.visits > 0).sum()),
                "unique_in_epoch": int((self.visits > visits_before).sum()),
                # thesis Fig. 4.2(b): paths trained per architecture in this epoch (only those trained)
                EPOCH_VISITS: {str(int(i)): int(self.visits[i] - visits_before[i])
                               for i in np.flatnonzero(self.visits > visits_before)},
                "lr": float(self.sched.get_last_lr()[0]),
                "seconds": self.elapsed,
            }
            if self.epoch_hook is not None:
                record.update(self.epoch_hook(self))
            self.history.append(record)
            self.log(
                f"epoch {epoch + 1}/{self.optim.epochs} [{record['phase']}] loss {mean_loss:.3f} "
                f"acc {record['train_acc']:.3f} visited {record['unique_visited']}/{n} {self.elapsed:.1f}s"
            )
            done = epoch + 1
            if self.checkpoint is not None and (done % self.checkpoint_every == 0 or done == self.optim.epochs):
                if self.rank == 0:  # the ranks hold identical weights and sampler states
                    save_checkpoint(self.checkpoint, self._state(done))
                ddp.barrier()
            if stop_after_epoch is not None and done >= stop_after_epoch:
                break
