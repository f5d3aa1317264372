"""Config -> method: the sampler, tree, phases, reward and warm-up need of a configured method.

One module translates a ``methods:`` entry of the config for everything that needs it: the workflow
(which jobs a method needs), the search job (what to build), reporting (what to charge a method for)
and config resolution (whether its options exist). Nothing here knows a sampler by name: the sampler
class declares its phase plan and options (``nasrepro.samplers.base``).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from nasrepro.errors import ConfigError
from nasrepro.samplers import Sampler, accepted_options, make_sampler, sampler_class
from nasrepro.samplers.phases import Phase
from nasrepro.trees.build import needs_warmup_outputs, tree_builder


def needs_warmup(method: Mapping) -> bool:
    """Whether the method's tree is built from the warm-up supernet (so it runs, and pays for, the warm-up)."""
    return needs_warmup_outputs(method.get("tree"))


def sampler_options(method: Mapping, scfg: Mapping) -> dict[str, Any]:
    """The options the method's sampler is built with: the setting's ``sampler`` section where the
    sampler has the option, then the method's own ``sampler_options``. Class defaults fill the rest."""
    accepted = accepted_options(sampler_class(method["sampler"]))
    options = {k: v for k, v in scfg.get("sampler", {}).items() if k in accepted}
    options.update(method.get("sampler_options", {}))
    return options


def effective_sampler_options(method: Mapping, scfg: Mapping) -> dict[str, Any]:
    """Every option of the method's sampler with the value the run uses (``summary.json`` records it)."""
    defaults = {k: v for k, v in accepted_options(sampler_class(method["sampler"])).items()
                if v is not inspect.Parameter.empty}
    return {**defaults, **sampler_options(method, scfg)}


def tree_options(method: Mapping, scfg: Mapping) -> dict[str, Any]:
    return {**scfg.get("tree", {}), **method.get("tree_options", {})} if method.get("tree") else {}


def search_section(method: Mapping, scfg: Mapping) -> dict[str, Any]:
    """The setting's ``search`` section with the method's own phase keys over it (``phases``,
    ``warmup_fraction``: thesis Table 2.3 runs SBE and MCTS with and without a uniform warm-up)."""
    return {**scfg.get("search", {}), **method.get("search", {})}


def phases(method: Mapping, scfg: Mapping) -> list[Phase]:
    return sampler_class(method["sampler"]).phases(search_section(method, scfg))


def reward_options(method: Mapping, scfg: Mapping) -> dict[str, Any]:
    return {**scfg.get("reward", {}), **method.get("reward", {})}


def check_methods(methods: Mapping[str, Mapping], sections: Mapping[str, Mapping], preset: str) -> None:
    """Config resolution: every method's sampler exists and keeps its contract, and every option key
    is one its sampler takes, so a typo stops the workflow before any job runs."""
    accepted_anywhere: set[str] = set()
    for name, method in methods.items():
        if "hepnas" in method and "differentiable" not in method:
            raise ConfigError(f"config error at methods.{name}.hepnas: HEP-NAS splits a differentiable supernet; "
                              "give the method a differentiable section (its base method, e.g. DARTS)")
        if "differentiable" in method:  # a DARTS-style method trains no sampler (nasrepro.jobs.differentiable)
            check_differentiable(name, method)
            continue
        cls = sampler_class(method["sampler"])
        if method.get("tree") is not None:
            tree_builder(method["tree"])  # a plug-in tree that does not import stops here
        accepted = accepted_options(cls)
        accepted_anywhere |= set(accepted)
        for key in method.get("sampler_options", {}):
            if key not in accepted:
                raise ConfigError(f"config error at methods.{name}.sampler_options.{key}: sampler "
                                  f"{method['sampler']!r} has no option {key!r}; its options: {', '.join(sorted(accepted))}")
    for section, scfg in sections.items():
        for key in scfg.get("sampler", {}):
            if key not in accepted_anywhere:
                raise ConfigError(f"config error at presets.{preset}.{section}.sampler.{key}: no configured method's "
                                  f"sampler has option {key!r}; known: {', '.join(sorted(accepted_anywhere))}")


def check_differentiable(name: str, method: Mapping) -> None:
    """A differentiable method has no sampler, and its options build the relaxed network and the
    architecture optimiser (``training.bilevel``)."""
    from nasrepro.jobs.differentiable import FINALS
    from nasrepro.spaces.multiscale import SHARING
    from nasrepro.spaces.relaxed import CATEGORICALS
    from nasrepro.training.bilevel import ArchOptimConfig

    if "sampler" in method:
        raise ConfigError(f"config error at methods.{name}: a method has a sampler or a differentiable section, not both")
    options = method["differentiable"]
    known = {"sharing", "categorical", "final", "update", "lr", "betas", "weight_decay", "order"}
    for key in options:
        if key not in known:
            raise ConfigError(f"config error at methods.{name}.differentiable.{key}: unknown option; use {sorted(known)}")
    for key, allowed, default in (("sharing", SHARING, "shared"), ("categorical", CATEGORICALS, "per-edge"),
                                  ("final", FINALS, "argmax")):
        if options.get(key, default) not in allowed:
            raise ConfigError(f"config error at methods.{name}.differentiable.{key}: use one of {allowed}")
    ArchOptimConfig.from_dict(options)
    if "hepnas" in method:
        from nasrepro.training.hepnas import HepNasConfig

        HepNasConfig.from_dict(method["hepnas"], f"methods.{name}.hepnas")


def build_tree_for(method: Mapping, scfg: Mapping, space, archs, seed: int, warmup_outputs: str | Path | None):
    """The method's search tree over ``archs`` (None for tree-less samplers) and its build info."""
    kind = method.get("tree")
    if kind is None:
        return None, {}
    from nasrepro.trees.build import build_tree

    topt = tree_options(method, scfg)
    encodings = space.vector_encodings(archs) if kind == "vector" else space.encodings(archs)
    kwargs = {"encodings": encodings, "tree_paths": space.tree_paths(archs), "seed": seed,
              "choices": space.choices_per_decision()}
    if needs_warmup_outputs(kind):
        if warmup_outputs is None:
            raise ConfigError(f"tree {kind!r} needs the warm-up supernet outputs (rule warmup)")
        if topt.get("batch", "random") == "high_variance":
            warmup_outputs = Path(warmup_outputs).with_name("outputs_hv.npz")
        elif "warmup_snapshot" in topt:
            warmup_outputs = Path(warmup_outputs).parent / "snapshots" / f"outputs_{topt['warmup_snapshot']}.npz"
            if not warmup_outputs.exists():
                raise ConfigError(f"tree_options.warmup_snapshot needs warmup.snapshots in the {space.name} preset "
                                  f"section ({warmup_outputs} is missing)")
        data = np.load(warmup_outputs)
        # A smaller val_batch than the warm-up's (Table 10: 512 of 1024) takes the first images of it.
        outputs = data["outputs"][:, : topt.get("val_batch", data["outputs"].shape[1])]
        kwargs.update(outputs=outputs, accuracies=data["val_acc"])
    kwargs.update(distance=topt.get("distance", "kl"), linkage=topt.get("linkage", "average"),
                  layer_weighting=topt.get("layer_weighting", False))
    tree, info = build_tree(kind, **kwargs)
    if kwargs.get("outputs") is not None:
        info["val_batch_used"] = int(kwargs["outputs"].shape[1])
    if "condensed" in info and info["condensed"].size and info["condensed"].max() > 0:
        # Table 10 compares batches by the variance, over seeds, of this normalised mean distance.
        info["distance_mean"] = float(info["condensed"].mean() / info["condensed"].max())
    return tree, info


def make_sampler_for(method: Mapping, scfg: Mapping, space, archs, tree) -> Sampler:
    options = sampler_options(method, scfg)
    if tree is not None:
        options["tree"] = tree
    return make_sampler(method["sampler"], space.encodings(archs), space.choices_per_decision(), **options)


def search_protocol(search: Mapping[str, Any], sampler) -> dict[str, Any]:
    """The ``search`` section a method trains with. Thesis §5.4.1 compares methods at similar cost
    (Table 5.3: 2.59 GPU-h Uniform, 2.64 FairNas), so a sampler that trains ``m`` paths per step (strict
    fairness: m = 5 on NAS-Bench-201, 3 on NAS-Bench-Macro) trains ``epochs / m`` epochs (rounded, at least
    one) and does as many forward/backward passes as a single-path run. ``equal_cost: false`` keeps the
    epochs (FairNAS's own protocol, m times the work). A sampler's ``epoch_scale`` multiplies the epochs
    first (iterative MCTS: thesis Fig. 4.2a's "total training steps is slightly increased" per iteration)."""
    m = int(getattr(sampler, "paths_per_step", 1) or 1)
    scale = float(getattr(sampler, "epoch_scale", 1.0))
    epochs = search["epochs"] * scale
    if m > 1 and search.get("equal_cost", True):
        epochs /= m
    out = {**search, "epochs": max(1, int(round(epochs)))}
    if search.get("milestones"):  # a step schedule keeps its shape: its steps move with the epochs (§2.4, x M)
        stretch = out["epochs"] / search["epochs"]
        out["milestones"] = sorted({max(1, int(round(e * stretch))) for e in search["milestones"]})
    return out

