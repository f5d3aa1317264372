"""The pre-warmed job server (nasrepro.jobserver): a command forked from it is the command run alone, bit for
bit; its exit status, streams and errors reach the caller; an unreachable server falls back to a fresh run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from nasrepro import jobserver
from nasrepro.config import load, resolve, write_resolved

NASREPRO = str(Path(sys.executable).with_name("nasrepro"))


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != jobserver.ENV}
    return {**env, "OMP_NUM_THREADS": "1", **extra}


def _search(cfg_json: Path, out: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([NASREPRO, "search", "--config-json", str(cfg_json), "--space", "pooling-ch2", "--method",
                           "uniform", "--seed", "0", "--out-dir", str(out)], env=env, capture_output=True, text=True)


def test_a_job_forked_from_the_server_is_the_job_run_alone(tmp_path):
    cfg = resolve(load("config/config.yaml", {"preset": "demo"}))
    cfg["pooling-ch2"].update(train_images=64)
    cfg["pooling-ch2"]["search"].update(epochs=1, batch_size=16)
    cfg["pooling-ch2"]["evaluation"].update(val_images=32)
    cfg_json = tmp_path / "config.json"
    write_resolved(cfg, cfg_json)
    alone = _search(cfg_json, tmp_path / "alone", _env())
    assert alone.returncode == 0, alone.stderr
    proc, path = jobserver.start(tmp_path / "server.log")
    try:
        served = _search(cfg_json, tmp_path / "served", _env(**{jobserver.ENV: path}))
        bad = subprocess.run([NASREPRO, "table", "no_such_table", "--config-json", str(cfg_json), "--inputs",
                              "--out", str(tmp_path / "t.csv")], env=_env(**{jobserver.ENV: path}),
                             capture_output=True, text=True)
    finally:
        jobserver.stop(proc)
    assert served.returncode == 0, served.stderr
    log = (tmp_path / "server.log").read_text()
    assert "nasrepro search --config-json" in log and "no_such_table" in log  # both ran in forked children
    assert bad.returncode == 2 and "unknown table 'no_such_table'" in bad.stderr  # status and stderr come back

    def summary(d):
        s = json.loads((tmp_path / d / "summary.json").read_text())
        return {k: v for k, v in s.items() if "seconds" not in k}

    assert summary("served") == summary("alone")
    for name in ("arch_eval.csv", "history.csv"):
        a, b = pd.read_csv(tmp_path / "alone" / name), pd.read_csv(tmp_path / "served" / name)
        a, b = a.drop(columns=[c for c in a if "seconds" in c]), b.drop(columns=[c for c in b if "seconds" in c])
        pd.testing.assert_frame_equal(a, b)
    # the server is gone: the command runs itself
    gone = subprocess.run([NASREPRO, "table", "no_such_table", "--config-json", str(cfg_json), "--inputs",
                           "--out", str(tmp_path / "t.csv")], env=_env(**{jobserver.ENV: path}),
                          capture_output=True, text=True)
    assert gone.returncode == 2 and "unknown table" in gone.stderr


def test_prewarming_does_not_load_the_compiler():
    code = "import sys; from nasrepro import jobserver; jobserver._prewarm(); print('torch._dynamo' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
