"""``nasrepro validate-gpu``: the prepared paper-scale check on one H100/H200 (issue 21), in one command.

Within a wall-clock budget (default 9 minutes) it

1. runs ``check-device`` (quick sizes, including the CUDA-graph checks);
2. runs the CUDA bench on Pooling and NB201 (eager and graphed steps: images/s, launches per step);
3. trains the paper preset's Uniform supernets of the two rows whose ground truth is tabular, NB201 first,
   and ranks every architecture on a fixed ``val_images`` (1,024: the whole 25k validation half does not
   fit the budget for 15,625 cells):

   - thesis Table 5.3, Uniform on NB201 / CIFAR-10 (``nb201-c10``), published tau 0.42;
   - thesis Table 5.1, Uniform on NAS-Bench-Macro (``nb-macro-ch5``), published tau 0.72;

4. writes one small JSON: tau and the top-1's ground truth beside the published values, the timings, and
   the check and bench figures.

Each search is a ``nasrepro search`` subprocess of the resolved paper config (seed 0, CUDA graphs on) with
the time that is left; a row the budget cannot hold is projected from its timed epochs instead
(``status: projected``). The thesis prints these tau without a spread: ``agrees`` uses +-0.10.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from nasrepro.errors import ConfigError

TOLERANCE = 0.10  # the thesis prints one tau per row, no spread


@dataclass(frozen=True)
class Row:
    table: str
    setting: str
    published_tau: float
    published_top1: float
    top1_source: str


ROWS = (
    Row("thesis_table5_3", "nb201-c10", 0.42, 84.02, "thesis Table 5.3, Uniform, CIFAR10 accuracy (mean of 3 runs)"),
    Row("thesis_table5_1", "nb-macro-ch5", 0.72, 92.03, "thesis Table 5.1, Uniform, Top-1"),
)

EPOCH_LINE = re.compile(r"^epoch (\d+)/(\d+) \[[^\]]*\].* ([0-9.]+)s$")


def row_config(raw: dict, setting: str, data_root: str, val_images: int, cuda_graphs: bool = True) -> dict:
    """The resolved paper config of one row: its setting with seed 0, every architecture ranked on the
    first ``val_images`` validation images, CUDA graphs as asked."""
    from nasrepro import config

    raw = copy.deepcopy(raw)
    raw.update(preset="paper", data_root=data_root)
    preset = raw["presets"]["paper"]
    if setting not in preset:
        raise ConfigError(f"the paper preset has no setting {setting!r}")
    preset["cuda_graphs"] = bool(cuda_graphs)
    preset[setting]["seeds"] = [0]
    preset[setting]["evaluation"] = {**preset[setting]["evaluation"], "val_images": int(val_images), "rank_archs": None}
    return config.resolve(raw)


def epoch_seconds(log_text: str) -> tuple[list[float], int | None]:
    """Per-epoch seconds and the total epochs from a search log's epoch lines (elapsed is cumulative)."""
    elapsed, total = [], None
    for line in log_text.splitlines():
        m = EPOCH_LINE.match(line.strip())
        if m:
            elapsed.append(float(m.group(3)))
            total = int(m.group(2))
    return [b - a for a, b in zip([0.0] + elapsed[:-1], elapsed)], total


def projected_train_seconds(log_text: str) -> float | None:
    """Training seconds of the whole protocol from the epochs the log timed (the first, which carries the
    cuDNN autotuning and graph captures, is left out when later ones exist)."""
    per, total = epoch_seconds(log_text)
    if not per or total is None:
        return None
    steady = per[1:] or per
    return sum(per) + (total - len(per)) * sum(steady) / len(steady)


def row_result(row: Row, summary: dict | None, log_text: str, wall_s: float, val_images: int) -> dict:
    out: dict[str, Any] = {"table": row.table, "setting": row.setting, "method": "uniform",
                           "published_kendall_tau": row.published_tau, "published_top1_acc": row.published_top1,
                           "published_top1_source": row.top1_source, "val_images": val_images, "wall_seconds": wall_s}
    if summary is not None:
        tau = float(summary["kendall_tau"])
        out.update(status="measured", kendall_tau=tau, delta_kendall_tau=tau - row.published_tau,
                   agrees=abs(tau - row.published_tau) <= TOLERANCE, top1_arch=summary["arch"],
                   top1_acc=float(summary["gt_acc"]), delta_top1_acc=float(summary["gt_acc"]) - row.published_top1,
                   ranked_archs=summary.get("ranked_archs"), train_seconds=summary.get("train_seconds"),
                   device=summary.get("device"))
    else:
        per, total = epoch_seconds(log_text)
        out.update(status="projected", epochs_timed=len(per), epochs=total,
                   projected_train_seconds=projected_train_seconds(log_text),
                   note="the budget ran out before the ranking: no tau; training time projected from the timed epochs")
    return out


Launch = Callable[[list[str], float, Path], int]


def launch_subprocess(cmd: list[str], timeout_s: float, log: Path) -> int:
    """Run ``cmd`` with its output in ``log``; 124 when it ran past ``timeout_s`` (it is then killed)."""
    with open(log, "w") as f:
        try:
            return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=max(1.0, timeout_s)).returncode
        except subprocess.TimeoutExpired:
            return 124


def run_validation(data_root: str, out: str | Path, budget_s: float = 540.0, val_images: int = 1024,
                   config_path: str = "config/config.yaml", checks: bool = True, bench: bool = True,
                   require_cuda: bool = True, launch: Launch = launch_subprocess,
                   log: Callable[[str], None] = print) -> dict:
    """Everything of the module docstring; returns (and writes to ``out``) the JSON summary."""
    import torch

    from nasrepro import config
    from nasrepro.io import write_json
    from nasrepro.tools.bench import _git_commit

    t0 = time.perf_counter()
    left = lambda: budget_s - (time.perf_counter() - t0)  # noqa: E731
    if require_cuda and not torch.cuda.is_available():
        raise ConfigError("validate-gpu needs a CUDA device (none is visible); run it on the GPU machine")
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    result: dict[str, Any] = {"device": device, "commit": _git_commit(),
                              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "budget_s": budget_s,
                              "val_images": val_images, "tolerance": TOLERANCE}
    if checks:
        from nasrepro.tools.device_check import run_checks

        log("check-device (quick)")
        result["check_device"] = run_checks("cuda" if torch.cuda.is_available() else "cpu", quick=True, log=log)
    if bench:
        from nasrepro.tools.bench import run_bench

        log("bench (quick): pooling, nb201, eager and CUDA graphs")
        b = run_bench("cuda" if torch.cuda.is_available() else "cpu", spaces=["pooling", "nb201"], quick=True,
                      log=log, tree_sizes=[36])
        result["bench"] = {name: _bench_figures(s["train"]) for name, s in b["spaces"].items()}
    raw = config.load(config_path)
    rows = []
    with tempfile.TemporaryDirectory(prefix="nasrepro-gpu-") as tmp:
        for row in ROWS:
            cfg = row_config(raw, row.setting, data_root, val_images)
            run_dir = Path(tmp) / row.setting
            run_dir.mkdir()
            cfg_path = run_dir / "config.json"
            write_json(cfg_path, cfg)
            cmd = [sys.executable, "-m", "nasrepro", "search", "--config-json", str(cfg_path), "--space", row.setting,
                   "--method", "uniform", "--seed", "0", "--out-dir", str(run_dir / "out")]
            log_path = run_dir / "search.log"
            log(f"{row.table}: Uniform on {row.setting}, {left():.0f} s left")
            start = time.perf_counter()
            rc = launch(cmd, left() - 5.0, log_path) if left() > 30 else 124
            text = log_path.read_text() if log_path.exists() else ""
            summary_path = run_dir / "out" / "summary.json"
            summary = json.loads(summary_path.read_text()) if rc == 0 and summary_path.exists() else None
            if rc not in (0, 124):
                raise RuntimeError(f"the {row.setting} search failed (exit {rc}); its log ends:\n{text[-2000:]}")
            rows.append(row_result(row, summary, text, time.perf_counter() - start, val_images))
            log(json.dumps(rows[-1]))
    result["rows"] = rows
    result["wall_seconds"] = time.perf_counter() - t0
    write_json(out, result)
    return result


def _bench_figures(train: dict) -> dict:
    """The bench's before (eager) / after (graphed) figures of one space."""
    keys = ("batch", "supernet_images_per_s", "fixed_images_per_s", "ratio", "supernet_step_ms", "launches_per_step")
    out = {"eager": {k: train.get(k) for k in keys}}
    if "graphed" in train:
        out["graphed"] = {k: train["graphed"].get(k) for k in keys + ("speedup_supernet", "speedup_fixed", "graph_stats")}
    return out


__all__ = ["ROWS", "run_validation", "row_config", "epoch_seconds", "projected_train_seconds", "row_result"]
