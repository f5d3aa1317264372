"""Thesis Chapter 2 pieces besides the mixtures: the per-resolution spaces of Table 2.2, the methods'
own warm-up phases of Table 2.3, BSE as a supernet sampler, and the two-architecture settings of Fig. 2.3."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from nasrepro import methods
from nasrepro.benchmarks import load_ground_truth
from nasrepro.samplers import make_sampler
from nasrepro.samplers.phases import Phase
from nasrepro.spaces import get_space
from nasrepro.spaces.population import population
from nasrepro.spaces.resolution import flags_to_resolutions, resolutions_to_flags


def test_resolution_spaces_hold_the_36_benchmark_paths_or_all_3_to_the_9():
    small, full = get_space("pooling-resolution"), get_space("pooling-resolution-all")
    assert len(small.enumerate()) == 36 and len(full.enumerate()) == 3 ** 9 == 19_683
    assert set(small.enumerate()) < set(full.enumerate())
    pooling = get_space("pooling")
    # [4,3,3]: stem + 3 blocks at 32 px, 3 at 16, 3 at 8
    assert small.parse("[4,3,3]") == (0, 0, 0, 1, 1, 1, 2, 2, 2) == flags_to_resolutions(pooling.parse("[4,3,3]"))
    assert [small.format(a) for a in small.enumerate()] == [pooling.format(a) for a in pooling.enumerate()]
    up = (0, 1, 2, 1, 0, 0, 0, 0, 0)  # down, down, then back up
    assert resolutions_to_flags(up) is None and full.format(up) == "r012100000" and full.parse("r012100000") == up
    gt = load_ground_truth("pooling-resolution-all")
    assert gt.accuracy_of(small.parse("[7,1,2]")) == 92.01 and len(gt.archs) == 36


def test_a_benchmark_path_with_equal_weights_per_resolution_is_the_shared_pooling_network():
    """With every resolution copy of a block set to the shared block, the per-resolution supernet computes the
    Pooling supernet exactly: its routing pools where the pooling flags say. Other paths upsample."""
    torch.manual_seed(0)
    shared = get_space("pooling").build_supernet(width=0.25)
    res = get_space("pooling-resolution-all").build_supernet(width=0.25)
    res.stem.load_state_dict(shared.layers[0].state_dict())
    for j, copies in enumerate(res.blocks):
        for block in copies:
            block.load_state_dict(shared.layers[j + 1].state_dict())
    res.classifier.load_state_dict(shared.classifier.state_dict())
    shared.eval(), res.eval()
    x = torch.randn(3, 3, 32, 32)
    for flags in get_space("pooling").enumerate()[::7]:
        torch.testing.assert_close(res(x, flags_to_resolutions(flags)), shared(x, flags), rtol=0, atol=0)
    sizes = []
    hooks = [copies[r].register_forward_hook(lambda m, i, o: sizes.append(o.shape[-1]))
             for copies in res.blocks for r in range(3)]
    res(x, (0, 1, 2, 1, 0, 2, 2, 1, 0))
    for h in hooks:
        h.remove()
    assert sizes == [32, 16, 8, 16, 32, 8, 8, 16, 32]


def test_a_method_may_set_its_own_warm_up_phases_but_not_its_epochs():
    scfg = {"search": {"epochs": 10, "phases": [0.0, 0.25, 0.35]}}
    unif = {"sampler": "mcts", "search": {"phases": [0.4, 0.25, 0.35]}}
    assert methods.phases(unif, scfg) == [Phase("uniform", 0.4), Phase("explore", 0.25), Phase("sample", 0.35)]
    assert methods.phases({"sampler": "mcts"}, scfg)[0] == Phase("uniform", 0.0)
    assert methods.phases({"sampler": "bse"}, scfg) == [Phase("sample", 1.0)]
    assert methods.phases({"sampler": "bse", "search": {"warmup_fraction": 0.25}}, scfg) == \
        [Phase("uniform", 0.25), Phase("sample", 0.75)]
    import yaml

    from nasrepro import config

    cfg = config.resolve({**yaml.safe_load(open("config/config.yaml")), "preset": "paper"})
    for name in ("bse", "bse-unif", "mcts-ucb", "mcts-ucb-unif"):
        assert set(cfg["methods"][name].get("search", {})) <= {"phases", "warmup_fraction"}


def test_bse_sampler_raises_the_inverse_temperature_linearly_from_one():
    s = make_sampler("bse", np.arange(4)[:, None], [4], tau_end=9.0)
    for i, r in enumerate((0.1, 0.2, 0.3, 0.9)):
        s.update(i, r)
    s.set_progress(0.0)
    np.testing.assert_allclose(s.probabilities(), np.exp([0.1, 0.2, 0.3, 0.9]) / np.exp([0.1, 0.2, 0.3, 0.9]).sum())
    s.set_progress(0.5)  # 1/T = 1 + (9 - 1) * 0.5 = 5
    w = np.exp(5 * np.array([0.1, 0.2, 0.3, 0.9]))
    np.testing.assert_allclose(s.probabilities(), w / w.sum())


def test_a_setting_can_name_its_few_architectures():
    space = get_space("pooling")
    assert population({"population_archs": ["[1,1,8]", "[8,1,1]"]}, space) == [space.parse("[1,1,8]"),
                                                                            space.parse("[8,1,1]")]
    with pytest.raises(ValueError):
        population({"population_archs": ["[9,9,9]"]}, space)


def test_fig2_3_bars_compare_each_configuration_alone_and_combined(tmp_path):
    from nasrepro.reporting.figure_builders import interference_accuracies, thesis_fig2_3

    inputs = []
    for setting, rows in (("pooling-ch2-early", {"[1,1,8]": 60.0}), ("pooling-ch2-late", {"[8,1,1]": 70.0}),
                          ("pooling-ch2-pair", {"[1,1,8]": 50.0, "[8,1,1]": 65.0})):
        d = tmp_path / setting / "search" / "uniform" / "s0"
        d.mkdir(parents=True)
        pd.DataFrame({"arch": list(rows), "supernet_val_acc": list(rows.values())}).to_csv(d / "arch_eval.csv")
        inputs.append(d / "arch_eval.csv")
    acc = interference_accuracies(inputs).set_index(["arch", "trained"])["mean"]
    assert acc.to_dict() == {("[1,1,8]", "alone"): 60.0, ("[8,1,1]", "alone"): 70.0,
                             ("[1,1,8]", "combination"): 50.0, ("[8,1,1]", "combination"): 65.0}
    thesis_fig2_3({"preset": "demo", "config_hash": "x"}, inputs, tmp_path / "f.pdf", tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 0
