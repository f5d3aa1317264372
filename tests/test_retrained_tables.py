"""Thesis Tables 2.4-2.7: the Table 2.7 spaces traced against the print, the retraining plumbing (seeds of one
search, top-k by the supernet's ranking, step schedules stretched with M) and the table arithmetic by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nasrepro import catalogue
from nasrepro.config import load, resolve
from nasrepro.jobs.standalone import top_architectures
from nasrepro.layout import Layout
from nasrepro.methods import search_protocol
from nasrepro.reporting import published
from nasrepro.reporting import retrained_tables as rt
from nasrepro.reporting.descriptive import pooling_spaces
from nasrepro.samplers import make_sampler
from nasrepro.spaces import get_space


@pytest.fixture(scope="module")
def demo_cfg():
    return resolve(load("config/config.yaml", {"preset": "demo"}))


def test_table2_7_is_traced_from_the_spaces_and_matches_the_print(demo_cfg):
    frame = pooling_spaces(published.THESIS_TABLE2_7)(demo_cfg, [])
    assert frame["matches"].all(), frame[["space", "feature_maps", "layers", "poolings", "size"]]
    # the sizes are C(layers - 1, poolings), counted by enumeration
    from math import comb
    assert list(frame["size"]) == [comb(n - 1, p) for n, p in zip(frame["layers"], frame["poolings"])]
    assert list(frame["default_arch"]) == ["[4,3,3]", "[3,2,2,2]", "[4,4,6,3]", "[3,4,6,3]", "[2,2,2,2]"]


def test_top_k_is_the_chosen_architecture_then_the_supernet_ranking():
    evals = pd.DataFrame({"arch": ["[1,1,6]", "[2,2,4]", "[3,3,2]", "[4,3,1]"],
                          "supernet_val_acc": [40.0, 55.0, 55.0, 61.0]})
    # the summary's choice leads even when the file ranks another first (e.g. selection over k samples)
    assert top_architectures({"arch": "[2,2,4]"}, evals, 3) == ["[2,2,4]", "[4,3,1]", "[3,3,2]"]
    assert top_architectures({"arch": "[4,3,1]"}, evals, 2) == ["[4,3,1]", "[2,2,4]"]  # ties keep the file order
    with pytest.raises(Exception, match="retrain.top is 5"):
        top_architectures({"arch": "[4,3,1]"}, evals, 5)


def test_a_step_schedule_stretches_with_the_mixture_epochs():
    space = get_space("pooling-resnet18")
    mixture = make_sampler("balanced-mixture", space.encodings(), space.choices_per_decision(), models=4)
    recipe = {"epochs": 400, "lr": 0.1, "milestones": [200, 300], "gamma": 0.1}
    assert search_protocol(recipe, mixture) == {**recipe, "epochs": 1600, "milestones": [800, 1200]}
    single = make_sampler("balanced-mixture", space.encodings(), space.choices_per_decision(), models=1)
    assert search_protocol(recipe, single) == recipe


def test_retraining_seeds_retrain_the_first_search_seed(demo_cfg):
    cfg = json.loads(json.dumps(demo_cfg))
    cfg["pooling-r18-imagenet"].update(seeds=[7, 8], retrain={"seeds": [0, 1, 2], "top": 3})
    assert catalogue.retrain_seeds(cfg, "pooling-r18-imagenet") == [0, 1, 2]
    assert {catalogue.retrain_search_seed(cfg, "pooling-r18-imagenet", s) for s in (0, 1, 2)} == {7}
    files = catalogue.need_files(cfg, catalogue.Retrains("pooling-r18-imagenet", ("mixtures", "mixture-m8")))
    layout = Layout.of(cfg)
    assert files[:2] == [layout.retrain("pooling-r18-imagenet", "mixtures", 0),
                         layout.benchmark("retrain", "pooling-r18-imagenet", "mixtures", 0)]
    assert len(files) == 2 * 3 * 2
    # without retrain.seeds (paper Table 4) every search seed's network is retrained with that seed
    assert catalogue.retrain_seeds(cfg, "mobilenet-imagenet-280") == cfg["mobilenet-imagenet-280"]["seeds"]
    assert catalogue.retrain_search_seed(cfg, "mobilenet-imagenet-280", 5) == 5


def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows))
    return path


def _record(setting, arch, acc, seed, method=None, rank=None):
    row = {"space": setting, "arch": arch, "seed": seed, "test_acc": acc}
    if method is not None:
        row.update(method=method, label=method, search_seed=0, rank=rank)
    return row


def test_table2_4_baseline_improved_and_gap_by_hand(demo_cfg, tmp_path):
    layout = Layout(str(tmp_path), "demo")
    setting = "pooling-r18-c10"
    base = _write(tmp_path / f"{setting}/standalone/pack0_s0.json",
                  [_record(setting, "[3,2,2,2]", 90.0, 0), _record(setting, "[3,2,2,2]", 91.0, 1)])
    found = [_write(tmp_path / f"{setting}/retrain/mixtures_s{s}.json",
                    [_record(setting, "[5,2,1,1]", acc, s, "mixtures", 1)]) for s, acc in ((0, 92.0), (1, 93.0))]
    assert layout.retrain(setting, "mixtures", 0).endswith(f"{setting}/retrain/mixtures_s0.json")
    frame = rt.thesis_table2_4(demo_cfg, [base, *found])
    ours = frame[(frame["space"] == setting) & (frame["method"] == "mixtures")].iloc[0]
    assert (ours["baseline_acc"], ours["baseline_std"], ours["improved_acc"], ours["improved_std"]) == (90.5, 0.5, 92.5, 0.5)
    assert ours["gap"] == 2.0 and ours["arch"] == "[5,2,1,1]" and ours["delta_gap"] == pytest.approx(2.0 - 1.06)
    quoted = frame[frame["method"].isin(["diffstride", "dynopool", "shapeadaptor"])]
    assert len(quoted) == 3 and quoted["arch"].str.startswith("quoted").all() and quoted["improved_acc"].isna().all()
    assert quoted["published_improved_acc"].tolist() == [92.4, 80.60, 80.29]
    # a setting without runs keeps its row, with no number filled in
    other = frame[(frame["space"] == "pooling-r50-c100") & (frame["method"] == "mixtures")].iloc[0]
    assert np.isnan(other["improved_acc"]) and other["published_improved_acc"] == 79.61


def test_table2_6_top3_reading_reproduces_the_printed_m2_row():
    """Top-1 62.56, best 68.32, average 64.70 leave 63.22 as the third mean; their std (ddof 0) is 2.57."""
    def runs(mean):
        return pd.DataFrame({"test_acc": [mean - 0.1, mean + 0.1]})

    out = rt.top3_columns({1: runs(62.56), 2: runs(68.32), 3: runs(63.22)})
    assert out["top1_acc"] == pytest.approx(62.56) and out["top1_std"] == pytest.approx(0.1)
    assert out["top3_best"] == pytest.approx(68.32) and out["top3_best_std"] == pytest.approx(0.1)
    assert round(out["top3_avg"], 2) == 64.70 and round(out["top3_avg_std"], 2) == 2.57


def test_table2_5_and_2_6_rows_per_m_from_ranked_retrainings(demo_cfg, tmp_path):
    setting = rt.TABLE2_6_SETTING
    base = _write(tmp_path / f"{setting}/standalone/pack0_s0.json", [_record(setting, "[2,2,2,2]", 68.0, 0)])
    ranked = _write(tmp_path / f"{setting}/retrain/mixture-m2_s0.json",
                    [_record(setting, a, acc, 0, "mixture-m2", r)
                     for r, (a, acc) in enumerate((("[3,1,1,3]", 62.0), ("[2,2,2,2]", 68.0), ("[1,3,1,3]", 64.0)), 1)])
    frame = rt.thesis_table2_6(demo_cfg, [base, ranked]).set_index("method")
    assert frame.loc["default", "top1_acc"] == 68.0 and frame.loc["default", "arch"] == "[2,2,2,2]"
    m2 = frame.loc["mixture-m2"]
    assert (m2["arch"], m2["top1_acc"], m2["top3_best"], m2["top3_archs"]) == ("[3,1,1,3]", 62.0, 68.0, 3)
    assert m2["top3_avg"] == pytest.approx((62 + 68 + 64) / 3) and m2["published_top3_avg"] == 64.70
    assert np.isnan(frame.loc["mixtures", "top1_acc"])  # no runs given: nothing is filled in
    assert frame["run_protocol"].str.contains("stand-in").all()
    food = rt.thesis_table2_5(demo_cfg, []).set_index("method")
    assert list(food.index) == ["default", *rt.MIXTURE_METHODS] and food.loc["mixture-m8", "published_acc"] == 84.73


# ---------------------------------------------------------------------------------------------- thesis Table 5.5
def _write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows))
    return path


def test_table5_5_reports_the_best_random_network_and_each_selections_retraining(demo_cfg, tmp_path):
    layout, s = Layout(str(tmp_path), "demo"), rt.TABLE5_5_SETTING
    space = get_space("mobilenet-imagenet")
    from nasrepro.spaces.population import random_feasible

    randoms = [space.format(a) for a in random_feasible(demo_cfg[s], space, 3)]
    stand = _write(Path(layout.standalone(s, 0, 0)),
                   [{"space": s, "arch": a, "test_acc": acc, "test_top5": acc + 20} for a, acc in
                    zip(randoms, (30.0, 45.0, 40.0))])
    inputs = [stand]
    for i, m in enumerate(rt.TABLE5_5_METHODS):
        for pick, acc in ((None, 50.0 + i), ("ea", 60.0 + i)):
            rec = {"space": s, "method": m, "arch": randoms[0], "test_acc": acc, "test_top5": acc + 10, "macs_m": 300.0,
                   "params_m": 4.0, "selection": pick or "search", "rank": 1}
            inputs.append(_write(Path(layout.retrain(s, m, 0, pick)), [rec]))
    frame = rt.thesis_table5_5(demo_cfg, inputs).set_index("method")
    assert frame.loc["random-search", "top1"] == 45.0 and frame.loc["random-search", "arch"] == randoms[1]
    assert frame.loc["random-search", "top5"] == 65.0
    assert frame.loc["pada", "top1"] == 52.0 and frame.loc["pada.ea", "top1"] == 62.0
    assert frame.loc["pada.ea", "delta_top1"] == pytest.approx(62.0 - 73.84)  # beside the printed EA row
    assert frame.loc["debiased-proto", "published_top5"] == 92.2
    assert str(frame.loc["mobilenetv2", "arch"]).startswith("quoted") and np.isnan(frame.loc["mobilenetv2", "top1"])
    assert len(frame) == 10 and (frame["preset"] == "demo").all()


def test_the_budget_window_bounds_the_population_and_the_random_networks(demo_cfg):
    from nasrepro.spaces.budget import estimate_macs
    from nasrepro.spaces.population import population, random_feasible

    scfg, space = demo_cfg[rt.TABLE5_5_SETTING], get_space("mobilenet-imagenet")
    macs = estimate_macs(space.cost_table(), population(scfg, space)) / 1e6
    assert (macs >= 0.7 * 400).all() and (macs <= 400).all() and macs.min() < 0.99 * 400  # the wider window
    randoms = random_feasible(scfg, space, 5)
    assert len(set(randoms)) == 5 and randoms[:3] == random_feasible(scfg, space, 3)  # seeded, nested


def test_retraining_another_selection_needs_its_architecture(demo_cfg, tmp_path):
    from nasrepro.errors import ConfigError
    from nasrepro.jobs.standalone import run_retrain
    from nasrepro.layout import parse_benchmark

    summary = tmp_path / "summary.json"
    summary.write_text(json.dumps({"space": rt.TABLE5_5_SETTING, "arch": "x", "method": "uniform", "seed": 0}))
    with pytest.raises(ConfigError, match="selection.ea_shift"):
        run_retrain(demo_cfg, rt.TABLE5_5_SETTING, summary, 0, tmp_path / "out.json", pick="ea")
    bench = Layout("results", "demo").benchmark("retrain", "mobilenet-ch5", "pada", 0, "ea")
    assert bench.endswith("retrain/pada.ea_s0.tsv")
    assert parse_benchmark(bench) == ("retrain", "mobilenet-ch5", "pada.ea", 0)
