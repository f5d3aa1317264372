"""NAS-Bench-201: space, index order, compact ground truth, errors, supernet and known costs."""

from __future__ import annotations

import copy
import csv
import gzip
import hashlib
import io
import itertools
import sys
import types
from importlib import resources

import numpy as np
import pytest
import torch
from torch import nn

from nasrepro.benchmarks import load_ground_truth
from nasrepro.benchmarks.nb201 import CONFIG_KEY, TABLE_FILE, load_nb201, lookup
from nasrepro.errors import ConfigError, DataError, FullBenchmarkRequired
from nasrepro.spaces import get_space
from nasrepro.flops import count_params_macs
from nasrepro.spaces.nb201 import NB201Space, arch_to_str, str_to_arch, unique_str

# Two cells tie for the CIFAR-10 optimum (6111 and 13714, 94.3733); ``best()`` returns the first.
BEST = {
    "cifar10": (
        94.37, 6111, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
    ),
    "cifar100": (
        73.51, 9930, "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    ),
    "ImageNet16-120": (
        47.31, 857, "|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    ),
}
ALL_3X3, ALL_NONE = (3,) * 6, (0,) * 6
SOME = [ALL_3X3, ALL_NONE, (1,) * 6, (2,) * 6, (4,) * 6, (3, 3, 3, 1, 3, 2), (0, 3, 4, 1, 0, 2), (3, 0, 0, 0, 2, 0)]


@pytest.fixture(scope="module")
def space() -> NB201Space:
    return get_space("nb201")


@pytest.fixture(scope="module")
def raw_rows() -> list[dict[str, str]]:
    raw = resources.files("nasrepro.benchmarks").joinpath("data").joinpath(TABLE_FILE).read_bytes()
    return list(csv.DictReader(io.StringIO(gzip.decompress(raw).decode())))


# ------------------------------------------------------------------------------------- space
def test_size_and_index_order(space, raw_rows):
    archs = space.enumerate()
    assert len(archs) == space.size() == 15_625 == len(raw_rows)
    assert set(archs) == set(itertools.product(range(5), repeat=6))
    # row i of the shipped table = benchmark index i
    assert [arch_to_str(a) for a in archs] == [r["ArchitectureString"] for r in raw_rows]
    for i in (0, 1, 857, 6111, 9930, 15_624):
        assert space.index(archs[i]) == i
        assert space.parse(i) == space.parse(str(i)) == archs[i]
    # the benchmark order is not a lexicographic order of the op ids (either direction) or of the strings
    assert archs != sorted(archs)
    assert archs != sorted(archs, key=lambda a: a[::-1])
    assert [r["ArchitectureString"] for r in raw_rows] != sorted(r["ArchitectureString"] for r in raw_rows)
    assert archs[1] == str_to_arch(
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    )


def test_parse_format_round_trip(space):
    for arch in space.enumerate():
        assert space.parse(space.format(arch)) == arch
    assert space.format((3, 0, 1, 2, 4, 3)) == (
        "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|nor_conv_1x1~0|avg_pool_3x3~1|nor_conv_3x3~2|"
    )
    assert space.parse([3, 0, 1, 2, 4, 3]) == (3, 0, 1, 2, 4, 3)
    assert space.parse(np.int64(6111)) == space.enumerate()[6111]
    for bad in ("15625", "-1", "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", "|none~0|+|none~0|",
                "|none~0|+|none~1|none~0|+|none~0|none~1|none~2|", (0, 1, 2), (0, 1, 2, 3, 4, 5)):
        with pytest.raises(ValueError):
            space.parse(bad)


def test_isomorphism_classes(space, raw_rows):
    archs = space.enumerate()
    assert [unique_str(a) for a in archs] == [r["UniqueString"] for r in raw_rows]
    assert len({space.aliases(a) for a in archs}) == 6_466
    assert space.aliases((1, 0, 0, 0, 1, 0)) == space.aliases((0, 0, 0, 1, 0, 0))  # both: output = input
    assert space.aliases((1, 0, 0, 0, 1, 0)) != space.aliases((1, 0, 0, 0, 0, 1))  # the latter outputs zero


def test_shipped_table_is_the_documented_file():
    raw = resources.files("nasrepro.benchmarks").joinpath("data").joinpath(TABLE_FILE).read_bytes()
    digest = hashlib.sha256(gzip.decompress(raw)).hexdigest()
    readme = resources.files("nasrepro.benchmarks").joinpath("data").joinpath("NB201.README.md").read_text()
    assert digest in readme
    assert "Dong" in readme and "312680307c44fd111146b2be0d0148194fbb2ca8" in readme


# ------------------------------------------------------------------------------- ground truth
@pytest.mark.parametrize("dataset", list(BEST))
def test_maxima_and_best_archs(space, dataset):
    top, index, arch_str = BEST[dataset]
    gt = load_ground_truth("nb201", dataset=dataset)
    assert gt.archs == space.enumerate()
    assert round(float(gt.accuracy.max()), 2) == top
    assert space.format(gt.best()) == arch_str
    assert space.index(gt.best()) == index
    assert gt.rank_of(gt.best()) == 1
    assert sorted(np.flatnonzero(gt.rank == 1).tolist()) == ([6111, 13714] if dataset == "cifar10" else [index])
    assert dataset in gt.source and "test" in gt.source and "200" in gt.source


def test_lookup():
    info = lookup(6111)
    assert info == lookup(BEST["cifar10"][2]) == lookup(str_to_arch(BEST["cifar10"][2]))
    assert info["index"] == 6111 and info["arch"] == BEST["cifar10"][2]
    assert info["cifar10"]["rank"] == 1 and round(info["cifar10"]["accuracy"], 2) == 94.37
    assert set(info) >= {"cifar10", "cifar100", "ImageNet16-120"}
    assert lookup(9930)["cifar100"]["rank"] == 1 and lookup(857)["ImageNet16-120"]["rank"] == 1
    worst = lookup(ALL_NONE)
    assert worst["cifar10"]["accuracy"] == pytest.approx(10.0) and worst["cifar10"]["rank"] > 15_000


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"dataset": "cifar10-valid"}, ["cifar10-valid", "train+valid"]),
        ({"dataset": "cifar10", "metric": "valid"}, ["cifar10-valid", "no validation accuracy"]),
        ({"dataset": "cifar100", "metric": "validation"}, ["validation accuracy"]),
        ({"dataset": "ImageNet16-120", "epochs": 12}, ["12-epoch"]),
        ({"dataset": "cifar10", "seed": 777}, ["single seed"]),
        ({"dataset": "cifar10", "metric": "train"}, ["train accuracy"]),
    ],
)
def test_full_benchmark_required(kwargs, words):
    with pytest.raises(FullBenchmarkRequired) as err:
        load_nb201(**kwargs)
    msg = str(err.value)
    assert CONFIG_KEY in msg and "full benchmark file" in msg and "nasrepro[nb201]" in msg
    for w in words:
        assert w in msg


def test_bad_arguments():
    with pytest.raises(ConfigError, match="unknown NAS-Bench-201 dataset"):
        load_nb201(dataset="imagenet")
    with pytest.raises(ConfigError, match="metric"):
        load_nb201(metric="loss")
    with pytest.raises(ConfigError, match="200 or 12"):
        load_nb201(epochs=90)


def test_full_path_without_package(tmp_path, monkeypatch):
    fake = tmp_path / "NAS-Bench-201-v1_1-096897.pth"
    fake.write_bytes(b"")
    monkeypatch.setitem(sys.modules, "nas_201_api", None)  # import raises ImportError
    with pytest.raises(DataError, match=r"pip install 'nasrepro\[nb201\]'"):
        load_nb201(dataset="cifar10-valid", metric="valid", full_benchmark_path=fake)
    with pytest.raises(DataError, match="does not exist"):
        load_nb201(full_benchmark_path=tmp_path / "missing.pth")
    with pytest.raises(ConfigError, match="cifar10-valid"):
        load_nb201(dataset="cifar10", metric="valid", full_benchmark_path=fake)


def test_full_path_through_api(tmp_path, monkeypatch, space):
    """The nas_201_api path, with a stand-in for the API object (the real file is 4.7 GB)."""
    calls = []
    order = [space.format(a) for a in space.enumerate()]

    class FakeAPI:
        def __init__(self, path, verbose=True):
            self.meta_archs = list(order)

        def get_more_info(self, index, dataset, iepoch=None, hp="12", is_random=True):
            calls.append((dataset, hp, is_random))
            return {"valid-accuracy": 50.0 + index / 1000.0, "test-accuracy": 1.0}

    monkeypatch.setitem(sys.modules, "nas_201_api", types.SimpleNamespace(NASBench201API=FakeAPI))
    path = tmp_path / "NAS-Bench-201-v1_1-096897.pth"
    path.write_bytes(b"")
    gt = load_nb201(dataset="cifar10-valid", metric="valid", epochs=12, full_benchmark_path=path, seed=777)
    assert len(gt.archs) == 15_625 and gt.best() == space.enumerate()[-1]
    assert set(calls) == {("cifar10-valid", "12", 777)}
    assert "cifar10-valid valid accuracy after 12 epochs (seed 777)" in gt.source
    order.reverse()
    with pytest.raises(DataError, match="index order"):
        load_nb201(full_benchmark_path=path)


# ----------------------------------------------------------------------------------- networks
@pytest.mark.parametrize(
    "arch, classes, size, params, macs",
    [  # figures of the NAS-Bench-201 API (params in M, "flop" in M) for the largest and smallest cells
        (ALL_3X3, 10, 32, 1_531_546, 220_119_690),
        (ALL_3X3, 100, 32, 1_537_396, 220_125_540),
        (ALL_3X3, 120, 16, 1_538_696, 55_037_560),
        (ALL_NONE, 10, 32, 73_306, 7_783_050),
        (ALL_NONE, 100, 32, 79_156, 7_788_900),
        (ALL_NONE, 120, 16, 80_456, 1_953_400),
    ],
)
def test_known_costs(space, arch, classes, size, params, macs):
    net = space.build_network(arch, num_classes=classes)
    assert sum(p.numel() for p in net.parameters()) == params
    assert count_params_macs(net, (1, 3, size, size), linear_bias=space.macs_count_linear_bias) == (params, macs)
    # without the classifier bias: one MAC fewer per class
    assert count_params_macs(net, (1, 3, size, size))[1] == macs - classes


def test_macro_skeleton(space):
    net = space.build_supernet()
    assert len(net.cells) == 17 and net.stem[0].out_channels == 16
    assert net.classifier.in_features == 64
    reductions = [m for m in net.cells if type(m).__name__ == "ResidualReduction"]
    assert [(r.conv_a.op[1].in_channels, r.conv_a.op[1].out_channels) for r in reductions] == [(16, 32), (32, 64)]
    assert all(bn.affine and bn.track_running_stats for bn in net.modules() if isinstance(bn, nn.BatchNorm2d))
    relu_conv_bn = net.cells[0].edges[0]["nor_conv_3x3"].op
    assert [type(m) for m in relu_conv_bn] == [nn.ReLU, nn.Conv2d, nn.BatchNorm2d]
    assert relu_conv_bn[1].bias is None


def test_supernet_forward_tiny(space):
    torch.manual_seed(0)
    net = space.build_supernet(num_classes=10, width=0.25)
    x = torch.randn(2, 3, 8, 8)
    outs = {}
    for arch in SOME:
        y = net(x, arch)
        assert y.shape == (2, 10) and torch.isfinite(y).all()
        y.sum().backward()
        outs[arch] = y.detach()
    assert not torch.allclose(outs[ALL_3X3], outs[(2,) * 6])
    y16 = space.build_supernet(num_classes=120, width=0.25)(torch.randn(2, 3, 16, 16), ALL_3X3)
    assert y16.shape == (2, 120)


@pytest.mark.parametrize("arch", [ALL_3X3, ALL_NONE, (3, 3, 3, 1, 3, 2), (0, 3, 4, 1, 0, 2), (3, 0, 0, 0, 2, 0)])
def test_prune_to_keeps_the_path(space, arch):
    torch.manual_seed(1)
    supernet = space.build_supernet(num_classes=10, width=0.25)
    for m in supernet.modules():  # non-trivial BN statistics and affine parameters
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.5, 0.5)
    supernet.eval()
    x = torch.randn(3, 3, 8, 8)
    pruned = copy.deepcopy(supernet)
    pruned.prune_to(arch)
    with torch.no_grad():
        torch.testing.assert_close(pruned(x, arch), supernet(x, arch), rtol=0, atol=0)
    assert set(pruned.state_dict()) <= set(supernet.state_dict())
    standalone = space.build_network(arch, num_classes=10, width=0.25)
    assert sum(p.numel() for p in pruned.parameters()) == sum(p.numel() for p in standalone.parameters())
    assert set(standalone.net.state_dict()) == set(pruned.state_dict())
    other = tuple((a + 1) % 5 for a in arch)
    with pytest.raises(RuntimeError, match="pruned"):
        pruned(x, other)


def test_live_edges_only_is_exact_for_the_supernet(space):
    from nasrepro.evaluation.evaluate import evaluate_architectures
    from nasrepro.evaluation.ranking import distinct_paths
    from nasrepro.spaces.nb201 import live_edges_only
    from nasrepro.runtime import make_runtime

    archs = space.enumerate()
    keys = [space.supernet_key(a) for a in archs]
    assert len(set(keys)) == 12205
    # node 1 feeds nothing (1->2 and 1->3 are none): edge 0->1 is dead; everything else reaches node 3
    assert live_edges_only((3, 2, 0, 4, 0, 1)) == (0, 2, 0, 4, 0, 1)
    assert live_edges_only((3, 2, 1, 4, 0, 1)) == (3, 2, 1, 4, 0, 1)
    # 2->3 none: node 2 is dead, so are edges into it, and node 1 then only lives through 1->3
    assert live_edges_only((3, 2, 1, 4, 0, 0)) == (0, 0, 0, 4, 0, 0)
    torch.manual_seed(0)
    net = space.build_supernet(10, 0.25)
    x, y = torch.randn(16, 3, 32, 32), torch.randint(0, 10, (16,))
    pick = [a for a, k in zip(archs, keys) if a != k][:6]
    rt = make_runtime("cpu")
    full = evaluate_architectures(net, pick, x, y, rt)
    canon = evaluate_architectures(net, [live_edges_only(a) for a in pick], x, y, rt)
    np.testing.assert_array_equal(full, canon)
    with torch.no_grad():
        net.train()  # batch statistics, as ranking uses them
        for a in pick:
            torch.testing.assert_close(net(x, a), net(x, live_edges_only(a)), rtol=0, atol=0)
    idx = np.array([space.index(a) for a in pick] + [space.index(live_edges_only(a)) for a in pick])
    reps, members = distinct_paths(space, archs, idx)
    assert len(reps) == len(pick) and np.array_equal(members, np.tile(np.arange(len(pick)), 2))
    assert [archs[i] for i in reps] == pick  # first occurrence represents its class


def test_stacked_forward_equals_one_architecture_at_a_time(space):
    from nasrepro.evaluation.evaluate import evaluate_architectures
    from nasrepro.runtime import batch_statistics, make_runtime

    torch.manual_seed(1)
    net = space.build_supernet(10, 0.25)
    for p in net.parameters():  # move BN affine away from (1, 0) so per-architecture BN matters
        p.data.add_(0.05 * torch.randn_like(p))
    archs = space.enumerate()
    pick = [archs[i] for i in range(0, len(archs), 997)] + [(0,) * 6, (1,) * 6, (4, 0, 0, 0, 0, 0)]
    x, y = torch.randn(24, 3, 32, 32), torch.randint(0, 10, (24,))
    with torch.no_grad(), batch_statistics(net):
        one = torch.stack([net(x, a) for a in pick])
        many = net.forward_many(x, pick)
    torch.testing.assert_close(many, one, rtol=1e-4, atol=1e-4)
    rt = make_runtime("cpu")
    np.testing.assert_array_equal(evaluate_architectures(net, pick, x, y, rt, batch_size=12, stack=7),
                                  evaluate_architectures(net, pick, x, y, rt, batch_size=12, stack=1))
    from nasrepro.evaluation.evaluate import collect_outputs

    np.testing.assert_allclose(collect_outputs(net, pick, x, rt, stack=5), collect_outputs(net, pick, x, rt, stack=1),
                               rtol=1e-4, atol=1e-4)


def test_stacked_forward_under_bf16_autocast_and_channels_last(space):
    """The CUDA runtime's setting (bf16 autocast, channels_last), emulated on CPU: convolutions return bf16 and
    per-architecture BN float32, and the stacked sum must accept both."""
    from nasrepro.evaluation.evaluate import collect_outputs, evaluate_architectures
    from nasrepro.runtime import Runtime, batch_statistics

    torch.manual_seed(2)
    net = space.build_supernet(10, 0.25).to(memory_format=torch.channels_last)
    archs = space.enumerate()
    pick = [archs[i] for i in range(3, len(archs), 1553)]
    x = torch.randn(8, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (8,))
    with torch.no_grad(), batch_statistics(net):
        ref = torch.stack([net(x, a) for a in pick])  # float32
        with torch.autocast("cpu", dtype=torch.bfloat16):
            one = torch.stack([net(x, a).float() for a in pick])
            many = net.forward_many(x, pick).float()
    err = lambda a: float((a - ref).norm() / ref.norm())
    # bf16 puts a random-init net several % off float32; the stacked sum must be no worse than one at a time
    assert err(many) <= 2 * err(one) + 1e-4
    rt = Runtime(torch.device("cpu"), torch.bfloat16, channels_last=True, deterministic=True)
    acc = evaluate_architectures(net, pick, x, y, rt, batch_size=8, stack=4)
    assert acc.shape == (len(pick),) and np.all((acc >= 0) & (acc <= 100))
    assert collect_outputs(net, pick, x, rt, stack=4).shape == (len(pick), 8, 10)
