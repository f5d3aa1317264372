"""Building search trees: default (layer by layer), learned (clustered outputs), accuracy, random, encodings.

``build_tree(kind, ...) -> (Tree, info)``. The kinds follow the paper (seed 000) and thesis Chapter 3:

``default``
    Su et al. (2021a): one tree level per decision of ``tree_paths`` [N, depth] (a space's
    ``SearchSpace.tree_paths``), branching on the option taken; the nodes carry that option as their
    ``op`` so that "equivalent nodes" (same level, same operation) are defined for MCTS + Reg.
``learned``
    The paper's method (§4, Algorithm 1): ``outputs`` [N, B, C] are the logits of every architecture on
    one validation batch of B images. They are normalised per image with a softmax over the C classes
    ("normalized logits", Appendix B) and compared pairwise with
      * ``l2``  -- Euclidean distance between the concatenated probability vectors (B*C values);
      * ``kl``  -- symmetrised KL divergence, ``0.5 * (KL(p_i||p_j) + KL(p_j||p_i))`` averaged over the B
        images. KL itself is not symmetric while agglomerative clustering needs one dissimilarity per
        pair; the symmetric mean (half the Jeffreys divergence) is zero exactly on identical outputs;
      * ``ce``  -- symmetrised cross-entropy ``0.5 * (H(p_i, p_j) + H(p_j, p_i))`` averaged over images
        (its "self-distance" is the entropy, not 0; the diagonal is not used by clustering).
    Paper defaults: average linkage; L2 "unless specified otherwise", KL for the Pooling space
    (Appendix B / thesis Appendix I.1; Table 7 compares the three).
    The condensed distance vector is computed in row blocks with float64 matrix products
    (``|x|^2 + |y|^2 - 2 x.y`` for L2, ``H_i + H_j - X_ij - X_ji`` with ``X = P (log P)^T`` for KL): one
    N(N-1)/2 vector is about 1 GB for N = 15,625 (64 images x 10 classes: KL + average linkage +
    cophenetic correlation take about 33 s and 2.6 GB peak on 2 cores). ``scipy.cluster.hierarchy.linkage`` (single /
    complete / average / ward) turns it into a binary tree; ward's update formula is only valid for
    Euclidean distances, so ward is accepted with ``l2`` only (and raises otherwise).
``accuracy``
    Paper §5.2 / Fig. 3: recursive split of the architectures sorted by supernet accuracy into the top
    50% and the bottom 50% (the better half gets the extra element when the size is odd), down to
    single architectures. Children are ordered (better, worse).
``ranking``
    Thesis §4.3.3 (iterative MCTS): bottom-up merges over the architectures ranked by supernet accuracy.
    Each level pairs its nodes in rank order -- the two with the lowest average ranks, then the next two,
    and so on -- and a node left over at an odd level (the worst) moves up unmerged. It equals
    ``accuracy`` when N is a power of two and differs otherwise (N = 36: ``accuracy`` splits 18/18,
    9/9, 5/4; here the last four architectures join only at the root). Children are ordered (better, worse).
``random``
    Paper Fig. 4: a seeded random symmetric dissimilarity matrix (i.i.d. uniform entries of the
    condensed vector) clustered with the same linkage.
``onehot`` / ``vector``
    Zero-cost encoding trees (paper Table 2 / thesis Table 3.2): the one-hot encoding of the option of
    every decision, or the categorical vector itself, compared with the L2 distance (``hamming`` also
    accepted) and clustered the same way. ``layer_weighting=True`` applies the "exponential weighting
    scheme to increase the influence of earlier layers on distance": the coordinates of decision
    ``l`` (0 = first layer) are multiplied by ``layer_decay ** l`` (default 0.5). The seeds do not give
    the base of the exponential; 0.5 is our choice and is recorded in ``info``.
"""

from __future__ import annotations

from collections import deque

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from nasrepro.errors import ConfigError
from nasrepro.trees.tree import Tree

LINKAGES = ("single", "complete", "average", "ward")
OUTPUT_DISTANCES = ("l2", "kl", "ce")
ENCODING_DISTANCES = ("l2", "hamming")


class TreeBuildError(ConfigError, ValueError):
    """Bad arguments to ``build_tree`` (a ``ConfigError`` for the CLI, a ``ValueError`` for callers)."""


def _to_numpy(x: Any, dtype=np.float64) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=dtype)


def condensed_index(n: int, i: np.ndarray | int, j: np.ndarray | int):
    """Position of pair (i, j), i < j, in a scipy condensed distance vector of n points."""
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    return n * i - i * (i + 1) // 2 + (j - i - 1)


def _default_chunk(n: int) -> int:
    return max(1, min(n, (1 << 24) // max(n, 1)))


def _fill_condensed(out: np.ndarray, n: int, start: int, block: np.ndarray) -> None:
    """Copy the strict upper triangle of rows ``start..`` of a block holding columns ``start..n-1``."""
    for r in range(block.shape[0]):
        i = start + r
        length = n - i - 1
        if length <= 0:
            continue
        pos = n * i - i * (i + 1) // 2
        out[pos : pos + length] = block[r, r + 1 :]


def pairwise_output_distances(
    outputs: Any,
    distance: str = "kl",
    normalize: str = "softmax",
    chunk_size: int | None = None,
) -> np.ndarray:
    """Condensed float64 distance vector between architectures' outputs [N, B, C] (see module doc)."""
    import torch

    if distance not in OUTPUT_DISTANCES:
        raise TreeBuildError(f"unknown output distance {distance!r}; known: {', '.join(OUTPUT_DISTANCES)}")
    if normalize not in ("softmax", "none"):
        raise TreeBuildError(f"unknown normalisation {normalize!r}; use 'softmax' or 'none'")
    if normalize == "none" and distance != "l2":
        raise TreeBuildError(f"distance {distance!r} compares probability distributions: use normalize='softmax'")
    x = torch.as_tensor(_to_numpy(outputs)) if not hasattr(outputs, "detach") else outputs.detach().cpu()
    x = x.to(torch.float64)
    if x.ndim == 2:
        x = x[:, None, :]
    if x.ndim != 3 or x.shape[0] < 2:
        raise TreeBuildError("outputs must be [N, B, C] logits with N >= 2 architectures")
    if not torch.isfinite(x).all():
        raise TreeBuildError("outputs contain NaN or infinite logits")
    n, b, c = x.shape
    if normalize == "softmax":
        logp = torch.log_softmax(x, dim=2).reshape(n, b * c)
        p = logp.exp()
    else:
        p = x.reshape(n, b * c)
        logp = None
    chunk = chunk_size or _default_chunk(n)
    out = np.empty(n * (n - 1) // 2, dtype=np.float64)
    if distance == "l2":
        sq = (p * p).sum(1)
        for s in range(0, n, chunk):
            e = min(n, s + chunk)
            g = p[s:e] @ p[s:].T
            d2 = sq[s:e, None] + sq[None, s:] - 2.0 * g
            _fill_condensed(out, n, s, d2.clamp_min_(0.0).sqrt_().numpy())
    else:
        h = (p * logp).sum(1)  # sum over images of sum_c p log p (negative entropies)
        for s in range(0, n, chunk):
            e = min(n, s + chunk)
            x_ij = p[s:e] @ logp[s:].T  # sum p_i log p_j
            x_ji = logp[s:e] @ p[s:].T  # sum p_j log p_i
            if distance == "kl":
                blk = 0.5 * (h[s:e, None] + h[None, s:] - x_ij - x_ji) / b
                blk.clamp_min_(0.0)
            else:  # symmetrised cross-entropy
                blk = -0.5 * (x_ij + x_ji) / b
            _fill_condensed(out, n, s, blk.numpy())
    return out


def encoding_features(
    encodings: Any,
    kind: str,
    choices: list[int] | None = None,
    layer_weighting: bool = False,
    layer_decay: float = 0.5,
) -> np.ndarray:
    """Feature matrix of the ``onehot`` or ``vector`` encoding, optionally exponentially layer-weighted."""
    enc = _to_numpy(encodings, np.int64)
    if enc.ndim != 2:
        raise TreeBuildError("encodings must be an [N, D] integer array")
    n, d = enc.shape
    if not 0.0 < layer_decay <= 1.0:
        raise TreeBuildError(f"layer_decay must be in (0, 1], got {layer_decay}")
    weights = layer_decay ** np.arange(d, dtype=np.float64) if layer_weighting else np.ones(d)
    if kind == "vector":
        return enc.astype(np.float64) * weights[None, :]
    if kind != "onehot":
        raise TreeBuildError(f"unknown encoding kind {kind!r}")
    if choices is None:
        choices = (enc.max(axis=0) + 1).tolist()
    choices = [int(k) for k in choices]
    if len(choices) != d or np.any(enc < 0) or np.any(enc >= np.asarray(choices)[None, :]):
        raise TreeBuildError("encodings do not fit the given choices per decision")
    offsets = np.concatenate([[0], np.cumsum(choices)[:-1]]).astype(np.int64)
    feats = np.zeros((n, int(sum(choices))), dtype=np.float64)
    rows = np.repeat(np.arange(n), d)
    cols = (enc + offsets[None, :]).ravel()
    feats[rows, cols] = np.tile(weights, n)
    return feats


def _euclidean_condensed(feats: np.ndarray, chunk_size: int | None = None) -> np.ndarray:
    return pairwise_output_distances(feats[:, None, :], distance="l2", normalize="none", chunk_size=chunk_size)


def _hamming_condensed(enc: np.ndarray, weights: np.ndarray) -> np.ndarray:
    n = enc.shape[0]
    out = np.empty(n * (n - 1) // 2, dtype=np.float64)
    for i in range(n - 1):
        pos = n * i - i * (i + 1) // 2
        out[pos : pos + n - i - 1] = ((enc[i + 1 :] != enc[i]) * weights).sum(1)
    return out


def _correlation(a: np.ndarray, b: np.ndarray, block: int = 1 << 22) -> float:
    """Pearson correlation of two long vectors in blocks (scipy's cophenet makes several full copies)."""
    n = a.size
    ma = sum(float(a[s : s + block].sum()) for s in range(0, n, block)) / n
    mb = sum(float(b[s : s + block].sum()) for s in range(0, n, block)) / n
    sab = saa = sbb = 0.0
    for s in range(0, n, block):
        da = a[s : s + block] - ma
        db = b[s : s + block] - mb
        sab += float(da @ db)
        saa += float(da @ da)
        sbb += float(db @ db)
    if saa <= 0 or sbb <= 0:
        return float("nan")
    return sab / np.sqrt(saa * sbb)


def _cluster(condensed: np.ndarray, linkage: str, euclidean: bool, cophenetic: bool) -> tuple[Tree, dict]:
    from scipy.cluster import hierarchy

    if linkage not in LINKAGES:
        raise TreeBuildError(f"unknown linkage {linkage!r}; known: {', '.join(LINKAGES)}")
    t0 = time.perf_counter()
    z = hierarchy.linkage(condensed, method=linkage)
    info: dict[str, Any] = {"linkage_matrix": z, "seconds_linkage": time.perf_counter() - t0}
    if linkage == "ward" and not euclidean:
        # Paper Table 9 runs every linkage on the Pooling KL matrix. Ward's Lance-Williams update is
        # still defined there (scipy applies it to any dissimilarity) but loses its variance meaning.
        info["ward_on_non_euclidean"] = True
    if cophenetic:
        t0 = time.perf_counter()
        info["cophenetic_correlation"] = _correlation(hierarchy.cophenet(z), condensed)
        info["seconds_cophenetic"] = time.perf_counter() - t0
    return Tree.from_linkage(z), info


def _accuracy_tree(acc: np.ndarray) -> Tree:
    n = acc.size
    order = np.lexsort((np.arange(n), -acc))  # best first, ties by index
    parent: list[int] = [-1]
    leaf_index: list[int] = [-1]
    stack = [(0, order)]
    while stack:
        node, members = stack.pop()
        if members.size == 1:
            leaf_index[node] = int(members[0])
            continue
        half = (members.size + 1) // 2
        for part in (members[:half], members[half:]):
            parent.append(node)
            leaf_index.append(-1)
            stack.append((len(parent) - 1, part))
    return Tree(parent=parent, leaf_index=leaf_index)


def _ranking_tree(acc: np.ndarray) -> Tree:
    order = np.lexsort((np.arange(acc.size), -acc))  # best first, ties by index
    # A node is a leaf (population index) or a (better, worse) pair; merge level by level.
    level: list = [int(i) for i in order]
    while len(level) > 1:
        merged = [(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = merged + level[len(merged) * 2:]  # the odd node out is carried up unmerged
    parent: list[int] = []
    leaf_index: list[int] = []
    queue = deque([(level[0], -1)])  # breadth first, so node ids follow (better, worse) order
    while queue:
        node, up = queue.popleft()
        parent.append(up)
        me = len(parent) - 1
        if isinstance(node, tuple):
            leaf_index.append(-1)
            queue.extend((child, me) for child in node)
        else:
            leaf_index.append(node)
    return Tree(parent=parent, leaf_index=leaf_index)


@dataclass
class TreeInputs:
    """What a tree builder may use: the population's encodings and default-tree paths, the warm-up
    supernet's outputs and accuracies (``from_warmup`` builders only), and the build options."""

    encodings: Any = None
    tree_paths: Any = None
    outputs: Any = None
    accuracies: Any = None
    distance: str | None = None
    linkage: str = "average"
    layer_weighting: bool = False
    seed: int = 0
    choices: list[int] | None = None
    layer_decay: float = 0.5
    normalize: str = "softmax"
    cophenetic: bool = True
    chunk_size: int | None = None

    def need(self, name: str, kind: str) -> Any:
        value = getattr(self, name)
        if value is None:
            raise TreeBuildError(f"tree kind {kind!r} needs {name}=")
        return value


def from_warmup(builder: Callable) -> Callable:
    """Mark a builder that reads the uniform warm-up supernet's outputs (paper Algorithm 1): a method
    with such a tree needs the warm-up job and is charged for its time."""
    builder.from_warmup = True
    return builder


def default_tree(kind: str, inp: TreeInputs) -> tuple[Tree, dict]:
    paths = inp.tree_paths if inp.tree_paths is not None else inp.need("encodings", kind)
    try:
        return Tree.from_paths(paths), {}
    except ValueError as exc:
        raise TreeBuildError(str(exc)) from None


def _accuracies(inp: TreeInputs, kind: str) -> np.ndarray:
    acc = _to_numpy(inp.need("accuracies", kind)).ravel()
    if acc.size == 0 or not np.all(np.isfinite(acc)):
        raise TreeBuildError("accuracies must be a non-empty finite vector")
    return acc


@from_warmup
def accuracy_tree(kind: str, inp: TreeInputs) -> tuple[Tree, dict]:
    return _accuracy_tree(_accuracies(inp, kind)), {}


@from_warmup
def ranking_tree(kind: str, inp: TreeInputs) -> tuple[Tree, dict]:
    return _ranking_tree(_accuracies(inp, kind)), {}


def _clustered(condensed: np.ndarray, dist: str, euclidean: bool, inp: TreeInputs, info: dict
               ) -> tuple[Tree, dict]:
    if condensed.size == 0:
        raise TreeBuildError("clustering needs at least two architectures")
    tree, cinfo = _cluster(condensed, inp.linkage, euclidean, inp.cophenetic)
    return tree, {**info, **cinfo, "distance": dist, "linkage": inp.linkage, "condensed": condensed}


@from_warmup
def learned_tree(kind: str, inp: TreeInputs) -> tuple[Tree, dict]:
    t0 = time.perf_counter()
    dist = inp.distance or "kl"
    condensed = pairwise_output_distances(inp.need("outputs", kind), dist, normalize=inp.normalize,
                                          chunk_size=inp.chunk_size)
    info = {"normalize": inp.normalize, "seconds_distance": time.perf_counter() - t0}
    return _clustered(condensed, dist, dist == "l2", inp, info)


def random_tree(kind: str, inp: TreeInputs) -> tuple[Tree, dict]:
    population = next((c for c in (inp.accuracies, inp.encodings, inp.outputs, inp.tree_paths) if c is not None), None)
    if population is None:
        raise TreeBuildError("tree kind 'random' needs the population: pass encodings=")
    n = len(population)
    condensed = np.random.default_rng(inp.seed).random(n * (n - 1) // 2)
    return _clustered(condensed, "random", False, inp, {"seed": int(inp.seed), "seconds_distance": 0.0})


def encoding_tree(kind: str, inp: TreeInputs) -> tuple[Tree, dict]:
    t0 = time.perf_counter()
    # kl / ce are defined on output distributions only; encoding trees then use L2 (the paper's
    # default metric), so a preset-wide ``distance: kl`` does not break the encoding ablation.
    dist = inp.distance if inp.distance in ENCODING_DISTANCES else "l2"
    if inp.distance is not None and inp.distance not in ENCODING_DISTANCES + OUTPUT_DISTANCES:
        raise TreeBuildError(f"encoding trees use {', '.join(ENCODING_DISTANCES)} distances, got {inp.distance!r}")
    enc = _to_numpy(inp.need("encodings", kind), np.int64)
    feats = encoding_features(enc, kind, inp.choices, inp.layer_weighting, inp.layer_decay)  # validates inputs
    if dist == "hamming":
        d = enc.shape[1]
        w = inp.layer_decay ** np.arange(d, dtype=np.float64) if inp.layer_weighting else np.ones(d)
        condensed, euclidean = _hamming_condensed(enc, w), False
    else:
        condensed, euclidean = _euclidean_condensed(feats, inp.chunk_size), True
    info = {"layer_weighting": bool(inp.layer_weighting),
            "layer_decay": float(inp.layer_decay) if inp.layer_weighting else None,
            "seconds_distance": time.perf_counter() - t0}
    return _clustered(condensed, dist, euclidean, inp, info)


def tree_builder(kind: str) -> Callable[[str, TreeInputs], tuple[Tree, dict]]:
    """The builder behind a registered tree kind (``nasrepro.trees.TREES``) or a ``module:function``
    plug-in."""
    from nasrepro.registry import resolve
    from nasrepro.trees import TREES

    return resolve(TREES, kind, "tree kind")


def needs_warmup_outputs(kind: str | None) -> bool:
    """Whether a tree of ``kind`` is built from the warm-up supernet's outputs (None: no tree)."""
    return kind is not None and getattr(tree_builder(kind), "from_warmup", False)


def build_tree(kind: str, **inputs: Any) -> tuple[Tree, dict[str, Any]]:
    """Build a search tree of the given ``kind`` (see the module docstring); returns ``(tree, info)``.

    ``inputs`` are the fields of ``TreeInputs``. ``distance`` defaults to ``"kl"`` for ``learned``;
    ``onehot``/``vector`` use ``"l2"`` unless ``distance="hamming"`` (the output-only ``"kl"``/``"ce"`` fall
    back to ``"l2"`` there). ``info`` holds ``kind``, ``seconds`` and, for clustered kinds, ``distance``,
    ``linkage``, the ``condensed`` distance vector (float64, scipy order), the ``linkage_matrix`` and the
    ``cophenetic_correlation``.
    """
    t0 = time.perf_counter()
    try:
        builder = tree_builder(kind)
    except ConfigError:
        from nasrepro.trees import TREES

        raise TreeBuildError(f"unknown tree kind {kind!r}; known: {', '.join(TREES)}") from None
    try:
        inp = TreeInputs(**inputs)
    except TypeError as exc:
        raise TreeBuildError(f"bad tree inputs: {exc}") from None
    tree, info = builder(kind, inp)
    return tree, {"kind": kind, **info, "seconds": time.perf_counter() - t0}


__all__ = [
    "LINKAGES",
    "TreeInputs",
    "TreeBuildError",
    "build_tree",
    "needs_warmup_outputs",
    "tree_builder",
    "condensed_index",
    "encoding_features",
    "pairwise_output_distances",
]
