"""The README's "Add a sampler" and "Add a search space" recipes, run as a researcher would: a sampler or
space written in their own module (outside the package), named in the config as ``module:Class``, run
through the CLI; the sampler's run is shown in a table beside the built-in methods."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from nasrepro.errors import ConfigError
from nasrepro.samplers import sampler_class

REPO = Path(__file__).resolve().parent.parent

RANDOM_WALK = '''
import numpy as np

from nasrepro.samplers import Sampler


class RandomWalk(Sampler):
    """Move to a random neighbour (one decision changed) of the last architecture; restart uniformly
    with probability ``restart``."""

    name = "random-walk"
    phase_plan = "sample"
    uses_reward = False
    guides_selection = False  # select like uniform: the walk says nothing about quality

    def __init__(self, encodings, choices, restart=0.1):
        super().__init__(encodings, choices)
        self.restart = float(restart)
        self.index = {tuple(row): i for i, row in enumerate(self.encodings.tolist())}
        self.current = None

    def sample(self, rng):
        if self.current is None or rng.random() < self.restart:
            self.current = int(rng.integers(self.population_size))
            return self.current
        row = self.encodings[self.current].copy()
        for _ in range(32):  # constrained spaces: try neighbours until one is in the population
            d = int(rng.integers(len(row)))
            if self.choices[d] < 2:
                continue
            row[d] = (row[d] + 1 + int(rng.integers(self.choices[d] - 1))) % self.choices[d]  # another option
            if tuple(row.tolist()) in self.index:
                self.current = self.index[tuple(row.tolist())]
                break
            row = self.encodings[self.current].copy()
        return self.current

    def state_dict(self):
        return {**super().state_dict(), "current": -1 if self.current is None else self.current}

    def load_state_dict(self, state):
        super().load_state_dict(state)
        self.current = None if int(state["current"]) < 0 else int(state["current"])
'''


def _tiny_pooling_config(tmp: Path, methods: dict) -> Path:
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    cfg["preset"] = "demo"
    cfg["results_dir"] = str(tmp / "results")
    cfg["methods"].update(methods)
    pool = cfg["presets"]["demo"]["pooling"]
    pool.update(train_images=128, seeds=[0])  # 2 epochs of 4 steps (a 64-image train half): cheap, several paths
    pool["search"].update(epochs=2, batch_size=16)
    pool["evaluation"].update(val_images=40, test_images=40, batch_size=40)
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _cli(args, tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp / "plugins"), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-m", "nasrepro.cli", *args], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return out


@pytest.mark.workflow
def test_plugin_sampler_runs_a_search_through_the_cli_and_gets_a_table_row(tmp_path):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "mysamplers.py").write_text(textwrap.dedent(RANDOM_WALK))
    cfg = _tiny_pooling_config(tmp_path, {
        "random-walk": {"label": "Random walk", "sampler": "mysamplers:RandomWalk", "sampler_options": {"restart": 0.2}}})
    raw = yaml.safe_load(cfg.read_text())
    raw["compare"] = {"table1": ["random-walk"]}  # the workflow then runs it for Table 1, beside the paper's methods
    cfg.write_text(yaml.safe_dump(raw))
    resolved = tmp_path / "config.json"
    _cli(["resolve-config", "--config", str(cfg), "--out", str(resolved)], tmp_path)
    run_dir = tmp_path / "results" / "demo" / "pooling" / "search" / "random-walk" / "s0"
    from nasrepro import catalogue

    wanted = catalogue.inputs(json.loads(resolved.read_text()), "table1")  # the table rule's inputs
    assert str(run_dir / "summary.json") in wanted
    assert wanted.index(str(run_dir / "summary.json")) > max(i for i, f in enumerate(wanted) if "/mcts-learned/" in f)
    # and Snakemake schedules the plug-in's search for the table (dry run, the plug-in on PYTHONPATH)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "plugins"), os.environ.get("PYTHONPATH", "")])}
    dry = subprocess.run([sys.executable, "-m", "snakemake", "-n", "-p", "-s", str(REPO / "Snakefile"),
                          "--directory", str(tmp_path), "--configfile", str(cfg), "--config", "preset=demo",
                          "--", "tables/table1.csv"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert dry.returncode == 0, (dry.stdout + dry.stderr)[-3000:]
    assert "--method random-walk --seed 0" in dry.stdout + dry.stderr
    _cli(["search", "--config-json", str(resolved), "--space", "pooling", "--method", "random-walk", "--seed", "0",
          "--out-dir", str(run_dir)], tmp_path)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["sampler"] == "mysamplers:RandomWalk"
    assert summary["sampler_options"] == {"restart": 0.2}
    assert summary["phases"] == [{"mode": "sample", "fraction": 1.0}]
    assert summary["unique_visited"] > 1  # it trained paths the walk chose
    table = tmp_path / "table1.csv"
    _cli(["table", "table1", "--config-json", str(resolved), "--inputs", str(run_dir / "summary.json"),
          "--out", str(table)], tmp_path)
    frame = pd.read_csv(table)
    row = frame[frame["method"] == "random-walk"].iloc[0]
    assert row["label"] == "Random walk" and row["arch"] == summary["arch"]
    assert np.isfinite(row["best_acc"]) and row["best_acc"] == pytest.approx(summary["gt_acc"])


def test_a_typo_in_a_plugin_option_stops_config_resolution(tmp_path):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "mysamplers.py").write_text(textwrap.dedent(RANDOM_WALK))
    sys.path.insert(0, str(tmp_path / "plugins"))
    try:
        from nasrepro import config

        raw = yaml.safe_load(_tiny_pooling_config(tmp_path, {
            "random-walk": {"label": "RW", "sampler": "mysamplers:RandomWalk", "sampler_options": {"restrat": 0.2}}
        }).read_text())
        with pytest.raises(ConfigError, match=r"methods\.random-walk\.sampler_options\.restrat.*restart"):
            config.resolve(raw)
    finally:
        sys.path.remove(str(tmp_path / "plugins"))
        sys.modules.pop("mysamplers", None)


def test_unimportable_plugin_names_the_fix():
    with pytest.raises(ConfigError, match="PYTHONPATH"):
        sampler_class("no_such_module_xyz:Sampler")
    with pytest.raises(ConfigError, match="has no attribute"):
        sampler_class("nasrepro.samplers.uniform:NoSuchClass")


KERNEL_SPACE = '''
import itertools

import torch
from torch import nn

from nasrepro.spaces import SearchSpace, Supernet

OPS = ("skip", "conv3", "conv5")


def make_op(op, channels):
    if op == 0:
        return nn.Identity()
    k = 3 if op == 1 else 5
    return nn.Sequential(nn.Conv2d(channels, channels, k, padding=k // 2, bias=False), nn.BatchNorm2d(channels),
                         nn.ReLU())


class KernelSupernet(Supernet):
    def __init__(self, num_classes, channels, layers):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels), nn.ReLU())
        self.layers = nn.ModuleList(nn.ModuleDict({str(o): make_op(o, channels) for o in range(len(OPS))})
                                    for _ in range(layers))
        self.head = nn.Linear(channels, num_classes)

    def forward(self, x, arch):
        h = self.stem(x)
        for layer, op in zip(self.layers, arch):
            h = layer[str(op)](h)
        return self.head(h.mean((2, 3)))

    def prune_to(self, arch):
        for layer, op in zip(self.layers, arch):
            for key in [k for k in layer if k != str(op)]:
                del layer[key]


class KernelSpace(SearchSpace):
    """Three layers, each a skip, a 3x3 or a 5x5 convolution: 27 architectures."""

    name = "kernels"
    layers = 3

    def choices_per_decision(self):
        return [len(OPS)] * self.layers

    def enumerate(self):
        return list(itertools.product(range(len(OPS)), repeat=self.layers))

    def format(self, arch):
        return "-".join(OPS[o] for o in arch)

    def parse(self, text):
        return tuple(OPS.index(t) for t in str(text).split("-"))

    def build_supernet(self, num_classes=10, width=1.0):
        return KernelSupernet(num_classes, max(4, int(16 * width)), self.layers)
'''


@pytest.mark.workflow
def test_plugin_search_space_runs_a_search_through_the_cli(tmp_path):
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "myspaces.py").write_text(textwrap.dedent(KERNEL_SPACE))
    cfg = yaml.safe_load(_tiny_pooling_config(tmp_path, {}).read_text())
    demo = cfg["presets"]["demo"]
    demo["kernels"] = {**demo["pooling"], "space": "myspaces:KernelSpace", "ground_truth": "none",
                       "sampler": {"t_start": 0.02}, "tree": {"distance": "l2", "val_batch": 8, "hv_candidates": 0}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    resolved = tmp_path / "config.json"
    _cli(["resolve-config", "--config", str(tmp_path / "config.yaml"), "--out", str(resolved)], tmp_path)
    for method in ("uniform", "mcts"):  # a flat sampler, and MCTS over the space's default (layer-by-layer) tree
        run_dir = tmp_path / "results" / "demo" / "kernels" / "search" / method / "s0"
        _cli(["search", "--config-json", str(resolved), "--space", "kernels", "--method", method, "--seed", "0",
              "--out-dir", str(run_dir)], tmp_path)
        summary = json.loads((run_dir / "summary.json").read_text())
        assert summary["space"] == "kernels" and summary["ranked_archs"] == 27
        assert summary["arch"].count("-") == 2 and summary["unique_visited"] > 1
        ranked = pd.read_csv(run_dir / "arch_eval.csv")
        assert len(ranked) == 27 and ranked["supernet_val_acc"].between(0, 100).all()
        # the found network is the best-ranked one for uniform, the max-probability leaf for MCTS (App. B.1)
        if method == "uniform":
            assert summary["arch"] == ranked.loc[ranked["supernet_val_acc"].idxmax(), "arch"]
    arch = json.loads(_cli(["arch", "myspaces:KernelSpace", "conv3-skip-conv5", "--json"], tmp_path).stdout)
    # stem 3->16 3x3, a 3x3 and a 5x5 16->16 conv (no bias), their BNs, the 16->10 head
    assert arch["params"] == 3 * 16 * 9 + 16 * 16 * 9 + 16 * 16 * 25 + 3 * 2 * 16 + 16 * 10 + 10
    assert arch["gt_accuracy"] is None


def test_compare_names_known_targets_and_methods(tmp_path):
    from nasrepro import config

    raw = yaml.safe_load(_tiny_pooling_config(tmp_path, {}).read_text())
    with pytest.raises(ConfigError, match="unknown target 'tabel1'"):
        config.resolve({**raw, "compare": {"tabel1": ["uniform"]}})
    with pytest.raises(ConfigError, match=r"compare\.table1: unknown method 'mine'"):
        config.resolve({**raw, "compare": {"table1": ["mine"]}})
