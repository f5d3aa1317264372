"""Spaces too large to enumerate (ImageNet MobileNet): warm-up and search over a FLOPs-budget population,
without tabular ground truth."""

import json

import numpy as np
import pandas as pd

from nasrepro.config import load, resolve
from nasrepro.jobs import run_retrain, run_search, run_warmup
from nasrepro.spaces.population import population
from nasrepro.spaces import get_space
from nasrepro.spaces.budget import estimate_macs, mac_table


def mobilenet_config():
    cfg = resolve(load("config/config.yaml", {"preset": "demo"}))
    section = json.loads(json.dumps(cfg["pooling"]))  # a demo-sized section to start from
    section.update(dataset="demo-cifar10", width=0.1, train_images=96, seeds=[0], ground_truth="none",
                   budget_mmacs=280, population_size=40)
    for key in ("warmup", "search"):
        section[key].update(epochs=1, batch_size=16)
    section["warmup"].pop("snapshots", None)
    section["search"]["phases"] = [0.0, 0.5, 0.5]
    section["tree"].update(distance="l2", val_batch=8, hv_candidates=0)
    section["selection"] = {"k": 3}
    section["evaluation"] = {"batch_size": 24, "val_images": 24, "test_images": 24, "rank_archs": 12}
    cfg["mobilenet-imagenet"] = section
    return cfg


def test_population_is_budget_feasible_distinct_and_shared():
    cfg = mobilenet_config()
    space = get_space("mobilenet-imagenet")
    pop = population(cfg["mobilenet-imagenet"], space)
    assert len(pop) == 40 and len(set(pop)) == 40 and pop == population(cfg["mobilenet-imagenet"], space)
    macs = estimate_macs(mac_table(space), pop)
    assert np.all((macs >= 0.99 * 280e6) & (macs <= 280e6))
    assert population(cfg["pooling"], get_space("pooling")) == get_space("pooling").enumerate()


def test_learned_tree_search_over_the_population_without_ground_truth(tmp_path):
    cfg = mobilenet_config()
    run_warmup(cfg, "mobilenet-imagenet", 0, tmp_path / "warm", log=lambda m: None)
    outputs = np.load(tmp_path / "warm" / "outputs.npz")["outputs"]
    assert outputs.shape == (40, 8, 10)
    summary = run_search(cfg, "mobilenet-imagenet", "mcts-learned", 0, tmp_path / "search",
                         warmup_outputs=tmp_path / "warm" / "outputs.npz", log=lambda m: None)
    assert summary["ground_truth"].startswith("none") and "kendall_tau" not in summary
    assert 0.99 * 280 <= summary["macs_m"] <= 280 and summary["params_m"] > 0
    assert summary["ranked_archs"] == 12
    space = get_space("mobilenet-imagenet")
    assert space.parse(summary["arch"]) in population(cfg["mobilenet-imagenet"], space)

    # the paper retrains the found network from scratch: accuracy, MACs and params of that network
    for key in ("standalone",):
        cfg["mobilenet-imagenet"][key].update(epochs=1, batch_size=16)
    # retrain.top: 2 (thesis Table 2.6's top-k): the chosen network, then the next by supernet accuracy, in one pack
    cfg["mobilenet-imagenet"]["retrain"] = {"seeds": [0], "top": 2}
    rows = run_retrain(cfg, "mobilenet-imagenet", tmp_path / "search" / "summary.json", 0, tmp_path / "re.json",
                       log=lambda m: None)
    row = rows[0]
    assert row["arch"] == summary["arch"] and row["method"] == "mcts-learned" and 0 <= row["test_acc"] <= 100
    assert [r["rank"] for r in rows] == [1, 2] and row["search_seed"] == 0
    assert row["test_acc"] <= row["test_top5"] <= 100  # retraining reports top-1 and top-5 (thesis Table 5.5)
    evals = pd.read_csv(tmp_path / "search" / "arch_eval.csv")
    runner_up = evals[evals["arch"] != summary["arch"]].sort_values("supernet_val_acc", ascending=False, kind="stable")
    assert rows[1]["arch"] == runner_up["arch"].iloc[0]
    assert row["macs_m"] == summary["macs_m"]
    assert json.loads((tmp_path / "re.json").read_text()) == rows


def test_top_k_hits_by_hand():
    import torch

    from nasrepro.evaluation.evaluate import evaluate_architectures, topk_hits
    from nasrepro.runtime import make_runtime

    class Fixed(torch.nn.Module):  # logits given per image: forward(x, arch) returns them
        def forward(self, x, arch):
            return x

    logits = torch.tensor([[0.0, 5, 1, 2, 3, 4, -1],   # label 1: top-1
                           [9, 1, 2, 3, 4, 5, 6.0],     # label 6: 2nd
                           [9, 8, 7, 6, 5, 4, 3.0],     # label 5: 6th, outside the top 5
                           [1, 2, 3, 4, 5, 6, 7.0]])    # label 3: 4th
    labels = torch.tensor([1, 6, 5, 3])
    runtime = make_runtime("cpu", deterministic=True)
    hits = topk_hits(Fixed(), (), logits, labels, runtime, batch_size=3, ks=(1, 5, 10))
    assert hits == {1: 1.0, 5: 3.0, 10: 4.0}  # k above the 7 classes counts every image
    assert evaluate_architectures(Fixed(), [()], logits, labels, runtime, 3, use_batch_stats=False)[0] == 25.0
