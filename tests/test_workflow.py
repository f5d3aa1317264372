"""The Snakemake workflow: dry-run of every target, and a real run at the tiniest scale."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
pytestmark = pytest.mark.workflow  # every test here runs snakemake or the CLI in a subprocess


def tiny_config(tmp: Path) -> Path:
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["preset"] = "demo"
    pool = cfg["presets"]["demo"]["pooling"]
    pool.update(train_images=96, seeds=[0], standalone_archs=["24", "34"])
    pool["standalone"].update(epochs=1, batch_size=32)
    pool["warmup"].update(epochs=1, batch_size=32)
    pool["search"].update(epochs=2, batch_size=32)
    pool["tree"]["val_batch"] = 16
    pool["evaluation"].update(val_images=40, test_images=40, batch_size=40)
    ch5 = cfg["presets"]["demo"]["pooling-ch5"]  # the Chapter 5 setting pooling_uniform_tau reads
    ch5.update(train_images=96, seeds=[0], evaluation=dict(pool["evaluation"]))
    ch5["search"].update(epochs=2, batch_size=32)
    nb = cfg["presets"]["demo"]["nb-macro"]
    nb.update(train_images=96, seeds=[0], standalone_archs=["22212220"])
    nb["standalone"].update(epochs=1, batch_size=32)
    nb["warmup"].update(epochs=1, batch_size=32)
    nb["search"].update(epochs=2, batch_size=32)
    nb["tree"]["val_batch"] = 8
    nb["selection"]["k"] = 3
    nb["evaluation"].update(val_images=40, test_images=40, batch_size=40, rank_archs=20)
    (tmp / "config").mkdir()
    path = tmp / "config" / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def run(args, cwd):
    return subprocess.run(SNAKEMAKE + args, cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("preset", ["demo", "paper"])
def test_dry_run_resolves_every_target(preset, tmp_path):
    out = run(["-n", "--quiet", "rules", "-s", str(REPO / "Snakefile"), "--directory", str(tmp_path),
               "--configfile", str(REPO / "config" / "config.yaml"), "--config", f"preset={preset}"], REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout + out.stderr
    counts = {parts[0]: int(parts[1]) for line in text.splitlines()
              if len(parts := line.split()) == 2 and parts[1].isdigit()}
    from nasrepro import catalogue

    # every catalogue entry is one job of the generic table / figure rule (both presets have every setting
    # the entries need), plus the generic jobs they depend on
    assert counts["table"] == len(catalogue.names("table"))
    assert counts["figure"] == len(catalogue.names("figure"))
    for rule in ("search", "standalone", "warmup", "resolved_config"):
        assert counts[rule] >= 1


def test_bad_config_stops_before_any_job(tmp_path):
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["presets"]["demo"]["pooling"]["search"]["lr"] = "fast"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    out = run(["-n", "-s", str(REPO / "Snakefile"), "--directory", str(tmp_path), "--configfile", str(path)], REPO)
    assert out.returncode != 0
    assert "lr" in out.stdout + out.stderr


def test_tiny_end_to_end_run(tmp_path):
    cfg = tiny_config(tmp_path)
    # the figure reads the same uniform run as the table (thesis Fig. 5.4's density trace)
    targets = ["tables/pooling_uniform_tau.csv", "figures/thesis_fig5_4.png", "results/demo/pooling/standalone/pack0_s0.json"]
    # Targets first: --configfile takes several values and would swallow them.
    out = run([*targets, "--cores", "2", "-s", str(REPO / "Snakefile"), "--directory", str(tmp_path),
               "--configfile", str(cfg)], REPO)
    assert out.returncode == 0, out.stderr[-3000:]
    tau = pd.read_csv(tmp_path / "tables/pooling_uniform_tau.csv")
    assert set(tau["preset"]) == {"demo"} and tau["config_hash"].nunique() == 1
    assert set(tau["space"]) == {"pooling-ch5"}  # the protocol of the published 0.16 (thesis Table 5.1)
    assert -1 <= tau["kendall_tau"].iloc[-1] <= 1
    assert (tmp_path / "figures/thesis_fig5_4.pdf").stat().st_size > 0
    rows = json.loads((tmp_path / "results/demo/pooling/standalone/pack0_s0.json").read_text())
    assert [r["arch"] for r in rows] == ["[4,3,3]", "[7,1,2]"]  # one pack, trained concurrently
    assert all(0 <= r["test_acc"] <= 100 and r["pack_size"] == 2 for r in rows)
    assert (tmp_path / "benchmarks/demo/pooling-ch5/search/uniform_s0.tsv").exists()
    assert (tmp_path / "logs/demo/pooling-ch5/search/uniform_s0.log").read_text().count("epoch") >= 2


def test_multi_gpu_profile_launches_the_search_with_torchrun(tmp_path):
    out = run(["-n", "-p", "tables/table1.csv", "--profile", str(REPO / "profiles" / "slurm-multigpu"),
               "-s", str(REPO / "Snakefile"), "--directory", str(tmp_path),
               "--configfile", str(REPO / "config" / "config.yaml"), "--config", "preset=paper"], REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout + out.stderr
    assert "torchrun --standalone --nproc_per_node=4 -m nasrepro.cli search" in text
    assert "nasrepro warmup" in text  # rules without nproc keep one process


def test_search_under_torchrun_two_cpu_ranks(tmp_path):
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    from nasrepro.config import resolve

    cfg["preset"] = "demo"
    resolved = resolve(cfg)
    pool = resolved["pooling"]
    pool.update(train_images=96)
    pool["search"].update(epochs=1, batch_size=32)
    pool["evaluation"].update(val_images=40, batch_size=40)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(resolved))
    out = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "nasrepro.cli",
         "search", "--config-json", str(path), "--space", "pooling", "--method", "mcts", "--seed", "0",
         "--out-dir", str(tmp_path / "run")],
        cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-3000:]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["method"] == "mcts" and summary["ranked_archs"] == 36
    assert (out.stdout + out.stderr).count("seed 0: chose") == 1  # only rank 0 ranks and reports
