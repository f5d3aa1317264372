import numpy as np
import pandas as pd
import pytest
import torch

from nasrepro.benchmarks import load_ground_truth
from nasrepro.flops import count_params_macs
from nasrepro.spaces import get_space
from nasrepro.spaces.pooling import flags_to_blocks


@pytest.fixture(scope="module")
def space():
    return get_space("pooling")


def test_36_architectures_in_table_2_1_order(space):
    archs = space.enumerate()
    assert len(archs) == 36 == len(set(archs))
    table = pd.read_csv("nasrepro/benchmarks/data/pooling_benchmark_cifar10.csv")
    for arch, row in zip(archs, table.itertuples()):
        assert space.display_index(arch) == row.index
        assert space.format(arch) == f"[{row.n_high},{row.n_mid},{row.n_low}]"
        assert sum(arch) == 2
    # Table 2.1: architecture 24 is the original ResNet20 pooling configuration.
    assert space.format(archs[23]) == "[4,3,3]"


def test_parse_accepts_every_spelling(space):
    a = space.parse("[4,3,3]")
    assert space.parse("4,3,3") == space.parse("24") == space.parse("000100100") == a
    assert flags_to_blocks(a) == (4, 3, 3)
    for bad in ("[4,3,4]", "37", "111000000", "[0,5,5]"):
        with pytest.raises(ValueError):
            space.parse(bad)


def test_ground_truth_ranks_match_paper_table_1(space):
    gt = load_ground_truth("pooling")
    assert gt.rank_of(space.parse("[4,3,3]")) == 15
    assert space.format(gt.best()) == "[7,1,2]" and gt.rank_of(gt.best()) == 1
    assert gt.rank_of(space.parse("[6,2,2]")) == 2
    assert gt.rank_of(space.parse("[3,5,2]")) == 11


def test_every_architecture_runs_and_has_the_same_parameters(space):
    torch.manual_seed(0)
    net = space.build_supernet(width=0.25)
    x = torch.randn(2, 3, 32, 32)
    resolutions = set()
    for arch in space.enumerate():
        out = net(x, arch)
        assert out.shape == (2, 10) and torch.isfinite(out).all()
    for arch in (space.parse("[1,1,8]"), space.parse("[8,1,1]"), space.parse("[4,3,3]")):
        params, macs = count_params_macs(space.build_network(arch))
        resolutions.add(macs)
        assert params == 272_474  # ResNet20 with 1x1 projections and a 10-way classifier
    assert len(resolutions) == 3  # pooling positions change the compute, not the weights


def test_default_tree_has_one_level_per_layer_and_only_valid_leaves(space):
    """Thesis §3.5: the default tree gives each layer a level (pool or not); every leaf has two pools."""
    paths = space.tree_paths()
    assert paths.shape == (36, 9)
    assert np.all(paths.sum(1) == 2)
    assert len({tuple(p) for p in paths}) == 36


# Thesis Table 2.7: backbone, searched layers, poolings, search-space size and feature-map sizes.
TABLE_2_7 = [("pooling", 10, 2, 36, [32, 16, 8], "[4,3,3]"),
             ("pooling-resnet18", 9, 3, 56, [32, 16, 8, 4], "[3,2,2,2]"),
             ("pooling-resnet50", 17, 3, 560, [32, 16, 8, 4], "[4,4,6,3]"),  # §2.3.5: default [4,4,6,3]
             ("pooling-resnet50-224", 16, 3, 455, [56, 28, 14, 7], "[3,4,6,3]"),  # Table 2.5: default [3,4,6,3]
             ("pooling-resnet18-224", 8, 3, 35, [56, 28, 14, 7], "[2,2,2,2]")]  # Table 2.6: default [2,2,2,2]


@pytest.mark.parametrize("name, layers, pools, size, maps, default", TABLE_2_7)
def test_table_2_7_spaces(name, layers, pools, size, maps, default):
    from math import comb

    sp = get_space(name)
    archs = sp.enumerate()
    assert len(archs) == sp.size() == size == comb(layers - 1, pools) == len(set(archs))
    assert sp.choices_per_decision() == [2] * (layers - 1) and all(sum(a) == pools for a in archs)
    assert sp.format(sp.default_arch()) == default and sp.parse(default) == sp.default_arch()
    assert all(sp.parse(sp.format(a)) == a for a in archs[:: max(1, size // 20)])
    # the feature maps of the default network, as Table 2.7 prints them
    net = sp.build_supernet(num_classes=7, width=1 / 16)
    seen = []
    hooks = [layer.register_forward_hook(lambda m, i, o: seen.append(o.shape[-1])) for layer in net.layers]
    x = torch.randn(1, 3, sp.backbone.input_size, sp.backbone.input_size)
    with torch.no_grad():
        net.eval()
        assert net(x, sp.default_arch()).shape == (1, 7)
    for h in hooks:
        h.remove()
    assert sorted(set(seen), reverse=True) == maps  # each layer's output size, along the default network
    assert [seen.count(m) for m in maps] == [int(n) for n in default.strip("[]").split(",")]
    # channels fixed per layer index: every configuration has the same parameters
    counts = {sum(p.numel() for p in sp.build_network(a, width=1 / 16).parameters()) for a in (archs[0], archs[-1])}
    assert len(counts) == 1
