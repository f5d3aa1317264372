"""Evolutionary search with supernet shifting (Zhang, Wang, Qin & Yan, CVPR 2024, "Boosting Order-Preserving
and Transferability for NAS: a Joint Architecture Refined Search and Fine-tuning Approach"), the "EA with
shifting" rows of thesis Table 5.5 (§5.4: "evolutionary algorithm with supernet shifting ... for
architecture search on the trained supernet").

The evolution is SPOS's (Guo et al., 2020), as the paper's public code runs it:

- a population of ``population`` (50) candidates, at first drawn uniformly from the budget-feasible set;
- every generation the ``select`` (10) best seen so far are the parents of ``mutation`` (25) children
  (each layer re-drawn uniformly with probability ``m_prob`` 0.1) and ``crossover`` (25) children (each
  layer from one of two parents, uniformly), and the population is filled up with uniform draws;
- a child outside the FLOPs budget, or already evaluated in this generation, is rejected (at most 10 tries
  per wanted child, as the code);
- ``generations`` (20) generations; the answer is the candidate with the best latest score.

**Supernet shifting**: before a candidate is scored, the supernet is fine-tuned on that candidate's path for
``train_steps`` (20) SGD steps (lr 1e-4, momentum 0.9, weight decay 4e-5, batch 150, label smoothing 0.1:
the code's values), and the fine-tuning is kept: the supernet drifts toward the region the population
explores, so a candidate met again in a later generation is scored again on the shifted supernet. The score
is the top-1 accuracy on the run's validation images (the code: 25 batches of 500 ImageNet validation
images), each path with its own batch statistics, as every supernet score in this harness (the code uses the
running statistics after training).

Deviations, stated: weight decay applies to every parameter (the code exempts BN and biases); the budget is
the setting's MACs window (``budget_mmacs`` x [``budget_low``, 1]) rather than only an upper limit, so that
the evolution searches the set the supernet was trained on.

The search checkpoints after every generation (supernet weights, optimiser, evolution state, generators),
so a killed job resumes to the same answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from nasrepro.errors import ConfigError
from nasrepro.io import resumable_state, save_checkpoint
from nasrepro.spaces.base import Arch


@dataclass(frozen=True)
class EAShiftConfig:
    generations: int = 20
    population: int = 50
    select: int = 10
    mutation: int = 25
    crossover: int = 25
    m_prob: float = 0.1
    train_steps: int = 20
    batch_size: int = 150
    lr: float = 1e-4
    momentum: float = 0.9
    weight_decay: float = 4e-5
    label_smoothing: float = 0.1

    @classmethod
    def from_dict(cls, options: dict) -> "EAShiftConfig":
        unknown = sorted(set(options) - set(cls.__dataclass_fields__))
        if unknown:
            raise ConfigError(f"selection.ea_shift: unknown keys {unknown}; known: {sorted(cls.__dataclass_fields__)}")
        cfg = cls(**options)
        if not 1 <= cfg.select <= cfg.population or cfg.mutation + cfg.crossover > cfg.population:
            raise ConfigError(f"selection.ea_shift needs 1 <= select <= population and mutation + crossover <= "
                              f"population, got {options}")
        if cfg.generations < 1 or cfg.train_steps < 0 or not 0 <= cfg.m_prob <= 1:
            raise ConfigError(f"selection.ea_shift: generations >= 1, train_steps >= 0 and m_prob in [0, 1], got {options}")
        return cfg


@dataclass
class Candidates:
    """What the evolution needs to know about the space: uniform feasible draws, feasibility, the number of
    choices per decision, and a canonical form (aliases are one network)."""

    draw: Callable[[np.random.Generator], Arch]
    feasible: Callable[[Arch], bool]
    choices: Sequence[int]
    canonical: Callable[[Arch], Arch] = lambda a: tuple(int(v) for v in a)


@dataclass
class EAResult:
    arch: Arch
    score: float
    history: list[dict] = field(default_factory=list)
    evaluations: int = 0


def _key(arch: Arch) -> str:
    return ",".join(str(int(v)) for v in arch)


def _arch(key: str) -> Arch:
    return tuple(int(v) for v in key.split(","))


class ShiftingEvolution:
    """The search of the module docstring over ``model`` (fine-tuned in place)."""

    def __init__(self, model: torch.nn.Module, candidates: Candidates, config: EAShiftConfig, train_batches,
                 score: Callable[[list[Arch]], np.ndarray], runtime, rng: np.random.Generator,
                 checkpoint: str | Path | None = None, fingerprint: str = "", log: Callable[[str], None] = print):
        self.model, self.cand, self.cfg = model, candidates, config
        self.batches, self.score_fn, self.runtime, self.rng = train_batches, score, runtime, rng
        self.checkpoint = Path(checkpoint) if checkpoint else None
        self.fingerprint, self.log = fingerprint, log
        self.opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum,
                                   weight_decay=config.weight_decay)
        self.generation = 0
        self.population: list[Arch] = []
        self.latest: dict[str, float] = {}  # candidate -> its latest score
        self.top: list[Arch] = []
        self.history: list[dict] = []
        self.evaluations = 0

    # ------------------------------------------------------------------ one candidate
    def shift(self, arch: Arch) -> None:
        """Fine-tune the supernet on ``arch``'s path (supernet shifting)."""
        if self.cfg.train_steps == 0:
            return
        self.model.train()
        for _ in range(self.cfg.train_steps):
            x, y = next(self.batches)
            self.opt.zero_grad(set_to_none=True)
            with self.runtime.autocast():
                loss = F.cross_entropy(self.model(x, arch), y, label_smoothing=self.cfg.label_smoothing)
            loss.backward()
            self.opt.step()

    def evaluate(self, arch: Arch) -> float:
        self.shift(arch)
        acc = float(self.score_fn([arch])[0])
        self.latest[_key(arch)] = acc
        self.evaluations += 1
        return acc

    # ------------------------------------------------------------------ the generation
    def _admit(self, arch: Arch, seen: set[str]) -> bool:
        """The code's ``is_legal``: once per generation, within budget; evaluated when admitted."""
        key = _key(arch)
        if key in seen or not self.cand.feasible(arch):
            return False
        seen.add(key)
        self.evaluate(arch)
        return True

    def _children(self, make: Callable[[], Arch], wanted: int, seen: set[str]) -> list[Arch]:
        out: list[Arch] = []
        tries = 10 * wanted
        while len(out) < wanted and tries > 0:
            tries -= 1
            child = self.cand.canonical(make())
            if self._admit(child, seen):
                out.append(child)
        return out

    def _mutant(self) -> Arch:
        parent = list(self.top[int(self.rng.integers(len(self.top)))])
        for i, k in enumerate(self.cand.choices):
            if self.rng.random() < self.cfg.m_prob:
                parent[i] = int(self.rng.integers(k))
        return tuple(parent)

    def _cross(self) -> Arch:
        a = self.top[int(self.rng.integers(len(self.top)))]
        b = self.top[int(self.rng.integers(len(self.top)))]
        return tuple(int(x if self.rng.random() < 0.5 else y) for x, y in zip(a, b))

    def _fill(self, pop: list[Arch], seen: set[str]) -> list[Arch]:
        tries = 100 * self.cfg.population
        while len(pop) < self.cfg.population:
            if tries == 0:
                raise ConfigError(f"selection.ea_shift: fewer than {self.cfg.population} distinct feasible candidates "
                                  "were drawn in 100 tries each; lower ea_shift.population or widen the budget window")
            tries -= 1
            arch = self.cand.canonical(self.cand.draw(self.rng))
            if self._admit(arch, seen):
                pop.append(arch)
        return pop

    def _update_top(self) -> None:
        pool = {_key(a): a for a in [*self.top, *self.population]}
        ranked = sorted(pool, key=lambda k: (-self.latest[k], k))
        self.top = [pool[k] for k in ranked[: self.cfg.select]]

    def run(self) -> EAResult:
        self._resume()
        if self.generation == 0 and not self.population:
            self.population = self._fill([], set())
            self._save()
        while self.generation < self.cfg.generations:
            self._update_top()
            best = self.top[0]
            self.history.append({"generation": self.generation + 1, "best_score": self.latest[_key(best)],
                                 "best_arch": _key(best), "evaluations": self.evaluations})
            self.log(f"EA with shifting: generation {self.generation + 1}/{self.cfg.generations} best "
                     f"{self.latest[_key(best)]:.2f} ({self.evaluations} evaluations)")
            seen: set[str] = set()
            pop = self._children(self._mutant, self.cfg.mutation, seen)
            pop += self._children(self._cross, self.cfg.crossover, seen)
            self.population = self._fill(pop, seen)
            self.generation += 1
            self._save()
        self._update_top()
        best = self.top[0]
        return EAResult(best, self.latest[_key(best)], self.history, self.evaluations)

    # ------------------------------------------------------------------ checkpoint
    def _state(self) -> dict:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(),
                "ea": json.dumps({"generation": self.generation, "population": [_key(a) for a in self.population],
                                  "latest": self.latest, "top": [_key(a) for a in self.top],
                                  "history": self.history, "evaluations": self.evaluations}),
                "rng": json.dumps(self.rng.bit_generator.state), "torch_rng": torch.get_rng_state(),
                "batches": json.dumps(self.batches.state_dict()), "fingerprint": self.fingerprint}

    def _save(self) -> None:
        if self.checkpoint is not None:
            save_checkpoint(self.checkpoint, self._state())

    def _resume(self) -> None:
        state = resumable_state(self.checkpoint, self.fingerprint, self.log)
        if state is None:
            return
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        ea = json.loads(state["ea"])
        self.generation, self.latest = int(ea["generation"]), {k: float(v) for k, v in ea["latest"].items()}
        self.population, self.top = [_arch(k) for k in ea["population"]], [_arch(k) for k in ea["top"]]
        self.history, self.evaluations = ea["history"], int(ea["evaluations"])
        self.rng.bit_generator.state = json.loads(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        self.batches.load_state_dict(json.loads(state["batches"]))
        self.log(f"EA with shifting: resumed at generation {self.generation}/{self.cfg.generations}")
