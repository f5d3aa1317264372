"""Query trials as jobs: determinism, resume after a kill, the full-benchmark extract, config errors, tables."""

from __future__ import annotations

import copy
import json
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nasrepro import catalogue, config
from nasrepro.errors import CheckpointError, ConfigError
from nasrepro.query import trial as trial_mod

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def raw() -> dict:
    return config.load(ROOT / "config" / "config.yaml", {"preset": "demo"})


@pytest.fixture(scope="module")
def demo_cfg(raw) -> dict:
    return config.resolve(raw)


def _history(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "history.csv")


def test_a_trial_is_deterministic_and_writes_strict_outputs(demo_cfg, tmp_path):
    a = trial_mod.run_trial(demo_cfg, "anasod-nb201", "anasod-biasedrs", "cifar10", 0, tmp_path / "a")
    b = trial_mod.run_trial(demo_cfg, "anasod-nb201", "anasod-biasedrs", "cifar10", 0, tmp_path / "b")
    c = trial_mod.run_trial(demo_cfg, "anasod-nb201", "anasod-biasedrs", "cifar10", 1, tmp_path / "c")
    assert _history(tmp_path / "a").equals(_history(tmp_path / "b"))
    assert not _history(tmp_path / "a")["arch"].equals(_history(tmp_path / "c")["arch"])
    assert a["best_value"] == b["best_value"] and a["queries"] == a["budget"] == 60
    h = _history(tmp_path / "a")
    assert np.all(np.diff(h["best"]) <= 0) and h["best"].iloc[-1] == a["best_value"] == h["value"].min()
    text = (tmp_path / "a" / "summary.json").read_text()
    assert "NaN" not in text and json.loads(text)["metric"].startswith("NAS-Bench-201 cifar10 test error")
    assert not (tmp_path / "a" / trial_mod.PARTIAL).exists()


def test_a_killed_trial_resumes_to_the_uninterrupted_result(demo_cfg, tmp_path, monkeypatch):
    whole = trial_mod.run_trial(demo_cfg, "anasod-nb201", "anasod-bo", "cifar10", 0, tmp_path / "whole")
    real = trial_mod.write_json

    def dying(path, obj):
        real(path, obj)
        if Path(path).name == trial_mod.PARTIAL and len(obj["log"]) == 12:
            raise KeyboardInterrupt("killed")

    monkeypatch.setattr(trial_mod, "write_json", dying)
    with pytest.raises(KeyboardInterrupt):
        trial_mod.run_trial(demo_cfg, "anasod-nb201", "anasod-bo", "cifar10", 0, tmp_path / "cut")
    assert len(json.loads((tmp_path / "cut" / trial_mod.PARTIAL).read_text())["log"]) == 12
    monkeypatch.setattr(trial_mod, "write_json", real)
    resumed = trial_mod.run_trial(demo_cfg, "anasod-nb201", "anasod-bo", "cifar10", 0, tmp_path / "cut")
    assert _history(tmp_path / "cut").equals(_history(tmp_path / "whole"))
    assert resumed["best_arch"] == whole["best_arch"]


def test_a_corrupt_or_foreign_query_log(demo_cfg, tmp_path):
    out = tmp_path / "t"
    out.mkdir()
    (out / trial_mod.PARTIAL).write_text("{not json")
    with pytest.raises(CheckpointError, match="delete it"):
        trial_mod.run_trial(demo_cfg, "anasod-nb201", "rs", "cifar10", 0, out)
    (out / trial_mod.PARTIAL).write_text(json.dumps({"fingerprint": "other", "log": [{"arch": [9]}]}))
    assert trial_mod.run_trial(demo_cfg, "anasod-nb201", "rs", "cifar10", 0, out)["queries"] == 60  # starts afresh


def test_bad_query_config_is_one_clear_error(raw, demo_cfg, tmp_path):
    bad = copy.deepcopy(raw)
    bad["strategies"]["x"] = {"label": "X", "strategy": "random", "options": {"beta": 1}}
    with pytest.raises(ConfigError, match="strategies.x.options.*no option 'beta'"):
        config.resolve(bad)
    bad = copy.deepcopy(raw)
    bad["strategies"]["x"] = {"label": "X", "strategy": "simulated-annealing"}
    with pytest.raises(ConfigError, match="unknown query strategy"):
        config.resolve(bad)
    bad = copy.deepcopy(raw)
    bad["presets"]["demo"]["query"]["anasod-nb201"]["datasets"] = ["svhn"]
    with pytest.raises(ConfigError, match="datasets"):
        config.resolve(bad)
    with pytest.raises(ConfigError, match="does not run dataset"):
        trial_mod.run_trial(demo_cfg, "anasod-nb201", "rs", "cifar100", 0, tmp_path)
    with pytest.raises(ConfigError, match="no query setting"):
        trial_mod.run_trial(demo_cfg, "nope", "rs", "cifar10", 0, tmp_path)
    missing = copy.deepcopy(demo_cfg)
    missing["query"]["anasod-nb201"]["full_benchmark_path"] = str(tmp_path / "NAS-Bench-201.pth")
    from nasrepro.data.check import missing_data

    assert any("query.anasod-nb201.full_benchmark_path" in p for p in missing_data(missing, set()))


# ------------------------------------------------------------------ the full benchmark (a stand-in API)
SEEDS = (777, 888, 999)


@pytest.fixture()
def fake_api(monkeypatch, tmp_path):
    """A stand-in for nas_201_api: the compact table's cells, per-seed validation accuracies and train times
    that follow a formula, and seed 999 missing for odd cells."""
    archs = [s for s in pd.read_csv(ROOT / "nasrepro" / "benchmarks" / "data" / "nb201_test_accuracy_200ep.csv.gz",
                                    usecols=["ArchitectureString"])["ArchitectureString"]]

    class API:
        def __init__(self, path, verbose=False):
            self.meta_archs = archs

        def get_more_info(self, i, dataset, iepoch=None, hp="200", is_random=False):
            assert dataset == "cifar10-valid" and hp == "200"
            if is_random == 999 and i % 2:
                raise KeyError(999)
            return {"valid-accuracy": 50.0 + (i % 40) + SEEDS.index(is_random) * 0.5, "train-all-time": 100.0 + i % 7}

    module = types.ModuleType("nas_201_api")
    module.NASBench201API = API
    monkeypatch.setitem(sys.modules, "nas_201_api", module)
    full = tmp_path / "NAS-Bench-201-v1_1-096897.pth"
    full.write_bytes(b"stand-in")
    return full


def test_extract_gives_single_seed_validation_error_and_train_time(fake_api, tmp_path, demo_cfg):
    from nasrepro.query.extract import extract, read_extract

    info = extract(fake_api, "cifar10", tmp_path / "cifar10.npz")
    assert info["experiment"] == "cifar10-valid" and info["seeds_present"] == 15625 * 3 - 15625 // 2
    obj = read_extract(tmp_path / "cifar10.npz", "cifar10")
    assert obj.reading == "single-seed" and "validation error" in obj.metric
    assert obj.error[0] == pytest.approx(100 - 50.5)  # mean of 50.0, 50.5, 51.0
    assert np.isnan(obj.seed_errors[1, 2]) and obj.cost_of(obj.archs[3]) == 103.0
    rng = np.random.default_rng(0)
    values = {obj.answer(obj.archs[1], rng)[0] for _ in range(50)}
    assert values == {100 - 51.0, 100 - 51.5}  # cell 1 has seeds 777 and 888 only
    with pytest.raises(Exception, match="not cifar100"):
        read_extract(tmp_path / "cifar10.npz", "cifar100")
    cfg = copy.deepcopy(demo_cfg)
    cfg["query"]["anasod-nb201"]["full_benchmark_path"] = str(fake_api)
    s = trial_mod.run_trial(cfg, "anasod-nb201", "rs", "cifar10", 0, tmp_path / "t", extract=tmp_path / "cifar10.npz")
    h = _history(tmp_path / "t")
    assert s["reading"] == "single-seed" and h["cum_cost_s"].is_monotonic_increasing
    assert s["simulated_seconds"] == pytest.approx(h["cost_s"].sum())
    # Table 1's last row needs per-seed values: computed from the extract
    t1 = catalogue.get("anasod_table1").builder(cfg, [tmp_path / "cifar10.npz"])
    row = t1[(t1["task"] == "NB201 CIFAR-10") & (t1["statistic"] == "Median (different seeds)")].iloc[0]
    assert row["status"] == "computed" and row["reproduced"] == pytest.approx(np.std([50.0, 50.5, 51.0]), abs=0.26)
    assert bool(row["metric_matches_published"])
    assert catalogue.inputs(cfg, "anasod_table1")[0].endswith("anasod-nb201/extract/cifar10.npz")


def test_extract_without_the_reader_names_the_install(tmp_path, monkeypatch):
    from nasrepro.errors import DataError
    from nasrepro.query.extract import extract

    monkeypatch.setitem(sys.modules, "nas_201_api", None)
    full = tmp_path / "b.pth"
    full.write_bytes(b"x")
    with pytest.raises(DataError, match=r"nasrepro\[nb201\]"):
        extract(full, "cifar10", tmp_path / "o.npz")
    with pytest.raises(DataError, match="does not exist"):
        extract(tmp_path / "none.pth", "cifar10", tmp_path / "o.npz")


# ------------------------------------------------------------------ tables
def _summaries(tmp_path: Path, demo_cfg: dict, values: dict) -> list[Path]:
    from nasrepro.io import write_json
    from nasrepro.layout import Layout

    paths = []
    for (strategy, dataset, t), v in values.items():
        p = Path(Layout.of(demo_cfg).query("anasod-nb201", strategy, dataset, t)).relative_to("results")
        p = tmp_path / p
        write_json(p, {"strategy": strategy, "dataset": dataset, "trial": t, "best_value": v, "budget": 60,
                       "metric": "NAS-Bench-201 cifar10 test error (%)", "objective": "test error, mean",
                       "optimum": 5.63, "best_arch": f"cell{t}"})
        paths.append(p)
    return paths


def test_table2_rows_mean_and_standard_error_by_hand(tmp_path, demo_cfg):
    paths = _summaries(tmp_path, demo_cfg, {("rs", "cifar10", 0): 6.0, ("rs", "cifar10", 1): 7.0,
                                            ("anasod-bo", "cifar10", 0): 5.7, ("anasod-bo", "cifar10", 1): 5.9})
    t2 = catalogue.get("anasod_table2").builder(demo_cfg, paths)
    rs = t2[(t2["method"] == "rs") & (t2["task"] == "NB201 CIFAR-10")].iloc[0]
    assert rs["reproduced_mean"] == pytest.approx(6.5) and rs["reproduced_se"] == pytest.approx(0.5)
    assert rs["delta_mean"] == pytest.approx(6.5 - 8.67) and not bool(rs["metric_matches_published"])
    assert rs["best_arch"] == "cell0"
    quoted = t2[t2["method"] == "bananas"]
    assert set(quoted["status"]) == {"quoted from seed 004 (not run here)"} and quoted["reproduced_mean"].isna().all()
    assert t2[t2["task"] == "NB301 CIFAR-10"]["reproduced_mean"].isna().all()
    c100 = t2[(t2["method"] == "anasod-bo") & (t2["task"] == "NB201 CIFAR-100")].iloc[0]
    assert c100["status"].startswith("not run in preset demo")
    assert set(t2["preset"]) == {"demo"}


def test_best_so_far_curves_by_hand():
    from nasrepro.reporting.query_figures import best_so_far

    a = pd.DataFrame({"best": [5.0, 4.0, 4.0], "cum_cost_s": [1.0, 2.0, 3.0]})
    b = pd.DataFrame({"best": [7.0, 6.0, 2.0], "cum_cost_s": [1.0, 1.5, 3.0]})
    grid, mean, se = best_so_far([a, b], "query")
    assert grid.tolist() == [1, 2, 3] and mean.tolist() == [6.0, 5.0, 3.0] and se[0] == pytest.approx(1.0)
    grid, mean, _ = best_so_far([a, b], "cum_cost_s")
    at = lambda t: mean[np.argmin(np.abs(grid - t))]  # noqa: E731
    assert at(1.0) == pytest.approx(6.0) and at(3.0) == pytest.approx(3.0)


def test_catalogue_declares_every_query_job_of_the_preset(demo_cfg):
    files = catalogue.inputs(demo_cfg, "anasod_fig3")
    q = demo_cfg["query"]["anasod-nb201"]
    assert len(files) == 9 * len(q["datasets"]) * len(q["trials"]) * 2
    outs = catalogue.targets(demo_cfg)
    for name in ("anasod_table1", "anasod_table2", "anasod_table6"):
        assert f"tables/{name}.csv" in outs
    for name in ("anasod_fig2", "anasod_fig3", "anasod_fig6"):
        assert f"figures/{name}.pdf" in outs
    none = copy.deepcopy(demo_cfg)
    none["query"] = {}
    # the query targets leave with the query settings; ANASOD Table 3 / Fig. 5 are supernet runs (nb201-dnas ...)
    assert not any("anasod" in o for o in catalogue.targets(none) if "anasod_table3" not in o and "anasod_fig5" not in o)


def test_curves_use_simulated_gpu_seconds_when_every_trial_has_training_times(tmp_path, demo_cfg, monkeypatch):
    from nasrepro.io import write_csv, write_json
    from nasrepro.layout import Layout
    from nasrepro.reporting import query_figures as qf

    inputs = []
    for st in ("ls", "anasod-ls"):
        for t in (0, 1):
            base = tmp_path / Path(Layout.of(demo_cfg).query("anasod-nb201", st, "cifar10", t, "x")).relative_to("results").parent
            h = pd.DataFrame({"query": [1, 2, 3], "best": [9.0, 8.0, 7.5 - t], "cost_s": [100.0, 50.0, 80.0]})
            h["cum_cost_s"] = h["cost_s"].cumsum()
            write_csv(base / "history.csv", h)
            write_json(base / "summary.json", {"objective": "NAS-Bench-201 cifar10-valid validation error (%)"})
            inputs += [base / "summary.json", base / "history.csv"]
    labels = []
    real = qf.draw_curves
    monkeypatch.setattr(qf, "draw_curves", lambda ax, cfg, hist, sts, d, x, title: (labels.append(x),
                                                                                    real(ax, cfg, hist, sts, d, x, title)))
    qf.curves_figure((("LS", ("ls", "anasod-ls")),), "t")(demo_cfg, inputs, tmp_path / "f.pdf", tmp_path / "f.png")
    assert labels == ["cum_cost_s"] and (tmp_path / "f.png").stat().st_size > 0
