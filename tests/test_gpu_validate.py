"""The prepared GPU validation (nasrepro validate-gpu): its configs, its projection from timed epochs, and
the JSON it writes, driven on CPU by a stand-in for the search subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nasrepro import config
from nasrepro.tools import gpu_validate as gv

LOG = """loading cifar10
epoch 1/50 [uniform] loss 2.100 acc 0.200 visited 100/15625 12.0s
epoch 2/50 [uniform] loss 1.900 acc 0.300 visited 200/15625 16.0s
epoch 3/50 [uniform] loss 1.800 acc 0.350 visited 300/15625 20.0s
"""


def test_row_config_is_the_paper_setting_with_seed_0_fixed_val_images_and_graphs():
    raw = config.load("config/config.yaml")
    cfg = gv.row_config(raw, "nb201-c10", "/data", 1024)
    s = cfg["nb201-c10"]
    paper = config.resolve({**raw, "preset": "paper"})["nb201-c10"]
    assert cfg["preset"] == "paper" and cfg["data_root"] == "/data" and cfg["cuda_graphs"] is True
    assert s["seeds"] == [0] and s["evaluation"]["val_images"] == 1024 and s["evaluation"]["rank_archs"] is None
    assert s["search"] == paper["search"] and s["width"] == paper["width"] == 1.0  # the protocol is untouched
    with pytest.raises(Exception, match="no setting"):
        gv.row_config(raw, "nb201-c11", "/data", 1024)


def test_projection_from_timed_epochs():
    per, total = gv.epoch_seconds(LOG)
    assert per == [12.0, 4.0, 4.0] and total == 50
    # the first epoch (autotuning, captures) is counted as measured; the 47 left run at the steady 4 s
    assert gv.projected_train_seconds(LOG) == pytest.approx(20.0 + 47 * 4.0)
    assert gv.projected_train_seconds("no epochs yet") is None


def test_validation_json_measured_and_projected_rows(tmp_path):
    calls = []

    def launch(cmd, timeout_s, log_path: Path) -> int:
        calls.append((cmd, timeout_s))
        cfg = json.loads(Path(cmd[cmd.index("--config-json") + 1]).read_text())
        space = cmd[cmd.index("--space") + 1]
        assert cfg[space]["evaluation"]["val_images"] == 256
        if space == "nb201-c10":  # finishes: tau 0.35
            out = Path(cmd[cmd.index("--out-dir") + 1])
            out.mkdir(parents=True)
            (out / "summary.json").write_text(json.dumps({"kendall_tau": 0.35, "arch": "|a|", "gt_acc": 93.5,
                                                          "ranked_archs": 15625, "train_seconds": 150.0}))
            log_path.write_text(LOG)
            return 0
        log_path.write_text(LOG)  # NAS-Bench-Macro: the budget runs out after 3 epochs
        return 124

    out = tmp_path / "gpu.json"
    res = gv.run_validation("/data", out, budget_s=300, val_images=256, checks=False, bench=False,
                            require_cuda=False, launch=launch, log=lambda m: None)
    assert [c[0][c[0].index("--space") + 1] for c in calls] == ["nb201-c10", "nb-macro-ch5"]  # NB201 first
    assert calls[0][1] < 300
    nb201, macro = res["rows"]
    assert nb201["status"] == "measured" and nb201["kendall_tau"] == 0.35 and nb201["published_kendall_tau"] == 0.42
    assert nb201["delta_kendall_tau"] == pytest.approx(-0.07) and nb201["agrees"] is True
    assert nb201["top1_acc"] == 93.5 and nb201["delta_top1_acc"] == pytest.approx(93.5 - 84.02)
    assert macro["status"] == "projected" and "kendall_tau" not in macro and macro["epochs"] == 50
    assert macro["projected_train_seconds"] == pytest.approx(208.0) and macro["published_kendall_tau"] == 0.72
    assert json.loads(out.read_text(), parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}")) == json.loads(
        json.dumps(res))


def test_without_cuda_it_says_so(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is visible")
    with pytest.raises(Exception, match="needs a CUDA device"):
        gv.run_validation("/data", tmp_path / "x.json", checks=False, bench=False)
