"""The sampler interface used while training a supernet, and the contract every sampler declares.

A sampler draws an index into a fixed population of architectures (its ``encodings``, one row per
architecture), receives a scalar reward for it after each step, and finally selects architectures.
All randomness comes from the ``numpy.random.Generator`` the caller passes in, so a run is fully
determined by its seed, and ``state_dict`` captures everything else needed to resume exactly.

A sampler class describes itself with three class attributes, which the search job reads instead of
switching on names:

- ``phase_plan``: which training phases it needs (``nasrepro.samplers.phases.PHASE_PLANS``);
- ``uses_reward``: False lets the trainer skip the reward forward pass;
- ``guides_selection``: True means ``probabilities`` rank architectures by quality, so the final
  architecture may be chosen from them. A class may claim it only by overriding ``probabilities``;
  ``check_contract`` (run when a sampler is looked up in the registry) rejects the claim otherwise,
  because the base probabilities are uniform and would "find" architecture 0.

Option defaults live in the constructor signature of the class that owns the option (annealing
options in ``AnnealedSampler``); subclasses forward the rest with ``**options``, and
``accepted_options`` walks that chain to check a config's keys before any job runs.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from typing import Any, Mapping

import numpy as np

from nasrepro.errors import ConfigError
from nasrepro.samplers.phases import PHASE_PLANS, Phase, plan_phases


class Sampler(ABC):
    name: str = ""
    phase_plan: str = "sample"
    uses_reward: bool = True  # False: the trainer skips the validation reward forward
    guides_selection: bool = False  # True only with an overridden ``probabilities`` (see module docstring)
    paths_per_step: int = 1
    # True: the trainer calls ``observe_step`` after every backward pass (PA&DA reads gradient norms there)
    observes_steps: bool = False
    epoch_scale: float = 1.0  # the setting's epochs times this are trained (iterative MCTS, thesis Fig. 4.2a)
    # M > 1: the sampler trains M weight sets (balanced mixtures, thesis §2.2.2). ``sample``, ``sample_paths``
    # and ``update`` then index the M * N (weight set, architecture) pairs, m * N + i (``nasrepro.spaces.mixture``);
    # ``probabilities``, ``select``, ``per_arch`` and ``weight_set_of`` stay over the N architectures.
    weight_sets: int = 1
    # Paper Table 5 / thesis Table A I-1 ("Summary of sampling methods"), built from these two:
    structure: str = "flat"  # "flat" (over architectures), "hierarchical" (a tree's nodes) or "partitioned" (M weight sets)
    summary: str = ""  # how it samples, in a few words

    def __init__(self, encodings: np.ndarray, choices: list[int]):
        self.encodings = np.asarray(encodings, dtype=np.int64)
        self.choices = [int(c) for c in choices]
        self.progress = 0.0

    @classmethod
    def phases(cls, search: Mapping) -> list[Phase]:
        """The training phases of this sampler under a setting's ``search`` section."""
        return plan_phases(cls.phase_plan, search)

    @property
    def population_size(self) -> int:
        return int(self.encodings.shape[0])

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> int:
        """Index (row of ``encodings``) of the architecture to train next."""

    def bind(self, trainer: Any) -> None:
        """Called once by the supernet trainer. Samplers that look at the supernet itself (density
        estimates, re-ranking) take the trainer's measurement methods here; the default needs none."""

    def begin_epoch(self, epoch: int, epochs: int, rng: np.random.Generator) -> np.ndarray | None:
        """Called by the trainer at the start of every epoch (also after a resume). A sampler that draws
        the data too returns the epoch's sample positions (``DeviceLoader.set_order``); default: the
        loader's own order, and no draw from ``rng``."""
        return None

    def observe_step(self, arch: Any, logits: Any, labels: Any, sample_ids: Any) -> None:
        """With ``observes_steps``: called after the backward pass of each step, before the next one clears
        the gradients, with the path trained, its logits, the labels and the batch's sample positions."""

    def sample_paths(self, rng: np.random.Generator) -> list[int]:
        """Indices trained on the same mini-batch with one accumulated update (FairNAS: m paths)."""
        return [self.sample(rng)]

    def update(self, index: int, reward: float) -> None:
        """Feed back the reward of the architecture just trained. Stateless samplers ignore it."""

    def set_progress(self, fraction: float) -> None:
        """Fraction of the sampler's phase done, in [0, 1]; drives temperature schedules."""
        self.progress = float(min(max(fraction, 0.0), 1.0))

    def probabilities(self) -> np.ndarray:
        """p(a) over the population (used for reporting and for the max-probability selection)."""
        return np.full(self.population_size, 1.0 / self.population_size)

    def select(self, k: int, rng: np.random.Generator) -> list[int]:
        """Final candidates: ``k`` indices, best guess first. Default: the k most probable."""
        p = self.probabilities()
        order = np.lexsort((np.arange(p.size), -p))
        return [int(i) for i in order[:k]]

    def diagnostics(self, indices: np.ndarray) -> dict[str, Any]:
        """Extra scalars for the run's ``summary.json``, measured over the ranked ``indices`` after
        training (the density sampler's Table 5.4 correlations). Default: none."""
        return {}

    def per_arch(self) -> dict[str, np.ndarray]:
        """Extra columns for the run's ``arch_eval.csv``, one value per architecture of the population
        (the density sampler's densities and gradient projection, thesis Figs. 5.1 and 5.2). Default: none."""
        return {}

    def weight_set_of(self) -> np.ndarray:
        """For each architecture of the population, the weight set that scores it after training
        (``weight_sets`` > 1 only). Default: the one weight set."""
        return np.zeros(self.population_size, dtype=np.int64)

    def proxy_order(self) -> np.ndarray | None:
        """Architectures best first by the sampler's own running estimate, so that ``evaluation.proxy_top``
        scores only the head of the ranking (thesis §2.2.2's proxy for ResNet50). Default: no estimate."""
        return None

    def state_dict(self) -> dict[str, Any]:
        return {"progress": self.progress}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.progress = float(state["progress"])


# Constructor arguments the search job supplies itself; a config may not set them as options.
RESERVED_ARGUMENTS = ("self", "encodings", "choices", "tree")


def accepted_options(cls: type) -> dict[str, Any]:
    """Option name -> default (``inspect.Parameter.empty`` when required) over the constructor chain:
    a constructor taking ``**options`` forwards them to its base class, whose options count too."""
    out: dict[str, Any] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters
        for name, p in params.items():
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name not in RESERVED_ARGUMENTS:
                out.setdefault(name, p.default)
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            break
    return out


def check_contract(cls: type, name: str) -> type:
    """Reject a sampler class whose declarations cannot hold (run on every registry lookup)."""
    where = f"sampler {name!r} ({cls.__module__}.{cls.__qualname__})"
    if not (isinstance(cls, type) and issubclass(cls, Sampler)):
        raise ConfigError(f"{where} is not a subclass of nasrepro.samplers.Sampler")
    if inspect.isabstract(cls):
        raise ConfigError(f"{where} does not implement {sorted(cls.__abstractmethods__)}")
    if cls.phase_plan not in PHASE_PLANS:
        raise ConfigError(f"{where} declares phase_plan {cls.phase_plan!r}; use one of {sorted(PHASE_PLANS)}")
    if cls.guides_selection and cls.probabilities is Sampler.probabilities:
        raise ConfigError(f"{where} sets guides_selection = True but does not override probabilities(); the "
                          "uniform default would select architecture 0 (override it, or leave guides_selection False)")
    if cls.phase_plan == "mcts" and not cls.uses_reward:
        raise ConfigError(f"{where} declares the 'mcts' phase plan, whose explore phase feeds rewards, "
                          "but uses_reward = False")
    return cls
