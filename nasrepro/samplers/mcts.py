"""MCTS over a static search tree (paper §4 "Search and training", Algorithm 1; thesis §3.4, §4.3.2).

The tree is fully pre-expanded (no expansion or roll-out): leaves are the population's architectures,
internal nodes are groups of them -- the default layer-by-layer tree of Su et al. (2021a) or a learned /
accuracy / random / encoding tree from ``nasrepro.trees.build_tree``.

Sampling (Eq. 2): from the root, each level picks a child by Boltzmann sampling over the siblings,
``p(a_i) = exp(R(a_i)/T) / Σ_j exp(R(a_j)/T)``, with the annealed temperature ``T`` (``schedule``,
``t_start``, ``t_end``; paper: linear 0.02 -> 0.0025 on Pooling) and the UCT value (Eq. 3)

    R(a_i) = C(a_i) + λ sqrt(log(|parent(a_i)|) / |a_i|)

where ``|x|`` counts the visits of node ``x`` and ``C`` is the EMA-smoothed validation accuracy (Eq. 4)

    C(a_i) <- β C(a_i) + (1 - β) Acc(f_a(X_val, w)),   β = 0.95, λ = 0.5 in all paper experiments,

back-propagated from the leaf to the root after every training step (``update``). Rewards are
accuracies in [0, 1] (the temperatures are on that scale).

Details the seeds leave open, as implemented here:

* unvisited nodes (|a_i| = 0): the UCT bonus is infinite, so while λ > 0 a node's unvisited children are
  tried first (uniformly among them) -- the classic UCT rule. With λ = 0 (final selection) an
  unvisited node is scored with the nearest visited ancestor's C;
* ``ema_init="first"`` (default): the first reward initialises C (a zero-initialised EMA would rank
  rarely visited nodes by visit count); ``"zero"`` is Eq. 4 literally from C = 0;
* the root is updated like every node (its count is |parent| of the first level).

Node communication (``reg > 0``; "MCTS + Reg.", Su et al. 2021a): the paper describes it as "at each
update of a specific node, all other equivalent nodes (nodes at the same level with the same operation)
are updated similarly using an exponential moving average", which "enforces the node independence
assumption in a soft way by a regularization coefficient". Here every equivalent node ``u`` of a node on
the updated path (same depth, same option in the default tree) receives the EMA step scaled by ``reg``,
``C(u) <- C(u) + reg (1 - β) (r - C(u))`` (its visit count is unchanged; an equivalent node without an
estimate takes ``r``). ``reg = 0`` is plain MCTS; ``reg = 1`` gives equivalent nodes the same
EMA as the visited one, i.e. per-(layer, operation) statistics: node independence. Su et al. phrase
their version as a per-(layer, operation) moving average added to the node's value with a coefficient;
this is the soft form the seeds describe. It needs a tree whose nodes carry operations (the default tree).

Training phases (thesis Appendix I.1: "for MCTS methods, we split training iterations to roughly
40/25/35 fractions for uniform sampling/MCTS warm-up/MCTS sampling"): (1) 40% uniform sampling that
trains the warm-up supernet used for the output distance matrix and the learned tree (Algorithm 1, lines
2-12; the MCTS supernet is then trained from a fresh initialisation); (2) 25% "MCTS warm-up": uniform
sampling while the UCT statistics are recorded -- the trainer's ``explore`` phase draws uniformly and
calls ``update``, which records C and the counts; (3) 35% MCTS sampling with Eq. 2-4 (the trainer
drives the temperature with ``set_progress`` over this phase). ``phase_plan = "mcts"`` asks for them. This matches
NAS-Bench-Macro exactly (80 warm-up + 120 search epochs = 40/60%) and Pooling roughly (300 + 400 epochs).

Final selection (``select``): the paper samples "with λ = 0" (pure exploitation). ``select(1, rng)`` is
the maximum-probability path -- the greedy descent taking the child with the largest C at every level
(Pooling: "we only consider nodes with max probabilities"); ``select(k > 1, rng)`` draws ``k`` samples
with λ = 0 at the current temperature and returns them deduplicated in draw order (NAS-Bench-Macro:
50 samples, ranked by the caller on validation data).

``probabilities()`` is exact: p(leaf) = product of the Eq. 2 probabilities along its path, evaluated
for all nodes at once with the current λ and T (it describes the MCTS policy, also while exploring).

Cost: ``sample`` walks one path with scalar arithmetic (1-2 µs per branching level); ``update`` is
one vectorised update of the path (plus the equivalent nodes when ``reg > 0``). Measured medians on
2 CPU cores (``measure_overhead``): Pooling (N = 36, 9-level default tree) 6 µs sample / 5 µs update;
3^8 = 6,561 default tree 16 / 5 µs (with ``reg`` 16 / 29 µs); 5^6 = 15,625 default tree 16 / 5 µs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nasrepro.samplers.schedules import (
    AnnealedSampler,
    SamplerConfigError,
    check_unit_interval,
    ema,
    from_state,
    to_state,
)
from nasrepro.trees.tree import Tree


class MCTSSampler(AnnealedSampler):
    name = "mcts"
    structure = "hierarchical"
    summary = "conditional probabilities down the tree (UCT + Boltzmann among siblings)"
    phase_plan = "mcts"  # search.phases: uniform / explore (the MCTS warm-up) / sample

    def __init__(
        self,
        encodings: np.ndarray,
        choices: list[int],
        tree: Tree | dict | None = None,
        lam: float = 0.5,
        reg: float = 0.0,
        tree_paths: Any = None,
        **annealing: Any,
    ):
        super().__init__(encodings, choices, **annealing)
        self.reg = check_unit_interval("reg", reg, closed_right=True)
        self.lam = float(lam)
        if not (math.isfinite(self.lam) and self.lam >= 0):
            raise SamplerConfigError(f"lam must be a non-negative number, got {lam}")
        if tree is not None and tree_paths is not None:
            raise SamplerConfigError("pass either tree= or tree_paths=, not both")
        if tree is None:
            paths = self.encodings if tree_paths is None else tree_paths
            try:
                tree = Tree.from_paths(paths)
            except ValueError as exc:
                raise SamplerConfigError(f"cannot build the default tree: {exc}") from None
        elif isinstance(tree, dict):
            tree = Tree.from_state_dict(tree)
        elif not isinstance(tree, Tree):
            raise SamplerConfigError(f"tree must be a nasrepro.trees.Tree or its state dict, got {type(tree)}")
        self._set_tree(tree)
        self._reset_statistics()

    # ------------------------------------------------------------------ setup
    def _set_tree(self, tree: Tree) -> None:
        if tree.num_leaves != self.population_size:
            raise SamplerConfigError(
                f"tree has {tree.num_leaves} leaves but the population has {self.population_size} architectures"
            )
        if self.reg > 0 and not tree.has_operations():
            raise SamplerConfigError(
                "reg > 0 (node communication) needs a tree whose nodes carry operations (the default tree)"
            )
        self.tree = tree
        self._kids = tree.children
        self._leaf_of = tree.leaf_index.tolist()
        self._path_ptr = tree.path_ptr
        self._path_nodes = tree.path_nodes
        branching = (tree.num_children >= 2).astype(np.int64)
        per_leaf = np.add.reduceat(branching[tree.path_nodes], tree.path_ptr[:-1]) if tree.num_leaves else 0
        self._max_branch = max(1, int(np.max(per_leaf)))
        if self.reg > 0:
            self._node_class, self._class_ptr, self._class_nodes = tree.equivalence_classes()
        # vectorised probabilities: sibling groups in CSR order
        internal = np.flatnonzero(tree.num_children > 0)
        self._grp_start = tree.child_ptr[internal]
        self._grp_of_child = np.repeat(np.arange(internal.size), tree.num_children[internal])
        self._child_parent = tree.parent[tree.child_ids]

    def _reset_statistics(self) -> None:
        m = self.tree.num_nodes
        self.visits = np.zeros(m, dtype=np.int64)
        self.value = np.zeros(m, dtype=np.float64)  # C of Eq. 4
        self.has = np.zeros(m, dtype=bool) if self.ema_init == "first" else np.ones(m, dtype=bool)

    # ------------------------------------------------------------------ sampling
    def _descend(self, lam: float, temp: float, us: list[float] | None) -> int:
        """Walk root -> leaf; ``us`` gives one uniform per branching level (None: greedy argmax)."""
        value, visits, has, kids = self.value, self.visits, self.has, self._kids
        v = self.tree.root
        eff = value.item(v) if has.item(v) else 0.0
        inv_t = 1.0 / temp
        step = 0
        while True:
            ch = kids[v]
            k = len(ch)
            if k == 0:
                return self._leaf_of[v]
            if k == 1:
                v = ch[0]
            else:
                unvisited: list[int] = []
                vals: list[float] = []
                if lam > 0.0:
                    nv = visits.item(v)
                    logp = math.log(nv) if nv > 1 else 0.0
                    for c in ch:
                        nc = visits.item(c)
                        if nc == 0:
                            unvisited.append(c)
                        else:
                            vals.append(value.item(c) + lam * math.sqrt(logp / nc))
                else:
                    for c in ch:
                        vals.append(value.item(c) if has.item(c) else eff)
                if us is None:  # greedy: first child with the largest value (unvisited-first if lam > 0)
                    if unvisited:
                        v = unvisited[0]
                    else:
                        best = max(vals)
                        v = ch[vals.index(best)]
                else:
                    u = us[step]
                    step += 1
                    if unvisited:
                        v = unvisited[min(int(u * len(unvisited)), len(unvisited) - 1)]
                    else:
                        top = max(vals)
                        ws = [math.exp((x - top) * inv_t) for x in vals]
                        thr = u * sum(ws)
                        acc = 0.0
                        pick = k - 1
                        for j, w in enumerate(ws):
                            acc += w
                            if thr < acc:
                                pick = j
                                break
                        v = ch[pick]
            if has.item(v):
                eff = value.item(v)

    def sample(self, rng: np.random.Generator) -> int:
        us = rng.random(self._max_branch).tolist()
        return self._descend(self.lam, self.temperature(), us)

    def select(self, k: int, rng: np.random.Generator) -> list[int]:
        """Final candidates with λ = 0: the max-probability path for k = 1, else k deduplicated samples."""
        k = int(k)
        if k < 1:
            return []
        temp = self.temperature()
        if k == 1:
            return [self._descend(0.0, temp, None)]
        out: list[int] = []
        seen: set[int] = set()
        for _ in range(k):
            i = self._descend(0.0, temp, rng.random(self._max_branch).tolist())
            if i not in seen:
                seen.add(i)
                out.append(i)
        return out

    # ------------------------------------------------------------------ updates
    def update(self, index: int, reward: float) -> None:
        i = int(index)
        path = self._path_nodes[self._path_ptr[i] : self._path_ptr[i + 1]]
        r = float(reward)
        old = self.value[path]
        had = self.has[path]
        if self.reg > 0.0:
            self._communicate(path, r)
        self.value[path] = ema(old, r, self.beta, had)
        self.has[path] = True
        self.visits[path] += 1

    def _communicate(self, path: np.ndarray, r: float) -> None:
        """Soft EMA step (rate reg * (1 - β)) on every node equivalent to a node of ``path``."""
        cls = self._node_class[path]
        ptr, nodes = self._class_ptr, self._class_nodes
        parts = [nodes[ptr[c] : ptr[c + 1]] for c in cls[cls >= 0].tolist()]
        if not parts:
            return
        members = np.concatenate(parts)
        rate = self.reg * (1.0 - self.beta)
        old = self.value[members]
        new = old + rate * (r - old)
        if self.ema_init == "first":
            new = np.where(self.has[members], new, r)
        self.value[members] = new
        self.has[members] = True

    # ------------------------------------------------------------------ exact probabilities
    def node_probabilities(self, lam: float | None = None, temperature: float | None = None) -> np.ndarray:
        """Eq. 2 probability of every node given its parent (root: 1), for all nodes at once."""
        lam = self.lam if lam is None else float(lam)
        temp = self.temperature() if temperature is None else float(temperature)
        tree = self.tree
        m = tree.num_nodes
        q = np.ones(m, dtype=np.float64)
        ch = tree.child_ids
        if ch.size == 0:
            return q
        # C with unvisited nodes inheriting the nearest initialised ancestor's value (root: 0)
        eff = np.zeros(m, dtype=np.float64)
        root = tree.root
        eff[root] = self.value[root] if self.has[root] else 0.0
        for lv in tree.levels[1:]:
            eff[lv] = np.where(self.has[lv], self.value[lv], eff[tree.parent[lv]])
        par = self._child_parent
        grp = self._grp_of_child
        starts = self._grp_start
        if lam > 0.0:
            nc = self.visits[ch]
            npar = self.visits[par]
            logp = np.log(np.maximum(npar, 1)).astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                bonus = lam * np.sqrt(logp / np.maximum(nc, 1))
            r = np.where(nc > 0, eff[ch] + bonus, np.inf)
        else:
            r = eff[ch]
        inf = np.isinf(r)
        n_inf = np.add.reduceat(inf.astype(np.int64), starts)
        finite = np.where(inf, -np.inf, r)
        top = np.maximum.reduceat(finite, starts)
        with np.errstate(invalid="ignore", over="ignore"):
            w = np.exp((finite - top[grp]) * (1.0 / temp))
        w = np.where(inf, 0.0, w)
        has_inf = n_inf[grp] > 0
        w = np.where(has_inf, inf.astype(np.float64), w)
        s = np.add.reduceat(w, starts)
        q[ch] = w / s[grp]
        return q

    def probabilities(self) -> np.ndarray:
        q = self.node_probabilities()
        tree = self.tree
        p = np.empty(tree.num_nodes, dtype=np.float64)
        p[tree.root] = 1.0
        for lv in tree.levels[1:]:
            p[lv] = p[tree.parent[lv]] * q[lv]
        return p[tree.node_of_leaf]

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state.update(
            {
                "beta": self.beta,
                "lam": self.lam,
                "reg": self.reg,
                "ema_init": self.ema_init,
                "tree": self.tree.state_dict(),
                "visits": to_state(self.visits),
                "value": to_state(self.value),
                "has": to_state(self.has),
            }
        )
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.beta = float(state["beta"])
        self.lam = float(state["lam"])
        self.reg = float(state["reg"])
        self.ema_init = str(state["ema_init"])
        tree = Tree.from_state_dict(state["tree"])
        if not tree.same_structure(self.tree):
            self._set_tree(tree)
        elif self.reg > 0 and not hasattr(self, "_node_class"):
            self._set_tree(self.tree)
        self.visits = from_state(state["visits"], np.int64)
        self.value = from_state(state["value"], np.float64)
        self.has = from_state(state["has"], bool)
        if self.visits.size != self.tree.num_nodes:
            raise SamplerConfigError("state statistics do not match the tree")
