"""HEP-NAS's and DARTS's paper-run projections (``tools.schedule_projection``) against hand counts."""

from dataclasses import replace

import pytest

from nasrepro.spaces import get_space
from nasrepro.tools.schedule_projection import (StepCosts, hepnas_seconds, paper_evaluation_projection,
                                                paper_hepnas_projection, stage_plan)
from nasrepro.training.hepnas import HepNasConfig

NB201_EDGES = get_space("nb201").edges()


def test_stage_plan_counts_sub_supernets_teachers_and_matching_passes():
    hep = HepNasConfig.from_dict({"split_epochs": [10, 20, 30], "warm_epochs": [10, 10, 10], "gm_batches": 100})
    plan = stage_plan(hep, NB201_EDGES, 5)
    assert [s["sub_supernets"] for s in plan] == [2, 4, 8]  # NB201's hierarchies of 1, 2, 3 edges (Eq. 4)
    # D, per batch and round: the previous optimum once, each of n siblings twice but the first and last once
    assert [s["teacher_forwards"] for s in plan] == [3, 7, 15]
    assert [s["gm_passes"] for s in plan] == [500, 1000, 1500]  # edges x 5 operations x 100 batches
    for variant, teachers in (("A", [0, 0, 0]), ("B", [1, 1, 1]), ("C", [2, 6, 14])):
        assert [s["teacher_forwards"] for s in stage_plan(replace(hep, distill=variant), NB201_EDGES, 5)] == teachers
    edge_wise = stage_plan(replace(hep, partition="edge"), NB201_EDGES, 5)
    assert [(s["edges"], s["sub_supernets"]) for s in edge_wise] == [(1, 2)] * 3
    few_shot = stage_plan(replace(hep, partition="edge", groups="each"), NB201_EDGES, 5)
    assert [(s["sub_supernets"], s["gm_passes"]) for s in few_shot] == [(5, 0)] * 3  # one per operation, no matching


def test_hepnas_seconds_by_hand():
    hep = HepNasConfig.from_dict({"split_epochs": [1, 2], "warm_epochs": [1, 1], "gm_batches": 3})
    got = hepnas_seconds(hep, NB201_EDGES, 5, train_images=10, batch=5, costs=StepCosts(2.0, 1.0, 0.5))
    assert got["supernet_s"] == 2 * 10 * 2.0
    # stage 1: 1 epoch x 10 images x (2 subs x 2 + 3 teacher forwards x 0.5); stage 2: 1 x 10 x (4 x 2 + 7 x 0.5)
    assert got["distillation_s"] == 55.0 + 115.0
    # (1 edge + 2 edges) x 5 operations x 3 batches of 5 images, at 1 s per image
    assert got["gradient_matching_s"] == 45 * 5 * 1.0
    assert got["total_s"] == 40.0 + 170.0 + 225.0


def test_paper_projections_follow_the_paper_preset():
    costs = StepCosts(1e-3, 4e-4, 1e-4)
    darts = get_space("darts")
    got = paper_hepnas_projection("darts-hepnas", "hepnas-darts", darts.edges(), 8, costs)
    assert [s["sub_supernets"] for s in got["stages"]] == [4, 8, 16, 32]  # seed 002 appendix
    assert got["supernet_s"] == pytest.approx(45 * 25_000 * 1e-3)  # 45 epochs on the 25,000-image training half
    assert "batch 128 on 25,000 images" in got["description"]
    ev = paper_evaluation_projection("darts-hepnas", 2e-3)
    assert (ev["epochs"], ev["batch"], ev["images"]) == (600, 96, 50_000)
    assert ev["total_s"] == pytest.approx(600 * 50_000 * 2e-3)
    nb = paper_hepnas_projection("nb201-hepnas", "hepnas", NB201_EDGES, 5, costs)
    assert [s["sub_supernets"] for s in nb["stages"]] == [2, 4, 8]
    assert nb["supernet_s"] == pytest.approx(30 * 25_000 * 1e-3)


def test_bench_prices_the_projections_per_image_from_its_measured_steps():
    """``nasrepro bench`` turns each measured step (ms at its batch) into seconds per image for the schedule."""
    from nasrepro.tools.bench import _hepnas_projections

    nb201_step = {"batch": 16, "width": 1.0, "ops_per_edge": 5, "weight_step_ms": 320.0, "bilevel_step_ms": 800.0,
                  "forward_ms": 96.0}
    darts_step = {**nb201_step, "width": 0.25, "ops_per_edge": 8}
    result = {"spaces": {"nb201": {"train": {"mixed_op": nb201_step}}},
              "darts": {"train": {"mixed_op": darts_step}, "evaluation": {"batch": 16, "step_ms": 1600.0}}}
    got = _hepnas_projections(result, [get_space("nb201"), get_space("darts")])
    per_image = StepCosts(bilevel=0.05, weight=0.02, forward=0.006)  # 800 / 320 / 96 ms over 16 images
    want = paper_hepnas_projection("nb201-hepnas", "hepnas", NB201_EDGES, 5, per_image)
    assert got["nb201-hepnas search"]["total_s"] == pytest.approx(want["total_s"])
    assert got["darts-hepnas search"]["measured_at"] == {"batch": 16, "width": 0.25}
    assert got["darts-hepnas evaluation"]["total_s"] == pytest.approx(600 * 50_000 * 0.1)  # 1.6 s / 16 images


def test_the_paper_preset_is_found_from_any_folder_and_its_absence_stops_bench_before_measuring(tmp_path, monkeypatch):
    from nasrepro.errors import ConfigError
    from nasrepro.tools import protocol
    from nasrepro.tools.bench import run_bench

    monkeypatch.chdir(tmp_path)  # no config/ here: the source checkout's preset is used
    assert protocol.default_config() == protocol.CHECKOUT_CONFIG and protocol.CHECKOUT_CONFIG.exists()
    assert protocol.paper_section("darts-hepnas")[1]["search"]["batch_size"] == 128  # HEP-NAS appendix
    monkeypatch.setattr(protocol, "CHECKOUT_CONFIG", tmp_path / "elsewhere" / "config.yaml")
    with pytest.raises(ConfigError, match="repository root"):
        protocol.require_config()

    def measured(*args, **kwargs):  # reaching any measurement would be too late for the error
        raise AssertionError("bench measured before checking for the paper preset")

    monkeypatch.setattr("nasrepro.runtime.make_runtime", measured)
    with pytest.raises(ConfigError, match="paper preset"):
        run_bench("cpu", spaces=("pooling",), quick=True)
