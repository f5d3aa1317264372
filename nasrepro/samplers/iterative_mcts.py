"""Iterative MCTS (thesis Ch. 4, §4.3, Algorithm 4.1).

The tree is not fixed: after uniform initialisation (§4.3.1, the ``uniform`` phase before this sampler
starts) the architectures are ranked by the supernet's validation accuracy and a tree is built from
that ranking; MCTS (Eqs. 4.1-4.3: UCT with Boltzmann sampling among siblings and an EMA reward, i.e.
``MCTSSampler``) then samples for one iteration; at the end of every iteration the architectures are
re-ranked with the supernet trained so far, the tree is rebuilt and the node statistics restart
(Alg. 4.1, line 5: ``P <- init(T)``). ``iterations`` (M) iterations share the sampling phase equally.
The final architecture comes from the last tree with C = 0 (``select``).

Readings of what the seeds leave open (README, "How we read the seeds"):

* Tree from a ranking (§4.3.3: "a bottom-up approach iteratively merges the two nodes ... with the
  lowest average ranks"). Read literally, with the merged cluster competing again, this grows a chain
  of depth N - 1 (15,624 decisions on NB201). We read it level by level (``build_tree("ranking")``):
  each level merges the two nodes with the lowest average ranks, then the next two, and so on, and an
  odd node out (the worst) moves up unmerged; depth ceil(log2 N). It is bottom-up, so it differs from
  Fig. 3's top-down "accuracy" halving when N is not a power of two (36, 15,625).
* Ranking metric (Table 4.4): ``ranking="val"`` scores every architecture on the first
  ``rank_batches`` (B) validation mini-batches; ``ranking="ema"`` uses the leaf's moving average of
  Eq. 4.3 instead (no extra validation; unvisited leaves take the mean of the visited). The initial
  tree always uses validation accuracy: there is no moving average yet.
* ``rank_population="visited"`` scores only architectures trained so far and places the others at
  their mean, for spaces too large to score every cell each iteration on a CPU (the demo); the
  default ``"all"`` scores all of them, as §4.3.1 describes.
* M is not given in the text (Fig. 4.2a varies it); the preset states its choice.
* Fig. 4.2(a): "for each additional iteration of MCTS, total training steps is slightly increased".
  ``extra_epochs_per_iteration`` x: the run trains ``epochs * (1 + x * (M - 1))`` epochs
  (``epoch_scale``; the phases keep their fractions). The amount is not given (x is an assumption of the
  preset); the default 0 trains the setting's epochs whatever M.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from nasrepro.samplers.mcts import MCTSSampler
from nasrepro.samplers.schedules import SamplerConfigError
from nasrepro.trees.build import build_tree

RANKINGS = ("val", "ema")
RANK_POPULATIONS = ("all", "visited")


class IterativeMCTSSampler(MCTSSampler):
    name = "iterative-mcts"
    summary = "MCTS on a tree rebuilt from the supernet ranking each iteration"
    phase_plan = "warmup"  # §4.3.1: uniform training first, then M tree iterations

    def __init__(
        self,
        encodings: np.ndarray,
        choices: list[int],
        iterations: int = 3,
        ranking: str = "val",
        rank_batches: int = 3,
        rank_population: str = "all",
        extra_epochs_per_iteration: float = 0.0,
        **mcts_options: Any,
    ):
        if float(mcts_options.get("reg", 0.0)) > 0:
            raise SamplerConfigError("reg > 0 needs the default tree's operations; iterative MCTS rebuilds "
                                     "its tree from accuracies, which have none")
        # The tree is rebuilt from rankings; until the first ranking it is the default layer-by-layer one.
        super().__init__(encodings, choices, **mcts_options)
        if int(iterations) < 1:
            raise SamplerConfigError(f"iterations (M of Alg. 4.1) must be >= 1, got {iterations}")
        if ranking not in RANKINGS:
            raise SamplerConfigError(f"ranking must be one of {RANKINGS}, got {ranking!r}")
        if rank_population not in RANK_POPULATIONS:
            raise SamplerConfigError(f"rank_population must be one of {RANK_POPULATIONS}, got {rank_population!r}")
        if int(rank_batches) < 1:
            raise SamplerConfigError(f"rank_batches (B of Table 4.4) must be >= 1, got {rank_batches}")
        self.iterations = int(iterations)
        if not float(extra_epochs_per_iteration) >= 0:
            raise SamplerConfigError(f"extra_epochs_per_iteration must be >= 0, got {extra_epochs_per_iteration}")
        self.epoch_scale = 1.0 + float(extra_epochs_per_iteration) * (self.iterations - 1)
        self.ranking = ranking
        self.rank_batches = int(rank_batches)
        self.rank_population = rank_population
        self.round = -1
        self.score: Callable[[Sequence[int], int], np.ndarray] | None = None
        self.trained: Callable[[], np.ndarray] | None = None

    def bind(self, trainer) -> None:
        self.score = trainer.val_scores
        self.trained = lambda: trainer.visits > 0

    # ------------------------------------------------------------------ re-ranking
    def ranking_scores(self) -> np.ndarray:
        """Score of every architecture used to build the next tree (higher = better)."""
        n = self.population_size
        if self.ranking == "ema" and self.round >= 0:
            leaf_nodes = self.tree.node_of_leaf
            has = self.has[leaf_nodes]
            vals = self.value[leaf_nodes]
            fill = float(vals[has].mean()) if has.any() else 0.0
            return np.where(has, vals, fill)
        if self.score is None:
            raise RuntimeError("iterative MCTS ranks with the supernet: the trainer binds sampler.score")
        if self.rank_population == "all":
            return np.asarray(self.score(np.arange(n), self.rank_batches), dtype=np.float64)
        seen = np.flatnonzero(self.trained()) if self.trained is not None else np.arange(0)
        out = np.zeros(n, dtype=np.float64)
        if seen.size:
            out[seen] = self.score(seen, self.rank_batches)
            out[np.setdiff1d(np.arange(n), seen)] = out[seen].mean()
        return out

    def rebuild(self) -> None:
        """Alg. 4.1 lines 19 and 5: a new tree from the current ranking, statistics restarted."""
        tree, _ = build_tree("ranking", accuracies=self.ranking_scores())
        self._set_tree(tree)
        self._reset_statistics()

    def set_progress(self, fraction: float) -> None:
        super().set_progress(fraction)
        target = min(int(self.progress * self.iterations), self.iterations - 1)
        if target != self.round:
            self.rebuild()
            self.round = target

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["round"] = self.round
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.round = int(state["round"])
