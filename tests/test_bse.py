"""BSE (thesis Eq. 2.6): the inverse-temperature schedule, the probabilities, the search on a supernet."""

from __future__ import annotations

import numpy as np
import pytest

from nasrepro.evaluation.bse import bse_sampler, bse_search
from nasrepro.samplers.schedules import TemperatureSchedule
from nasrepro.spaces import get_space


def test_inverse_linear_schedule_raises_the_inverse_temperature_linearly():
    s = TemperatureSchedule("inverse_linear", t_start=1.0, t_end=1.0 / 401.0)
    for p in (0.0, 0.25, 0.5, 1.0):
        assert 1.0 / s(p) == pytest.approx(1.0 + 400.0 * p)


def test_bse_probabilities_are_the_softmax_of_tau_times_the_rewards():
    space = get_space("pooling")
    sampler = bse_sampler(space.encodings(), space.choices_per_decision(), tau_end=101.0)
    acc = np.linspace(0.80, 0.92, space.size())
    for i, a in enumerate(acc):
        sampler.update(i, a)  # the first reward initialises a_c
    for p in (0.0, 0.5, 1.0):
        sampler.set_progress(p)
        tau = 1.0 + 100.0 * p
        by_hand = np.exp(tau * acc) / np.exp(tau * acc).sum()
        np.testing.assert_allclose(sampler.probabilities(), by_hand, rtol=1e-12)


def _noisy_bandit(acc: np.ndarray, seed: int):
    noise = np.random.default_rng(seed)
    return lambda i, t: float(acc[i] + noise.normal(0.0, 0.01))


def test_bse_search_finds_the_best_arm_spends_its_iterations_and_repeats():
    space = get_space("pooling")
    acc = np.random.default_rng(3).uniform(0.85, 0.90, space.size())
    acc[17] = 0.93  # clearly best
    runs = [bse_search(bse_sampler(space.encodings(), space.choices_per_decision(), tau_end=400.0),
                       _noisy_bandit(acc, 0), 600, np.random.default_rng(1)) for _ in range(2)]
    found = runs[0]
    assert found.chosen == 17 and found.visits.sum() == 600
    assert found.visits.argmax() == 17  # exploitation grows with tau
    assert (found.visits > 0).sum() > space.size() // 2  # tau starts at 1: the early draws are near uniform
    assert runs[1].chosen == found.chosen and np.array_equal(runs[1].visits, found.visits)


def test_a_search_with_bse_reports_its_architecture_and_table_5_1_computes_the_bse_column(tmp_path):
    from nasrepro import catalogue
    from nasrepro.benchmarks import load_ground_truth
    from nasrepro.config import load, resolve
    from nasrepro.jobs.search import run_search

    cfg = resolve(load("config/config.yaml", {"preset": "demo"}))
    sec = cfg["pooling-ch5"]
    sec.update(train_images=96)
    sec["search"].update(epochs=2, batch_size=16)
    sec["evaluation"].update(val_images=32, batch_size=32)
    sec["selection"]["bse"] = {"iterations": 40, "tau_end": 50.0, "batch_images": 16}
    lines: list[str] = []
    summary = run_search(cfg, "pooling-ch5", "uniform", 0, tmp_path / "run", log=lines.append)
    space, gt = get_space("pooling"), load_ground_truth("pooling")
    assert summary["bse_iterations"] == 40 and 1 <= summary["bse_unique_visited"] <= 36
    assert summary["bse_gt_acc"] == gt.accuracy_of(space.parse(summary["bse_arch"]))
    assert any(line.startswith("BSE (40 iterations)") for line in lines)
    frame = catalogue.get("thesis_table5_1").builder(cfg, [tmp_path / "run" / "summary.json"])
    row = frame.set_index(["space", "method"]).loc[("pooling-ch5", "uniform")]
    assert row["bse_acc"] == summary["bse_gt_acc"] and row["published_bse_acc"] == 90.42
    assert row["delta_bse_acc"] == pytest.approx(summary["bse_gt_acc"] - 90.42)
