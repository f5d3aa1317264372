"""HEP-NAS (seed 002, Alg. 1): split a relaxed supernet hierarchy by hierarchy, keep only the best part.

Stage k: train the supernet S bi-level up to epoch ``split_epochs[k]`` (alpha fixed for the first
``alpha_fixed_epochs``); group each edge of hierarchy h_k in two by a min-cut of gradient-matching scores
(Eqs. 1-2); spawn one sub-supernet per element of the groups' Cartesian product (Eq. 4), each inheriting S's
weights, architecture weights and optimiser states; train them in turn, epoch by epoch, for
``warm_epochs[k]`` epochs with Search-space Mutual Distillation (Eq. 7) from S (the previous optimum) and from
each other; keep the one with the best validation accuracy (Eq. 5) as the next S. After the last stage the
architecture is S's argmax (Alg. 1 line 16).

Choices where the seed is silent (documented here and in the README): the teachers (S and the siblings) run in
eval mode under ``no_grad``, so distilling does not move their BN statistics, and each teacher's logits of a
batch are made once per state of its network and shared by the students (``TeacherLogits``); validation
accuracy (Eq. 5) is the relaxed network's, in eval mode, on the validation half; the learning-rate schedule
spans the whole lineage (supernet plus distillation epochs) and a sub-supernet continues its parent's.

``partition: edge`` (Table 5's edge-wise ablation) splits one edge per stage instead of one hierarchy.
``groups: each`` gives one sub-supernet per operation of the split edge instead of Eq. 2's two groups: with one
split, no distillation and every sub-supernet trained to the end before the best is kept, the run is few-shot
DARTS (Zhao et al. 2021), HEP-NAS Table 4's "few-shot DARTS" row.
The run checkpoints after every epoch of any phase and resumes to the same result (tested).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from nasrepro.errors import ConfigError
from nasrepro.io import resumable_state, save_checkpoint
from nasrepro.spaces.partition import SPLIT_ORDERS, hierarchies, hierarchy_masks, min_cut_bipartition, split_order
from nasrepro.training.bilevel import BilevelTrainer
from nasrepro.training.distillation import DIRECTIONS, VARIANTS, smd_loss
from nasrepro.training.gradient_matching import gradient_similarity

PARTITIONS = ("hierarchy", "edge")
GROUPINGS = ("mincut", "each")


@dataclass(frozen=True)
class HepNasConfig:
    split_epochs: tuple[int, ...]             # supernet epochs before each split (NB201: 10, 20, 30)
    warm_epochs: tuple[int, ...]              # distillation epochs of the sub-supernets per stage (NB201: 10 each)
    alpha_fixed_epochs: int = 0               # NB201: alpha fixed for the first 10 epochs
    gm_batches: int = 100                     # mini-batches averaged by gradient matching (public code: repeat=100)
    distill: str = "D"                        # Table 7: A none, B previous optimum, C siblings, D both
    direction: str = "teacher-student"        # Eq. 6's KL direction (module ``distillation``)
    order: str = "natural"                    # Table 6: natural, reverse or random
    partition: str = "hierarchy"              # Table 5: hierarchy-wise or edge-wise
    groups: str = "mincut"                    # mincut: two groups per edge (Eq. 2); each: one per operation
                                              # (few-shot NAS, Zhao et al. 2021: a sub-supernet per operation)
    hierarchies: int | None = None            # Table 8: split only the first n stages of the schedule, then derive

    @classmethod
    def from_dict(cls, d: dict, where: str = "hepnas") -> "HepNasConfig":
        known = {"split_epochs", "warm_epochs", "alpha_fixed_epochs", "gm_batches", "distill", "direction", "order",
                 "partition", "groups", "hierarchies"}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"config error at {where}: unknown option(s) {unknown}; use {sorted(known)}")
        out = cls(**{**d, "split_epochs": tuple(int(e) for e in d["split_epochs"]),
                     "warm_epochs": tuple(int(e) for e in d["warm_epochs"])})
        if out.hierarchies is not None:  # Table 8: the schedule's first n splits, so the run ends after stage n
            n = int(out.hierarchies)
            if not 1 <= n <= len(out.split_epochs):
                raise ConfigError(f"config error at {where}.hierarchies: 1..{len(out.split_epochs)} (the splits of "
                                  f"split_epochs), got {out.hierarchies}")
            out = replace(out, split_epochs=out.split_epochs[:n], warm_epochs=out.warm_epochs[:n], hierarchies=n)
        if list(out.split_epochs) != sorted(set(out.split_epochs)) or min(out.split_epochs) < 1:
            raise ConfigError(f"config error at {where}.split_epochs: increasing epochs >= 1, got {list(out.split_epochs)}")
        if len(out.warm_epochs) != len(out.split_epochs):
            raise ConfigError(f"config error at {where}.warm_epochs: one value per split ({len(out.split_epochs)})")
        for key, allowed in (("distill", tuple(VARIANTS)), ("direction", DIRECTIONS), ("order", SPLIT_ORDERS),
                             ("partition", PARTITIONS), ("groups", GROUPINGS)):
            if getattr(out, key) not in allowed:
                raise ConfigError(f"config error at {where}.{key}: use one of {allowed}")
        return out

    @property
    def total_epochs(self) -> int:
        """Epochs of the whole lineage: supernet epochs plus every stage's distillation epochs."""
        return self.split_epochs[-1] + sum(self.warm_epochs)


def split_units(edges: Sequence[tuple[int, int]], cfg: HepNasConfig, rng: np.random.Generator) -> list[list[int]]:
    """The edge sets split at each stage: hierarchies (or single edges) in ``cfg.order``, as many as splits."""
    units = hierarchies(edges) if cfg.partition == "hierarchy" else [[e] for e in range(len(edges))]
    if len(cfg.split_epochs) > len(units):
        raise ConfigError(f"hepnas.split_epochs has {len(cfg.split_epochs)} splits but the cell has only "
                          f"{len(units)} {cfg.partition}-wise units to split")
    order = split_order(len(units), cfg.order, rng)
    return [units[i] for i in order][: len(cfg.split_epochs)]


def relaxed_accuracy(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, batch: int) -> float:
    """Top-1 (%) of the relaxed network in eval mode (Eq. 5's Acc_val)."""
    was = model.training
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(labels), batch):
            correct += int((model(images[i: i + batch]).argmax(-1) == labels[i: i + batch]).sum())
    model.train(was)
    return 100.0 * correct / max(1, len(labels))


def _frozen(model: torch.nn.Module) -> torch.nn.Module:
    teacher = copy.deepcopy(model).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    return teacher


class TeacherLogits:
    """The teachers' logits for one stage's distillation, each made once per batch and state of its network.

    The sub-supernets train in turn on the same batches (one epoch each per round; the loaders' batches are a
    function of epoch and position), and a teacher's eval-mode, no-grad logits depend only on its weights and
    the batch. A sibling changes only during its own steps, the previous optimum never. So each sibling's
    logits of a batch are made at most twice per round (once before it trains, for the students before it,
    once after, for those after it) instead of once per student: 2 forwards instead of n - 1 (32 sub-supernets:
    31), and the previous optimum's once instead of n times. The students read exactly the logits they would
    have computed (tested bit for bit). Slots: one per teacher and batch of an epoch."""

    PREVIOUS = -1  # the previous optimum's key

    def __init__(self, steps_per_epoch: int):
        self.steps = max(1, int(steps_per_epoch))
        self.steps_taken: dict[int, int] = {}  # student -> weight steps taken in this stage (its state's version)
        self.slots: dict[tuple[int, int], tuple[int, int, torch.Tensor]] = {}
        self.forwards = 0

    def logits(self, who: int, model: torch.nn.Module, step: int, images: torch.Tensor) -> torch.Tensor:
        """Teacher ``who``'s logits on the batch of stage step ``step`` (``images``), made only if its slot
        holds another batch or an older state of it."""
        version = self.steps_taken.get(who, 0)
        slot = self.slots.get((who, step % self.steps))
        if slot is not None and slot[0] == step and slot[1] == version:
            return slot[2]
        model.eval()
        out = model(images)
        self.forwards += 1
        self.slots[who, step % self.steps] = (step, version, out)
        return out


def _smd(cfg: HepNasConfig, teacher, subs: list[BilevelTrainer], me: int, cache: TeacherLogits) -> Callable:
    previous, siblings = VARIANTS[cfg.distill]

    def loss(logits, labels, images):
        step = cache.steps_taken.get(me, 0)  # every student's k-th step is on the same batch
        with torch.no_grad():
            prev = cache.logits(cache.PREVIOUS, teacher, step, images) if previous else None
            others = [cache.logits(j, sub.model, step, images) for j, sub in enumerate(subs)
                      if j != me] if siblings else []
        cache.steps_taken[me] = step + 1
        return smd_loss(logits, labels, prev, others, cfg.direction)

    return loss


class HepNasRun:
    """The stage loop of Alg. 1 over a bi-level trainer of a relaxed, maskable network."""

    def __init__(self, base: BilevelTrainer, edges: Sequence[tuple[int, int]], cfg: HepNasConfig,
                 val_images: torch.Tensor, val_labels: torch.Tensor, eval_batch: int, rng: np.random.Generator,
                 checkpoint: str | Path | None = None, fingerprint: str = "", log: Callable[[str], None] = print):
        self.base, self.cfg, self.log = base, cfg, log
        self.val_images, self.val_labels, self.eval_batch = val_images, val_labels, eval_batch
        self.units = split_units(edges, cfg, rng)
        self.checkpoint = Path(checkpoint) if checkpoint else None
        self.fingerprint = fingerprint
        self.trainers = [base]
        self.teacher = None
        self.teacher_logits: TeacherLogits | None = None  # per stage, set when its sub-supernets train
        self.st = {"stage": 0, "phase": "train", "supernet_epoch": 0, "lineage_epoch": 0, "warm_done": 0,
                   "records": [], "masks": None}

    # ------------------------------------------------------------------ checkpoint / resume
    def _save(self) -> None:
        if self.checkpoint is None:
            return
        e = self.st["lineage_epoch"]
        save_checkpoint(self.checkpoint, {
            "hepnas": json.dumps(self.st), "trainers": [t.state(e) for t in self.trainers],
            "teacher": self.teacher.state_dict() if self.teacher is not None else None,
            "fingerprint": self.fingerprint})

    def resume_if_possible(self) -> bool:
        state = resumable_state(self.checkpoint, self.fingerprint, self.log)
        if state is None:
            return False
        self.st = json.loads(state["hepnas"])
        if self.st["masks"] is None:
            self.trainers = [self.base]
        else:
            self.trainers = [self.base.spawn(np.asarray(m, dtype=bool)) for m in self.st["masks"]]
        for trainer, saved in zip(self.trainers, state["trainers"]):
            trainer.load_state(saved)
        if state["teacher"] is not None:
            self.teacher = _frozen(self.base.model)
            self.teacher.load_state_dict(state["teacher"])
        self.log(f"resumed HEP-NAS at stage {self.st['stage'] + 1}, {self.st['phase']}, "
                 f"lineage epoch {self.st['lineage_epoch']}")
        return True

    # ------------------------------------------------------------------ Alg. 1
    def _split(self, stage: int) -> None:
        parent = self.trainers[0]
        self.teacher = _frozen(parent.model)
        loader, e = parent.train, self.st["lineage_epoch"]
        batches = [loader.batch(e, i % len(loader)) for i in range(self.cfg.gm_batches)]  # the stream is untouched
        groups, scores = {}, {}
        for edge in self.units[stage]:
            if self.cfg.groups == "each":  # few-shot NAS: one sub-supernet per operation, no gradient matching
                groups[edge] = tuple((int(o),) for o in torch.nonzero(parent.model.rows()[edge]).flatten().tolist())
                continue
            ops, sim = gradient_similarity(parent.model, edge, batches, autocast=parent.runtime.autocast)
            groups[edge] = min_cut_bipartition(sim, ops)
            scores[edge] = {"ops": ops, "similarity": np.round(sim, 6).tolist()}
        masks = hierarchy_masks(parent.model.keep.cpu().numpy(), groups)
        self.trainers = [parent.spawn(m) for m in masks]
        self.st.update(phase="warm", warm_done=0, masks=[m.tolist() for m in masks],
                       groups={str(k): [list(g) for g in v] for k, v in groups.items()},
                       scores={str(k): v for k, v in scores.items()})
        self.log(f"stage {stage + 1}: split edges {self.units[stage]} into {len(masks)} sub-supernets {groups}")

    def _select(self, stage: int) -> None:
        accs = [relaxed_accuracy(t.model, self.val_images, self.val_labels, self.eval_batch) for t in self.trainers]
        best = int(np.argmax(accs))
        keep = self.trainers[best].model.keep.cpu().numpy()
        self.st["records"].append({
            "stage": stage + 1, "edges": self.units[stage], "sub_supernets": len(self.trainers), "val_acc": accs,
            "chosen": best, "groups": self.st.get("groups"), "similarity": self.st.get("scores"),
            "remaining_space": self.trainers[best].model.remaining_space(), "epoch": self.st["lineage_epoch"]})
        self.log(f"stage {stage + 1}: sub-supernet accuracies {np.round(accs, 2).tolist()}, kept {best}; "
                 f"{self.st['records'][-1]['remaining_space']} architectures remain")
        chosen = self.trainers[best]
        chosen.weight_loss = None
        self.trainers, self.teacher = [chosen], None
        self.st.update(stage=stage + 1, phase="train", masks=[keep.tolist()], warm_done=0)

    def run(self, stop_after_lineage_epoch: int | None = None) -> BilevelTrainer:
        cfg = self.cfg

        def stop() -> bool:
            return stop_after_lineage_epoch is not None and self.st["lineage_epoch"] >= stop_after_lineage_epoch

        while self.st["stage"] < len(self.units):
            stage = self.st["stage"]
            if self.st["phase"] == "train":
                trainer = self.trainers[0]
                while self.st["supernet_epoch"] < cfg.split_epochs[stage]:
                    trainer.freeze_arch = self.st["supernet_epoch"] < cfg.alpha_fixed_epochs
                    trainer.train_epoch(self.st["lineage_epoch"])
                    self.st["supernet_epoch"] += 1
                    self.st["lineage_epoch"] += 1
                    self._save()
                    if stop():
                        return trainer
                trainer.freeze_arch = False
                self._split(stage)
                self._save()
            subs = self.trainers
            self.teacher_logits = TeacherLogits(len(subs[0].train))
            for i, sub in enumerate(subs):
                sub.weight_loss = _smd(cfg, self.teacher, subs, i, self.teacher_logits)
            while self.st["warm_done"] < cfg.warm_epochs[stage]:
                for sub in subs:  # Alg. 1 line 9: each sub-supernet in turn, one epoch
                    sub.train_epoch(self.st["lineage_epoch"])
                self.st["warm_done"] += 1
                self.st["lineage_epoch"] += 1
                self._save()
                if stop():
                    return subs[0]
            self._select(stage)
            self._save()
        return self.trainers[0]

    @property
    def records(self) -> list[dict]:
        return self.st["records"]
