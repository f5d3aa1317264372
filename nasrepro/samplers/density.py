"""Density-aware ("debiased") supernet sampling (thesis Ch. 5, §5.3.4-5.3.6, Algorithms 5.1 and 5.2).

Uniform single-path training over-trains the dense regions of a search space: many architectures
that compute nearly the same function share, and so pull, the same weights. The thesis samples an
architecture with a probability that falls with its density, estimated from *functional* distances
(Eq. 5.11): the cosine distance between the supernet's outputs of two architectures on one fixed
validation batch.

Two modes, as in the thesis:

``prototypes=None`` (Alg. 5.1, enumerable spaces such as Pooling and NAS-Bench-Macro)
    At the first draw (after the uniform warm-up phase) the outputs of every architecture are
    computed once; ``d̄_a`` is the mean distance of ``a`` to all others (Eq. 5.5) and
    ``M_τ(a) ∝ exp(d̄_a / τ)`` (Eq. 5.7). Sparse architectures (large mean distance) are drawn more.

``prototypes=K`` (Alg. 5.2, large spaces such as NAS-Bench-201)
    At the first draw, ``population`` architectures are drawn uniformly and their outputs clustered
    with K-Means into ``K`` prototypes. Every step then draws ``a`` uniformly, computes its output,
    ``d̄_a = Σ_k d(a, c_k) / (K - 1)``, ``α_a = 1 / d̄_a``, and accepts ``a`` for training with
    probability ``sigmoid((α_mid - α_a) / τ)`` (Eq. 5.10); a rejected ``a`` is redrawn. Each drawn
    ``a`` moves the prototypes by a soft assignment (Eq. 5.9: ``c_k <- c_k + λ β_k (a - c_k)``), see
    ``assignment`` below for β_k.

Readings of what the seeds leave open (documented in the README):

* Scale of ``τ``. Fig. 5.5 describes τ = 25 as nearly uniform, τ = 5 as the useful setting and τ < 1
  as over-enforced. Raw cosine distances span a few hundredths, which would make every τ of Fig. 5.5
  uniform, so (``standardize=True``, the default) ``d̄`` and ``α`` are measured in standard
  deviations of the population they were first computed on (all architectures, or the ``population``
  sample). ``standardize=False`` applies Eqs. 5.7/5.10 to the raw values.
* ``assignment`` (β_k of Eq. 5.8). As printed, ``β_k = d²(a, c_k) / Σ_j d²(a, c_j)`` moves the
  *farthest* prototypes most, so every prototype drifts to the population mean: after K-Means their
  mean pairwise distance falls towards 0 within a paper-length run (README, "Density prototypes"), K
  stops mattering and ``α`` goes flat. ``assignment="nearest"`` (the default) makes the nearest
  prototype move most: ``β = softmax(-d² / (t · mean_j d²_j))`` with ``assignment_temperature`` t = 0.02
  (assumption, chosen by that measurement: the fuzzy c-means weights ``β ∝ d⁻²`` still drift to the mean
  on real supernet outputs, whose distances are all alike). ``assignment="printed"`` keeps the equation
  as printed. Each run's summary records the reading and the final ``prototype_diversity``.
* ``α_mid`` is the median ``α`` of the initial ``population`` sample.
* Rejection: a step redraws until it accepts, at most ``max_tries`` times (then it keeps the last draw).
* ``batch_images`` caps the images of the fixed validation batch the outputs are taken on (default:
  the whole batch of the search's ``batch_size``).
* ``density="kde"`` (thesis App. II, Eq. A II-2, Table A II-4; Alg. 5.1 only) replaces the inverse mean
  distance by a Gaussian kernel density ``α_a = (1/|A|) Σ_i K_h(f(a), f(i))`` over the unit-normalised
  outputs, and draws ``M_τ(a) ∝ exp(-α_a / τ)`` (dense architectures less often, as Eq. 5.7 does with
  ``d̄``; standardised the same way). The seed gives no bandwidth: ``bandwidth`` is a multiple of the
  median pairwise distance between the outputs (assumption: the median heuristic, default 1), so ``h``
  follows the outputs' scale.
* ``representation`` (Table 5.2): ``"functional"`` (outputs, Eq. 5.11, the default), ``"gradient"`` (loss
  gradients of the shared weights, Eq. 5.5; ``gradient_dim`` count-sketches them, ``gradient_from`` keeps
  only the layers after that many decisions), ``"representational"``
  (linear CKA of hidden feature maps, Eq. A II-1; ``cka_layers``) or ``"encoding"`` (the one-hot encoding:
  cosine distance of one-hots = Hamming distance / layers). All but the encoding are computed by the
  trainer (``nasrepro.evaluation.representations`` says how and which layers).
* Thesis Figs. 5.1 and 5.2 (Alg. 5.1): when the density is formed, ``per_arch`` keeps every architecture's
  mean distance in the run's representation and, for the gradient, its functional mean distance and a 2-D
  PCA projection of the unit-normalised gradients (PCA: linear and deterministic; on unit vectors
  Euclidean distance is a function of cosine distance).

The outputs come from ``featurize(indices) -> [n, D]``, which the trainer binds to its supernet and a
fixed validation batch (one host sync per step in prototype mode: the accept/reject decision needs
the value). All randomness comes from the caller's generator, and the state holds the prototypes,
so a resumed run continues exactly.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from nasrepro.evaluation.metrics import pearson
from nasrepro.samplers.base import Sampler
from nasrepro.samplers.schedules import SamplerConfigError, from_state, softmax, to_state

REPRESENTATIONS = ("functional", "encoding", "gradient", "representational")
DENSITIES = ("mean_distance", "kde")  # Alg. 5.1's estimate: 1 / mean distance (Eqs. 5.5-5.7) or KDE (Eq. A II-2)
ASSIGNMENTS = ("nearest", "printed")  # beta_k of Eq. 5.8: nearest moves most (default) / as printed


def unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norm > 0, norm, 1.0)


def mean_cosine_distance(features: np.ndarray) -> np.ndarray:
    """``d̄_a = mean_{j != a} (1 - cos(f_a, f_j))`` for every row, in O(N·D) (Eq. 5.5 with Eq. 5.11)."""
    f = unit_rows(features)
    n = len(f)
    if n < 2:
        return np.zeros(n)
    total = f.sum(0)
    self_sim = (f * f).sum(1)  # 1, or 0 for an all-zero output
    return 1.0 - (f @ total - self_sim) / (n - 1)


def kde_density(points: np.ndarray, h: float) -> np.ndarray:
    """Eq. A II-2: ``α_a = (1/N) Σ_i exp(-||p_a - p_i||² / (2 h²))`` over every row ``i`` (itself included,
    as the sum runs over the whole space), without the Gaussian's normalising constant (a common factor).
    scikit-learn's ``KernelDensity`` evaluates it; its log density is shifted back by that constant, in log
    space, so outputs of hundreds of dimensions do not underflow."""
    from sklearn.neighbors import KernelDensity  # only density="kde" pays sklearn's import

    p = np.asarray(points, dtype=np.float64).reshape(len(points), -1)
    log_density = KernelDensity(kernel="gaussian", bandwidth=float(h)).fit(p).score_samples(p)
    return np.exp(log_density + 0.5 * p.shape[1] * np.log(2.0 * np.pi * h * h))


def median_pairwise_distance(points: np.ndarray) -> float:
    """Median Euclidean distance over the pairs of distinct rows (the bandwidth's unit for ``density="kde"``)."""
    from scipy.spatial.distance import pdist

    p = np.asarray(points, dtype=np.float64).reshape(len(points), -1)
    return float(np.median(pdist(p))) if len(p) > 1 else 0.0


def prototype_distances(features: np.ndarray, prototypes: np.ndarray) -> np.ndarray:
    """Cosine distances [n, K] between rows of ``features`` and the prototypes."""
    return 1.0 - unit_rows(features) @ unit_rows(prototypes).T


def prototype_diversity(centres: np.ndarray) -> float:
    """Mean pairwise cosine distance between the prototypes (0 once they have collapsed to one point)."""
    k = len(centres)
    if k < 2:
        return 0.0
    d = 1.0 - unit_rows(centres) @ unit_rows(centres).T
    return float(d[np.triu_indices(k, 1)].mean())


def assignment_weights(d2: np.ndarray, assignment: str = "nearest", temperature: float = 0.02) -> np.ndarray:
    """β of Eq. 5.8 from squared distances ``d2`` [K] (sums to 1). ``"printed"``: ∝ d², as the seed prints
    it. ``"nearest"``: softmax of ``-d² / (temperature · mean_j d²_j)``; the relative temperature makes it
    free of the distances' scale, tends to online K-Means (only the nearest moves) as it goes to 0 and to
    the printed rule's uniform pull as it grows."""
    k = len(d2)
    if assignment == "printed":
        return d2 / d2.sum() if d2.sum() > 0 else np.full(k, 1.0 / k)
    scale = temperature * float(d2.mean())
    if scale <= 0:
        return np.full(k, 1.0 / k)
    z = -(d2 - d2.min()) / scale
    w = np.exp(z)
    return w / w.sum()


def prototype_density(features: np.ndarray, prototypes: np.ndarray) -> np.ndarray:
    """``α_a = 1 / d̄_a`` with ``d̄_a = Σ_k d(a, c_k) / (K - 1)`` (Alg. 5.2, lines 13-14)."""
    k = len(prototypes)
    mean_d = prototype_distances(features, prototypes).sum(1) / max(1, k - 1)
    return 1.0 / np.maximum(mean_d, 1e-12)


class DensitySampler(Sampler):
    name = "density"
    summary = "architectures sampled against their functional density"
    phase_plan = "warmup"  # Algs. 5.1/5.2: uniform training first (search.warmup_fraction)
    uses_reward = False
    guides_selection = False  # the probabilities describe density, not quality

    def __init__(
        self,
        encodings: np.ndarray,
        choices: list[int],
        tau: float = 5.0,
        prototypes: int | None = None,
        population: int = 1000,
        proto_lr: float = 0.05,
        standardize: bool = True,
        max_tries: int = 100,
        representation: str = "functional",
        batch_images: int | None = None,
        assignment: str = "nearest",
        assignment_temperature: float = 0.02,
        density: str = "mean_distance",
        bandwidth: float = 1.0,
        gradient_dim: int | None = None,
        gradient_from: int | None = None,
        cka_layers: list[int] | None = None,
    ):
        super().__init__(encodings, choices)
        if density not in DENSITIES:
            raise SamplerConfigError(f"density must be one of {DENSITIES}, got {density!r}")
        if density == "kde" and prototypes is not None:
            raise SamplerConfigError("density='kde' estimates Alg. 5.1's density over every architecture; "
                                     "it does not combine with prototypes (Alg. 5.2)")
        if not bandwidth > 0:
            raise SamplerConfigError(f"bandwidth must be > 0, got {bandwidth}")
        self.density, self.bandwidth = density, float(bandwidth)
        if assignment not in ASSIGNMENTS:
            raise SamplerConfigError(f"assignment must be one of {ASSIGNMENTS}, got {assignment!r}")
        if not assignment_temperature > 0:
            raise SamplerConfigError(f"assignment_temperature must be > 0, got {assignment_temperature}")
        self.assignment = assignment
        self.assignment_temperature = float(assignment_temperature)
        if not tau > 0:
            raise SamplerConfigError(f"tau must be > 0, got {tau}")
        if representation not in REPRESENTATIONS:
            raise SamplerConfigError(f"representation must be one of {REPRESENTATIONS}, got {representation!r}")
        if prototypes is not None and not 2 <= int(prototypes) <= population:
            raise SamplerConfigError(f"prototypes must be in [2, population={population}], got {prototypes}")
        if not 0 < proto_lr <= 1:
            raise SamplerConfigError(f"proto_lr (lambda of Eq. 5.9) must be in (0, 1], got {proto_lr}")
        self.tau = float(tau)
        self.k = None if prototypes is None else int(prototypes)
        self.population = int(min(population, self.population_size))
        self.proto_lr = float(proto_lr)
        self.standardize = bool(standardize)
        self.max_tries = int(max_tries)
        self.representation = representation
        self.batch_images = None if batch_images is None else int(batch_images)
        if gradient_dim is not None and int(gradient_dim) < 1:
            raise SamplerConfigError(f"gradient_dim must be >= 1 (or null for the exact gradient), got {gradient_dim}")
        self.gradient_dim = None if gradient_dim is None else int(gradient_dim)
        if gradient_from is not None and int(gradient_from) < 1:
            raise SamplerConfigError(f"gradient_from must be >= 1 (or null for every parameter), got {gradient_from}")
        self.gradient_from = None if gradient_from is None else int(gradient_from)
        self.cka_layers = None if cka_layers is None else [int(j) for j in cka_layers]
        self.featurize: Callable[[Sequence[int]], np.ndarray] | None = None
        self.functional: Callable[[Sequence[int]], np.ndarray] | None = None  # Fig. 5.2's comparison
        self.record: dict[str, np.ndarray] = {}
        self.probs: np.ndarray | None = None  # Alg. 5.1
        self.centres: np.ndarray | None = None  # Alg. 5.2
        self.alpha_mid = 0.0
        self.alpha_scale = 1.0
        self.tries = 0
        self.accepted = 0

    def bind(self, trainer) -> None:
        self.functional = lambda indices: trainer.features(indices, self.batch_images)
        self.featurize = self.functional if self.representation in ("functional", "encoding") else (
            lambda indices: trainer.features(indices, self.batch_images, self.representation,
                                             self.gradient_dim, self.cka_layers, self.gradient_from))

    # ------------------------------------------------------------------ representation
    def features(self, indices: Sequence[int]) -> np.ndarray:
        idx = np.asarray(indices, dtype=np.int64)
        if self.representation == "encoding":
            enc = self.encodings[idx]
            width = int(max(self.choices))
            return np.eye(width)[enc].reshape(len(idx), -1)
        if self.featurize is None:
            raise RuntimeError("density sampling needs supernet outputs: the trainer binds sampler.featurize")
        return np.asarray(self.featurize(idx), dtype=np.float64).reshape(len(idx), -1)

    # ------------------------------------------------------------------ initialisation
    def _initialise(self, rng: np.random.Generator) -> None:
        if self.k is None:
            feats = self.features(np.arange(self.population_size))
            self.record = self._record(feats)  # holds the mean distances (Eq. 5.5) the default density uses
            if self.density == "kde":  # sparse = low kernel density, drawn more (Eq. A II-2 in Eq. 5.7)
                unit = unit_rows(feats)
                sparsity = -kde_density(unit, self.bandwidth * (median_pairwise_distance(unit) or 1.0))
            else:
                sparsity = self.record["mean_distance"].copy()
            if self.standardize:
                sparsity = (sparsity - sparsity.mean()) / (sparsity.std() or 1.0)
            self.probs = softmax(sparsity, self.tau)
            return
        pick = np.sort(rng.choice(self.population_size, size=self.population, replace=False))
        feats = unit_rows(self.features(pick))
        from scipy.cluster.vq import kmeans2  # scipy costs 0.6 s of start-up: only prototype mode needs it

        seed = int(rng.integers(2**31 - 1))
        centres, _ = kmeans2(feats, self.k, minit="++", seed=seed)
        self.centres = centres
        alpha = prototype_density(feats, centres)
        self.alpha_mid = float(np.median(alpha))
        self.alpha_scale = float(alpha.std()) if self.standardize and alpha.std() > 0 else 1.0

    def _record(self, feats: np.ndarray) -> dict[str, np.ndarray]:
        """Thesis Figs. 5.1 / 5.2: the mean distances of every architecture in this representation and
        (gradients, with a supernet bound) in the functional one, and a 2-D PCA projection of the unit-
        normalised gradients."""
        record = {"mean_distance": mean_cosine_distance(feats)}
        if self.representation != "gradient" or self.functional is None:
            return record
        from sklearn.decomposition import PCA  # only these runs pay sklearn's import

        record["functional_mean_distance"] = mean_cosine_distance(self.functional(np.arange(self.population_size)))
        unit = unit_rows(feats)
        if len(unit) > 2:
            xy = PCA(n_components=2, svd_solver="randomized", random_state=0).fit_transform(unit)
            record["projection_1"], record["projection_2"] = xy[:, 0], xy[:, 1]
        return record

    def per_arch(self) -> dict[str, np.ndarray]:
        return dict(self.record)

    def accept_probability(self, alpha: float) -> float:
        """Eq. 5.10."""
        z = (self.alpha_mid - alpha) / (self.tau * self.alpha_scale)
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -50, 50))))

    def _move_prototypes(self, feature: np.ndarray) -> None:
        """Eqs. 5.8-5.9."""
        f = unit_rows(feature[None])[0]
        d2 = np.maximum(prototype_distances(f[None], self.centres)[0], 0.0) ** 2
        beta = assignment_weights(d2, self.assignment, self.assignment_temperature)
        self.centres += self.proto_lr * beta[:, None] * (f[None] - self.centres)

    # ------------------------------------------------------------------ sampling
    def sample(self, rng: np.random.Generator) -> int:
        if self.probs is None and self.centres is None:
            self._initialise(rng)
        if self.k is None:
            return int(min(np.searchsorted(np.cumsum(self.probs), rng.random() * self.probs.sum()),
                           self.population_size - 1))
        for _ in range(self.max_tries):
            a = int(rng.integers(self.population_size))
            feature = self.features([a])
            alpha = float(prototype_density(feature, self.centres)[0])
            self._move_prototypes(feature[0])
            self.tries += 1
            if rng.random() < self.accept_probability(alpha):
                break
        self.accepted += 1
        return a

    def probabilities(self) -> np.ndarray:
        if self.probs is not None:
            return self.probs
        return super().probabilities()  # Alg. 5.2 never forms M over the whole space

    def densities(self, indices: Sequence[int]) -> np.ndarray:
        """Prototype density ``α`` (Alg. 5.2) of ``indices`` under the current prototypes."""
        if self.centres is None:
            raise RuntimeError("prototypes are formed at the first draw of the sampling phase")
        return prototype_density(self.features(indices), self.centres)

    def diagnostics(self, indices: np.ndarray) -> dict[str, Any]:
        """Thesis Table 5.4: Pearson correlation between the prototype density of Alg. 5.2 (K prototypes)
        and the fine-grained density (mean distance to every other architecture, Alg. 5.1) over the
        ranked architectures, plus the share of draws that Eq. 5.10 accepted."""
        if self.k is None or self.centres is None:
            return {}
        fine = 1.0 / np.maximum(mean_cosine_distance(self.features(indices)), 1e-12)
        proto = self.densities(indices)
        r = pearson(proto, fine) if len(indices) > 2 else float("nan")
        return {"prototypes": self.k, "prototype_assignment": self.assignment,
                "prototype_diversity": prototype_diversity(self.centres),
                "density_pearson": r, "density_archs": int(len(indices)),
                "accept_rate": self.accepted / max(1, self.tries)}

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state.update({
            "probs": None if self.probs is None else to_state(self.probs),
            "centres": None if self.centres is None else to_state(self.centres),
            "alpha_mid": self.alpha_mid, "alpha_scale": self.alpha_scale,
            "tries": self.tries, "accepted": self.accepted,
            "record": {k: to_state(v) for k, v in self.record.items()},
        })
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.probs = None if state["probs"] is None else from_state(state["probs"], np.float64)
        self.centres = None if state["centres"] is None else from_state(state["centres"], np.float64)
        self.alpha_mid = float(state["alpha_mid"])
        self.alpha_scale = float(state["alpha_scale"])
        self.tries = int(state["tries"])
        self.accepted = int(state["accepted"])
        self.record = {k: from_state(v, np.float64) for k, v in state.get("record", {}).items()}
