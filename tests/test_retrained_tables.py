"""Thesis Tables 2.4-2.7: the Table 2.7 spaces traced against the print, the retraining plumbing (seeds of one
search, top-k by the supernet's ranking, step schedules stretched with M) and the table arithmetic by hand."""

from __future__ import annotations

import json

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
