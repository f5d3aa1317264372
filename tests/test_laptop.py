"""The laptop preset (issue 21): Uniform only, on CIFAR-10 from data_root; the other rows say why they are missing."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest

from nasrepro import catalogue, config
from nasrepro.errors import ConfigError
from nasrepro.layout import Layout


@pytest.fixture(scope="module")
def raw():
    return config.load("config/config.yaml")


@pytest.fixture(scope="module")
def cfg(raw):
    return config.resolve({**raw, "preset": "laptop", "data_root": "/nowhere"})


def _summary(setting: str, tau: float) -> dict:
    return {"space": setting, "method": "uniform", "label": "Uniform", "seed": 0, "arch": "a", "gt_acc": 91.0,
            "gt_rank": 7, "kendall_tau": tau, "top1_gt_acc": 91.0, "reward": "abs/val/acc"}


def test_laptop_runs_only_uniform_on_cifar10(cfg):
    for setting in ("nb-macro-ch5", "nb201-c10"):
        assert cfg[setting]["methods"] == ["uniform"] and cfg[setting]["dataset"] == "cifar10"
    assert catalogue.inputs(cfg, "thesis_table5_1") == [
        "results/laptop/nb-macro-ch5/search/uniform/s0/summary.json", "benchmarks/laptop/nb-macro-ch5/search/uniform_s0.tsv"]
    assert catalogue.inputs(cfg, "thesis_table5_3") == [
        "results/laptop/nb201-c10/search/uniform/s0/summary.json", "benchmarks/laptop/nb201-c10/search/uniform_s0.tsv"]
    # a table whose every method the preset leaves out is not in `all` (it would have no row of ours)
    outs = catalogue.targets(cfg)
    assert "tables/thesis_table5_1.csv" in outs and "tables/thesis_table5_3.csv" in outs
    assert "tables/thesis_table5_2.csv" not in outs and "tables/thesis_table5_4.csv" not in outs


def test_rows_not_run_keep_the_printed_values_and_say_why(cfg, tmp_path):
    layout = Layout.of(cfg)
    path = tmp_path / layout.search("nb-macro-ch5", "uniform", 0)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(_summary("nb-macro-ch5", 0.5)))
    frame = catalogue.get("thesis_table5_1").builder(cfg, [path]).set_index(["space", "method"])
    ours = frame.loc[("nb-macro-ch5", "uniform")]
    assert ours["kendall_tau"] == 0.5 and ours["published_kendall_tau"] == 0.72
    assert ours["delta_kendall_tau"] == pytest.approx(0.5 - 0.72)
    fair = frame.loc[("nb-macro-ch5", "fairnas")]
    assert fair["arch"] == "not run: preset 'laptop' runs only uniform in nb-macro-ch5"
    assert fair["published_kendall_tau"] == 0.72 and fair["kendall_tau"] != fair["kendall_tau"]  # NaN: no number of ours
    assert frame.loc[("pooling-ch5", "uniform"), "arch"] == "not run: preset 'laptop' has no pooling-ch5 section"
    assert set(frame["preset"]) == {"laptop"}


def test_table5_3_columns_say_which_methods_ran(cfg, tmp_path):
    layout = Layout.of(cfg)
    path = tmp_path / layout.search("nb201-c10", "uniform", 0)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(_summary("nb201-c10", 0.3)))
    frame = catalogue.get("thesis_table5_3").builder(cfg, [path]).set_index("method")
    assert frame.loc["uniform", "cifar10_tau"] == 0.3 and frame.loc["uniform", "cifar10_status"] == "run on cifar10"
    assert frame.loc["fairnas", "cifar10_status"] == "not run: preset 'laptop' runs only uniform in nb201-c10"
    assert frame.loc["uniform", "cifar100_status"].startswith("skipped: preset 'laptop' has no nb201-c100 section")


def test_unknown_section_method_stops_the_config(raw):
    bad = copy.deepcopy(raw)
    bad["presets"]["laptop"]["nb201-c10"]["methods"] = ["uniform", "unifrom"]
    with pytest.raises(ConfigError, match=r"presets\.laptop\.nb201-c10\.methods: unknown method 'unifrom'"):
        config.resolve({**bad, "preset": "laptop"})


def test_channels_last_is_a_preset_switch(raw):
    from nasrepro.runtime import runtime_from_config

    assert runtime_from_config(config.resolve({**raw, "preset": "demo"})).channels_last is False  # CPU default
    assert runtime_from_config(config.resolve({**raw, "preset": "laptop"})).channels_last is True


def test_network_options_reach_the_supernet_and_typos_stop_the_config(raw):
    from nasrepro.spaces import get_space
    from nasrepro.spaces.population import section_supernet

    net = section_supernet(get_space("nb201"), 10, {"width": 0.25, "network": {"cells_per_stage": 1}})
    assert net.N == 1 and len(net.cells) == 3 * 1 + 2  # three cells and the two residual reductions
    assert len(section_supernet(get_space("nb201"), 10, {"width": 0.25}).cells) == 3 * 5 + 2  # the benchmark's
    bad = copy.deepcopy(raw)
    bad["presets"]["laptop"]["nb201-c10"]["network"] = {"cells_per_stag": 1}
    with pytest.raises(ConfigError, match=r"nb201-c10\.network: space NB201Space takes no network option "
                                          r"'cells_per_stag'; its options: cells_per_stage"):
        config.resolve({**bad, "preset": "laptop"})


def test_the_start_check_accepts_each_cifar_layout(raw, tmp_path):
    from nasrepro.data.check import missing_data

    cfg = config.resolve({**raw, "preset": "laptop", "data_root": str(tmp_path)})
    assert missing_data(cfg) == [f"CIFAR-10 not found under {str(tmp_path)!r} (config key data_root): set data_root "
                                 "to the folder holding cifar-10-batches-py (or cifar10_train.npz and "
                                 "cifar10_test.npz), or run with --config download=true"]
    (tmp_path / "cifar10_train.npz").touch()
    assert missing_data(cfg)  # one split is not enough
    (tmp_path / "cifar10_jpeg_test.npz").touch()  # arrays for one split, a JPEG pack for the other
    assert missing_data(cfg) == []


def test_each_row_names_its_reduced_protocol_beside_the_papers(cfg, tmp_path):
    layout = Layout.of(cfg)
    paths = []
    for setting, tau in (("nb-macro-ch5", 0.5), ("nb201-c10", 0.3)):
        path = tmp_path / layout.search(setting, "uniform", 0)
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(_summary(setting, tau)))
        paths.append(path)
    t51 = catalogue.get("thesis_table5_1").builder(cfg, [paths[0]]).set_index(["space", "method"])
    assert t51.loc[("nb-macro-ch5", "uniform"), "run_protocol"] == (
        "preset laptop: cifar10, width 0.25, 10,000 train / 10,000 val images, 30 epochs x batch 128, lr 0.05; "
        "tau over 800 random architectures on 2,000 validation images")
    assert t51.loc[("nb-macro-ch5", "uniform"), "published_protocol"].startswith("thesis App. II.2: width 1, CIFAR-10 25,000")
    assert pd.isna(t51.loc[("pooling-ch5", "uniform"), "run_protocol"])  # not in this preset: no run, no protocol
    assert pd.isna(t51.loc[("nb-macro-ch5", "fairnas"), "run_protocol"])  # in the preset but not run
    t53 = catalogue.get("thesis_table5_3").builder(cfg, [paths[1]]).set_index("method")
    assert t53.loc["uniform", "cifar10_run_protocol"] == (
        "preset laptop: cifar10, width 0.5, cells_per_stage 1, 10,000 train / 10,000 val images, 60 epochs x batch 64, "
        "lr 0.05; tau over 400 random architectures on 2,000 validation images; a reduced skeleton (N = 1) whose "
        "ranking signal is weak: the best of the CPU settings tried (README 'CPU evidence')")
    assert "C = 16, N = 5" in t53.loc["uniform", "published_protocol"]


class _Killed(Exception):
    pass


def test_a_killed_laptop_search_resumes_to_the_uninterrupted_result(raw, tmp_path):
    """The laptop NB201 setting (its N = 1 skeleton from ``network``, CIFAR-10 from .npz under data_root),
    shrunk: killed after the epoch-2 log line (epoch 1 checkpointed), rerun, equal to a run never killed."""
    import numpy as np

    from nasrepro.jobs.search import run_search
    from nasrepro.testing import synthetic_images

    for split, n, seed in (("train", 96, 0), ("test", 32, 1)):
        x, y = synthetic_images(n, seed)
        np.savez(tmp_path / f"cifar10_{split}.npz", images=x.numpy(), labels=y.numpy().astype(np.int64))
    cfg = config.resolve({**raw, "preset": "laptop", "data_root": str(tmp_path)})
    sec = cfg["nb201-c10"]
    sec.update(train_images=96, width=0.25)
    sec["search"].update(epochs=3, batch_size=16)
    sec["evaluation"].update(rank_archs=6, val_images=16, batch_size=16)

    def kill_at_epoch_2(message: str) -> None:
        if message.startswith("epoch 2/"):
            raise _Killed

    with pytest.raises(_Killed):
        run_search(cfg, "nb201-c10", "uniform", 0, tmp_path / "killed", log=kill_at_epoch_2)
    lines: list[str] = []
    resumed = run_search(cfg, "nb201-c10", "uniform", 0, tmp_path / "killed", log=lines.append)
    assert any(line.startswith("resumed from") and "at epoch 1/3" in line for line in lines), lines
    whole = run_search(cfg, "nb201-c10", "uniform", 0, tmp_path / "whole", log=lambda *_: None)
    def written(run: str) -> dict:  # the strict JSON on disk (NaN written as null, so equal compares equal)
        return {k: v for k, v in json.loads((tmp_path / run / "summary.json").read_text()).items()
                if k not in ("train_seconds", "device")}

    assert resumed["arch"] == whole["arch"] and written("killed") == written("whole")
    assert (tmp_path / "killed" / "arch_eval.csv").read_text() == (tmp_path / "whole" / "arch_eval.csv").read_text()
    histories = [pd.read_csv(tmp_path / run / "history.csv").drop(columns="seconds") for run in ("killed", "whole")]
    pd.testing.assert_frame_equal(*histories, check_exact=True)  # the same losses epoch by epoch
    assert len(histories[0]) == 3
