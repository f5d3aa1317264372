"""Wall-time projections of HEP-NAS's stage schedule and of DARTS's evaluation training (issue 19).

The projection counts the work the code does (``training.hepnas.HepNasRun``, ``training.gradient_matching``)
and prices it with per-image step costs measured by ``nasrepro bench``:

- supernet phase: ``split_epochs[-1]`` epochs of bi-level steps (architecture step on a validation batch,
  then a weight step) of the one kept supernet;
- stage k: ``2 ** |h_k|`` sub-supernets (two groups per edge, Eq. 4), each trained ``warm_epochs[k]`` epochs
  of bi-level steps, plus the no-grad teacher forwards Search-space Mutual Distillation reads (by ``distill``):
  per batch and round the previous optimum's once and each sibling's twice, before and after it trains
  (``training.hepnas.TeacherLogits``: 2n - 2 sibling forwards for n students, not n(n - 1));
- gradient matching before stage k: for each edge of h_k, ``gm_batches`` batches x one forward-backward per
  operation of the edge.

Costs are seconds per image, so a cost measured at one batch is scaled linearly to the paper's batch (as
the bench's other projections do); at a reduced width the projection is a lower bound of the paper-width run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from nasrepro.tools.protocol import TRAIN_IMAGES, paper_section
from nasrepro.training.distillation import VARIANTS
from nasrepro.training.hepnas import HepNasConfig, split_units


@dataclass(frozen=True)
class StepCosts:
    """Seconds per image of one step (measured by the bench at ``batch`` and ``width``)."""

    bilevel: float   # architecture step + weight step
    weight: float    # weight step alone (forward, backward, update): a gradient-matching pass costs about this
    forward: float   # a no-grad forward (a distillation teacher)


def stage_plan(cfg: HepNasConfig, edges: Sequence[tuple[int, int]], ops_per_edge: int) -> list[dict]:
    """Per stage: the edges split, the sub-supernets spawned, their distillation epochs, and the teacher
    forwards per batch of a distillation round, all students together (the natural order; a random order
    splits other units)."""
    units = split_units(edges, cfg, np.random.default_rng(0))
    previous, siblings = VARIANTS[cfg.distill]
    plan = []
    for k, unit in enumerate(units):
        subs = 2 ** len(unit) if cfg.groups == "mincut" else ops_per_edge ** len(unit)
        plan.append({"stage": k + 1, "edges": len(unit), "sub_supernets": subs, "warm_epochs": cfg.warm_epochs[k],
                     "teacher_forwards": int(bool(previous)) + (2 * subs - 2 if siblings else 0),
                     "gm_passes": 0 if cfg.groups == "each" else len(unit) * ops_per_edge * cfg.gm_batches})
    return plan


def hepnas_seconds(cfg: HepNasConfig, edges: Sequence[tuple[int, int]], ops_per_edge: int, train_images: int,
                   batch: int, costs: StepCosts) -> dict:
    """Projected seconds of one HEP-NAS search: supernet, distillation and gradient-matching phases."""
    per_epoch = train_images  # images an epoch steps over (costs are per image)
    plan = stage_plan(cfg, edges, ops_per_edge)
    supernet = cfg.split_epochs[-1] * per_epoch * costs.bilevel
    warm = sum(s["warm_epochs"] * per_epoch
               * (s["sub_supernets"] * costs.bilevel + s["teacher_forwards"] * costs.forward) for s in plan)
    matching = sum(s["gm_passes"] * batch * costs.weight for s in plan)
    return {"stages": plan, "supernet_s": supernet, "distillation_s": warm, "gradient_matching_s": matching,
            "total_s": supernet + warm + matching}


def evaluation_seconds(epochs: int, train_images: int, step_per_image: float) -> float:
    """Projected seconds of training a fixed network ``epochs`` epochs (DARTS's 600-epoch evaluation)."""
    return epochs * train_images * step_per_image


def paper_hepnas_projection(setting: str, method: str, edges: Sequence[tuple[int, int]], ops_per_edge: int,
                            costs: StepCosts, config: str | Path | None = None) -> dict:
    """``hepnas_seconds`` of the paper preset's ``method`` in ``setting`` (its schedule, batch and the training
    half of the dataset), priced by ``costs``."""
    from nasrepro import config as cfgmod

    resolved, scfg = paper_section(setting, config)
    method_cfg = cfgmod.method_config(resolved, method)
    hep = HepNasConfig.from_dict({**method_cfg["hepnas"], **(scfg.get("hepnas") or {})}, f"{setting}.hepnas")
    images = (scfg.get("train_images") or TRAIN_IMAGES[scfg["dataset"]]) // 2
    batch = int(scfg["search"]["batch_size"])
    out = hepnas_seconds(hep, edges, ops_per_edge, images, batch, costs)
    subs = ", ".join(str(s["sub_supernets"]) for s in out["stages"])
    out["description"] = (f"{setting}, {method} (paper preset): {hep.split_epochs[-1]} supernet epochs, splits into "
                          f"{subs} sub-supernets with {list(hep.warm_epochs)} distillation epochs (distillation "
                          f"{hep.distill}), gradient matching on {hep.gm_batches} batches; batch {batch} on {images:,} images")
    return out


def paper_evaluation_projection(setting: str, step_per_image: float,
                                config: str | Path | None = None) -> dict:
    """``evaluation_seconds`` of the paper preset's retraining of ``setting``'s found cell (``standalone``)."""
    _, scfg = paper_section(setting, config)
    st = scfg["standalone"]
    images = scfg.get("train_images") or TRAIN_IMAGES[scfg["dataset"]]  # retraining uses the whole training set
    total = evaluation_seconds(int(st["epochs"]), images, step_per_image)
    return {"description": f"{setting} retraining (paper preset): {st['epochs']} epochs at batch {st['batch_size']} "
                           f"on {images:,} images, network {st.get('network', {})}",
            "epochs": int(st["epochs"]), "batch": int(st["batch_size"]), "images": images, "total_s": total}
