"""``nasrepro bench`` returns every figure as a positive finite number (no timing assertions: speed
targets belong to the bench output, not to tests)."""

import json
import math

import pytest

from nasrepro.tools.bench import Settings, format_bench, run_bench
from nasrepro.samplers import SAMPLERS


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


@pytest.mark.workflow  # the tree figures are measured in a subprocess each
def test_quick_bench_pooling_has_every_figure():
    # the quick settings cut to one repeat of each measurement: the test checks what is reported, not its precision
    small = Settings(batch=16, images=128, pool=2, steps=1, repeats=1, eval_batch=32, eval_archs=2, eval_repeats=1,
                     sampler_steps=50, tree_sizes=(36,), tree_repeats={36: 1}, max_cpu_step_s=1.0,
                     representation_archs=3, packed_networks=2, packed_steps=2)
    r = run_bench("cpu", spaces=("pooling",), quick=True, tree_sizes=(36,), settings=small, threads=1,
                  log=lambda m: None)
    json.dumps(r, allow_nan=False)  # strict JSON
    assert {"meta", "targets", "spaces", "trees", "projections", "checks"} <= set(r)
    assert r["meta"]["torch"] and r["meta"]["device"] and r["meta"]["date"]

    s = r["spaces"]["pooling"]
    t = s["train"]
    for key in ("supernet_images_per_s", "fixed_images_per_s", "ratio", "supernet_step_ms", "fixed_step_ms",
                "reward_step_ms", "reward_sync_step_ms"):
        assert _positive(t[key]), key
    for key in ("reward_forward_ms", "reward_sync_cost_us"):  # differences of timings: finite, any sign
        assert math.isfinite(t[key]), key
    # the registry, plus the tree-taking sampler on a learned tree
    assert set(s["samplers"]) == set(SAMPLERS) | {"mcts+learned-tree"}
    for name, v in s["samplers"].items():
        assert _positive(v["total_us"]) and _positive(v["pct_of_step"]), name
        assert v["population"] == 36
    assert _positive(s["samplers"]["iterative-mcts"]["rebuild_ms"])
    pk = r["packed_ground_truth"]
    assert _positive(pk["alone_images_per_s"]) and _positive(pk["packed_images_per_s"]) and _positive(pk["speedup"])
    assert (pk["networks"], pk["steps_each"]) == (2, 2)  # the settings' pack, not the defaults
    assert _positive(s["eval"]["archs_per_s"])
    reps = s["eval"]["representations"]  # sizes by closed form: B x classes, every weight, the sketch, L x B²
    b_img, width = reps["images"], t["width"]
    from nasrepro.spaces import get_space
    weights = sum(p.numel() for p in get_space("pooling").build_supernet(width=width).parameters())
    assert reps["functional"]["bytes_per_arch"] == b_img * 10 * 4
    assert reps["gradient"]["bytes_per_arch"] == weights * 4
    assert reps["gradient, sketch 16384"]["bytes_per_arch"] == 16384 * 4
    assert reps["representational (CKA)"]["bytes_per_arch"] == 2 * b_img * b_img * 4
    assert all(_positive(v["ms_per_arch"]) for v in reps.values() if isinstance(v, dict))
    assert "Density representations" in format_bench(r)
    assert _positive(s["memory"]["bytes"])

    tree = r["trees"]["36"]
    assert _positive(tree["seconds"]) and _positive(tree["peak_rss_bytes"]) and tree["n"] == 36

    p = r["projections"]["pooling"]
    assert _positive(p["total_s"]) and p["total_s"] >= p["warmup_s"] > 0
    assert "pooling.ratio<=1.10" in r["checks"]
    assert "Sampler + tree overhead" in format_bench(r) and "as one pack" in format_bench(r)


def test_imagenet_bench_projects_table4_from_measured_steps():
    from nasrepro.tools.bench_imagenet import protocol, run_imagenet_bench

    r = run_imagenet_bench("cpu", budgets=(280.0,), batch=2, resolution=32, width=0.1, steps=1, repeats=1, pool=2,
                           decode_images=8)
    json.dumps(r, allow_nan=False)
    row = r["budgets"]["280"]
    lo, hi = row["population_macs_m"]
    assert 0.99 * 280 <= lo <= hi <= 280  # the paper's [0.99, 1] x budget window, at paper scale
    for key in ("supernet_step_ms", "reward_forward_ms", "fixed_step_ms", "search_gpu_days", "retrain_gpu_days"):
        assert _positive(row[key]), key
    p, b = protocol(), r["meta"]["batch"]
    assert r["protocol"] == p and (p["warmup_epochs"], p["search_epochs"], p["retrain_epochs"]) == (40, 100, 120)
    assert p["search_images"] == 1_281_167 // 2 and p["retrain_images"] == 1_281_167
    search_s = (p["warmup_epochs"] * row["supernet_step_ms"] + p["search_epochs"] * (
        row["supernet_step_ms"] + row["reward_forward_ms"])) / 1e3 * p["search_images"] / b
    assert math.isclose(row["search_gpu_days"] * 86400, search_s, rel_tol=1e-9)
    assert math.isclose(row["total_gpu_days"], row["search_gpu_days"] + row["retrain_gpu_days"])
    assert _positive(r["decode"]["decode_images_per_s"]) and _positive(r["decode"]["one_worker_images_per_s"])
    assert _positive(r["decode"]["dali_images_per_s"]) and r["decode"]["dali_backend"] == "cpu"  # DALI's CPU backend


def test_projections_follow_the_paper_preset():
    from nasrepro.tools.bench import _projection
    from nasrepro.tools.protocol import paper_protocol

    pool = paper_protocol("pooling", "mcts-learned")
    assert (pool.warmup_epochs, pool.warmup_batch, pool.search_epochs, pool.search_batch) == (300, 512, 400, 256)
    assert pool.search_images == 25_000 and pool.reward_fraction == 1.0  # phases [0, .25, .35]: no uniform share
    macro = paper_protocol("nb-macro", "mcts-learned")
    assert (macro.warmup_epochs, macro.search_epochs) == (80, 120)
    uniform = paper_protocol("pooling", "uniform")
    assert uniform.warmup_epochs == 0 and uniform.reward_fraction == 0.0  # no learned tree, no reward read
    train = {"batch": 10, "width": 1.0, "supernet_step_ms": 20.0, "reward_forward_ms": 5.0, "reward_sync_cost_us": 100.0}
    proj = _projection(pool, train)
    # by hand: 48 warm-up steps of 512 images per epoch, 97 search steps of 256, 2 ms / 0.5 ms per image
    assert math.isclose(proj["warmup_s"], 300 * 48 * 512 * 2e-3)
    assert math.isclose(proj["search_train_s"], 400 * 97 * 256 * 2e-3)
    assert math.isclose(proj["search_reward_s"], 400 * 97 * (256 * 0.5e-3 + 100e-6))
