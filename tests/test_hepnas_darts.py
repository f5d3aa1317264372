"""HEP-NAS in the DARTS cell space (issue 19): the normal cell's hierarchies, the remaining-space count, gradient
matching on the DARTS relaxation, the evaluation network's training pieces (cutout, auxiliary loss, drop-path
schedule), the ImageNet transfer's retraining check, and the tables built from retrained runs."""

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from nasrepro.errors import ConfigError
from nasrepro.spaces.darts import (EDGES, NUM_EDGES, NUM_OPS, SPACE_SIZE, STEPS, DartsSpace, edge_index,
                                   remaining_genotypes)
from nasrepro.spaces.partition import hierarchy_masks
from nasrepro.training.hepnas import HepNasConfig, split_units


def test_the_darts_cell_splits_its_normal_hierarchies_into_4_8_16_32_and_leaves_the_reduction_cell_whole():
    cfg = HepNasConfig.from_dict({"split_epochs": [15, 25, 35, 45], "warm_epochs": [5, 4, 3, 2]})
    units = split_units(EDGES, cfg, np.random.default_rng(0))
    assert units == [[0, 1], [2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12, 13]]
    keep = np.ones((2, NUM_EDGES, NUM_OPS), dtype=bool)
    counts = []
    for unit in units:
        masks = hierarchy_masks(keep, {e: ((0, 1, 2), (3, 4, 5, 6, 7)) for e in unit})
        counts.append(len(masks))
        assert all(m[1].all() for m in masks)  # the reduction cell keeps every operation
        assert all(m[0, unit].sum() < len(unit) * NUM_OPS for m in masks)
        keep = masks[-1]
    assert counts == [4, 8, 16, 32]


def _brute_force_remaining(keep: np.ndarray) -> int:
    """Genotypes a mask allows, counted choice by choice from the genotype rules (two distinct inputs per node
    in increasing order, operations other than ``none``), node by node."""
    total = 1
    for k in range(2):
        for j in range(STEPS):
            n = 0
            for a, oa, b, ob in itertools.product(range(j + 2), range(NUM_OPS), range(j + 2), range(NUM_OPS)):
                if a < b and oa and ob and keep[k, edge_index(a, j), oa] and keep[k, edge_index(b, j), ob]:
                    n += 1
            total *= n
    return total


def test_remaining_genotypes_match_a_brute_force_count_and_the_whole_space():
    assert remaining_genotypes(np.ones((2, NUM_EDGES, NUM_OPS), dtype=bool)) == SPACE_SIZE
    rng = np.random.default_rng(3)
    for _ in range(3):
        keep = rng.random((2, NUM_EDGES, NUM_OPS)) < 0.5
        keep[..., 0] = True  # every row keeps something (``none`` at least)
        assert remaining_genotypes(keep) == _brute_force_remaining(keep)
    model = DartsSpace().build_relaxed(10, 0.125, layers=3)
    model.set_mask(keep)
    assert model.remaining_space() == _brute_force_remaining(keep)


def test_gradient_matching_runs_on_the_darts_relaxation_and_restores_its_mask():
    from nasrepro.training.gradient_matching import gradient_similarity

    torch.manual_seed(0)
    model = DartsSpace().build_relaxed(10, 0.125, layers=3)
    keep = model.keep.clone()
    keep[0, 2, 5:] = False
    model.set_mask(keep)
    batch = (torch.randn(2, 3, 8, 8), torch.tensor([1, 2]))
    ops, sim = gradient_similarity(model, 2, [batch])
    assert ops == [0, 1, 2, 3, 4]
    assert np.allclose(np.diag(sim)[1:], 1.0) and np.allclose(sim, sim.T)
    assert torch.equal(model.keep, keep)
    # edge 2's own operations (in the normal cell) are left out; the reduction cell's edge 2 is shared weight
    own = {id(p) for m in model.row_modules(2) for p in m.parameters()}
    assert own and not own & {id(p) for m in model.row_modules(NUM_EDGES + 2) for p in m.parameters()}


def test_cutout_zeroes_the_clipped_square_after_normalisation_and_keeps_the_crops():
    from nasrepro.data.loader import DeviceLoader, cutout

    x = torch.ones(2, 1, 8, 8)
    out = cutout(x, torch.tensor([0, 5]), torch.tensor([0, 5]), 4)
    expect = torch.ones(2, 1, 8, 8)
    expect[0, :, :2, :2] = 0      # rows/cols -2..1 clipped to 0..1
    expect[1, :, 3:7, 3:7] = 0    # rows/cols 3..6
    assert torch.equal(out, expect)
    images = torch.randint(0, 255, (6, 3, 8, 8), dtype=torch.uint8)
    labels = torch.arange(6)
    plain = DeviceLoader(images, labels, 3, augment=True, seed=4)
    cut = DeviceLoader(images, labels, 3, augment=True, seed=4, cutout=4)
    for key in ("order", "dy", "dx", "flip"):
        assert torch.equal(plain.plan(1)[key], cut.plan(1)[key])
    a, b = plain.batch(1, 0)[0], cut.batch(1, 0)[0]
    holes = b != a
    assert bool((b[holes] == 0).all()) and int(holes.any(dim=1).flatten(1).sum(1).min()) >= 4  # >= a 2x2 corner
    with pytest.raises(ValueError, match="cutout"):
        DeviceLoader(images, labels, 3, cutout=-1)


def test_the_evaluation_network_trains_with_its_drop_path_schedule_and_checks_its_genotype():
    from nasrepro.spaces.darts_eval import DARTS_V2

    space = DartsSpace()
    model = space.standalone_model(DARTS_V2, 10, 1.0, layers=3, channels=4, drop_path=0.2)
    model.set_progress(3, 4)
    assert model.net.drop_path_prob == pytest.approx(0.15)
    model.eval()
    assert model(torch.randn(2, 3, 32, 32), DARTS_V2).shape == (2, 10)
    other = space.sample(np.random.default_rng(0))[0]
    with pytest.raises(ValueError, match="own genotype"):
        model(torch.randn(2, 3, 32, 32), other)
    with pytest.raises(ConfigError, match="standalone.network"):
        space.standalone_model(DARTS_V2, 10, 1.0, cells=3)
    with pytest.raises(ConfigError, match="no standalone.network"):
        from nasrepro.spaces import get_space

        get_space("nb201").standalone_model((0, 1, 2, 3, 4, 0), 10, 0.25, layers=3)


def test_table8_hierarchies_truncate_the_schedule_and_are_checked():
    cfg = HepNasConfig.from_dict({"split_epochs": [15, 25, 35, 45], "warm_epochs": [5, 4, 3, 2], "hierarchies": 2})
    assert cfg.split_epochs == (15, 25) and cfg.warm_epochs == (5, 4) and cfg.total_epochs == 25 + 9
    with pytest.raises(ConfigError, match="hierarchies"):
        HepNasConfig.from_dict({"split_epochs": [1, 2], "warm_epochs": [1, 1], "hierarchies": 3})


def test_a_transfer_setting_retrains_only_its_search_settings_find(tmp_path):
    from nasrepro.config import load, resolve
    from nasrepro.jobs.standalone import run_retrain

    cfg = resolve(load("config/config.yaml", {"preset": "demo"}))
    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps({"space": "darts-hepnas-c100", "arch": "x", "method": "hepnas-darts", "seed": 0}))
    with pytest.raises(ConfigError, match="darts-hepnas-imagenet.retrain.search"):
        run_retrain(cfg, "darts-hepnas-imagenet", summary, 0, tmp_path / "out.json")


def test_hepnas_tables_report_retrained_error_paper_params_and_quoted_rows(tmp_path):
    from nasrepro.config import load, resolve
    from nasrepro.layout import Layout
    from nasrepro.reporting import hepnas_darts as hd
    from nasrepro.spaces.darts import genotype_str
    from nasrepro.spaces.darts_eval import DARTS_V2

    cfg = resolve(load("config/config.yaml", {"preset": "paper"}))
    layout, inputs, cell = Layout(str(tmp_path), "paper"), [], genotype_str(DARTS_V2)
    for seed, acc in ((0, 97.0), (1, 97.5)):
        path = Path(layout.retrain(hd.C10, hd.HEPNAS, seed))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([{"space": hd.C10, "method": hd.HEPNAS, "arch": cell, "test_acc": acc,
                                     "search_seed": seed}]))
        bench = Path(layout.benchmark("search", hd.C10, hd.HEPNAS, seed))
        bench.parent.mkdir(parents=True, exist_ok=True)
        bench.write_text("s\th:m:s\n86400.0\t24:00:00\n")
        inputs += [path, bench]
    frame = hd.sota_table("table1", hd.C10)(cfg, inputs).set_index("method")
    assert frame.loc[hd.HEPNAS, "error"] == pytest.approx(2.75) and frame.loc[hd.HEPNAS, "error_std"] == pytest.approx(0.25)
    assert frame.loc[hd.HEPNAS, "params_m"] == pytest.approx(3.349342)  # DARTS-V2 at 20 cells, C = 36 (DARTS: 3.3 M)
    assert frame.loc[hd.HEPNAS, "gpu_days"] == pytest.approx(1.0)
    assert frame.loc[hd.HEPNAS, "delta_error"] == pytest.approx(2.75 - 2.44)
    assert str(frame.loc["gm-darts", "arch"]).startswith("quoted") and frame.loc["gm-darts", "published_error"] == 2.46
    table7 = hd.ablation_table("table7")(cfg, inputs).set_index("method")
    assert table7.loc[hd.HEPNAS, "error_c10"] == pytest.approx(2.75)
    assert "error_c100: not run yet" in table7.loc[hd.HEPNAS, "arch"]
    assert "error_c10: not run yet" in table7.loc["hepnas-darts-a", "arch"]


def _darts_hep(tmp_path=None):
    """HEP-NAS on a 3-cell DARTS search network (C = 2, 8 x 8 images), split edge-wise (Table 5's switch, the
    cheapest split): the normal cell's edge 0 into 2 sub-supernets, each distilled from the previous optimum (B);
    one batch an epoch."""
    from nasrepro.data.loader import DeviceLoader
    from nasrepro.runtime import make_runtime, seed_everything
    from nasrepro.spaces import get_space
    from nasrepro.testing import synthetic_images
    from nasrepro.training.bilevel import ArchOptimConfig, BilevelTrainer
    from nasrepro.training.hepnas import HepNasRun
    from nasrepro.training.optim import OptimConfig

    cfg = HepNasConfig.from_dict({"split_epochs": [1], "warm_epochs": [2], "alpha_fixed_epochs": 0, "gm_batches": 1,
                                  "distill": "B", "partition": "edge"})
    runtime = make_runtime("cpu", deterministic=True)
    x, y = synthetic_images(12, 5)
    x = x[:, :, :8, :8].contiguous()
    rng = seed_everything(0)
    space = get_space("darts")
    model = space.build_relaxed(10, 0.125, layers=3)
    train = DeviceLoader(x[:4], y[:4], 4, runtime.device, augment=True, seed=0)
    val = DeviceLoader(x[4:8], y[4:8], 4, runtime.device, augment=False, seed=1)
    base = BilevelTrainer(model, OptimConfig(epochs=cfg.total_epochs, batch_size=4, lr=0.025, grad_clip=5.0),
                          ArchOptimConfig(lr=3e-4), runtime, train, val, rng, log=lambda m: None)
    return HepNasRun(base, space.edges(), cfg, x[8:].float() / 255.0, y[8:], 4, np.random.default_rng(0),
                     checkpoint=None if tmp_path is None else tmp_path / "hep.pt", log=lambda m: None)


def test_a_darts_space_hepnas_run_killed_mid_distillation_resumes_exactly(tmp_path):
    full = _darts_hep()
    final = full.run()
    assert [r["sub_supernets"] for r in full.records] == [2] and full.records[0]["edges"] == [0]
    assert full.records[0]["remaining_space"] < SPACE_SIZE
    # killed after the first of the stage's two distillation epochs: 2 sub-supernets and their teacher on disk
    first = _darts_hep(tmp_path)
    first.run(stop_after_lineage_epoch=2)
    assert len(first.trainers) == 2 and first.teacher is not None and first.st["phase"] == "warm"
    second = _darts_hep(tmp_path)
    assert second.resume_if_possible() and len(second.trainers) == 2
    again = second.run()
    for (name, p), q in zip(final.model.state_dict().items(), again.model.state_dict().values()):
        assert torch.equal(p, q), name
    assert second.records == full.records and again.model.derive() == final.model.derive()
