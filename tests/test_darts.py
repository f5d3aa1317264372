"""DARTS over resolutions (thesis Eq. 2.4/2.5, Tables 2.2/2.3, Fig. 2.7): the multi-scale block, GAEA's
exponentiated step, the bi-level trainer's exact resume and the retrained accuracy of a found path."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from nasrepro.errors import ConfigError
from nasrepro.runtime import make_runtime, seed_everything
from nasrepro.spaces import get_space
from nasrepro.testing import synthetic_images
from nasrepro.training.bilevel import ArchOptimConfig, BilevelTrainer, exponentiated_step
from nasrepro.training.optim import OptimConfig

SPACE = get_space("pooling-resolution-all")


def _copy_into_resolution_supernet(relaxed):
    net = SPACE.build_supernet(width=0.25)
    net.stem.load_state_dict(relaxed.stem.state_dict())
    net.classifier.load_state_dict(relaxed.classifier.state_dict())
    for j in range(9):
        for r in range(3):
            net.blocks[j][r].load_state_dict(relaxed.block(j, r).state_dict())
    return net.eval()


@pytest.mark.parametrize("sharing", ["shared", "random-init"])
def test_a_one_hot_relaxation_is_the_discrete_path_upsampling_included(sharing):
    """Nearest upsampling then max-pooling by the same factor is the identity, so Eq. 2.4 with one-hot weights
    computes the per-resolution path exactly (the derived architecture is what gets retrained)."""
    torch.manual_seed(0)
    relaxed = SPACE.build_relaxed(width=0.25, sharing=sharing).eval()
    net = _copy_into_resolution_supernet(relaxed)
    x = torch.randn(2, 3, 32, 32)
    for arch in [(0, 1, 2, 1, 0, 2, 2, 1, 0), SPACE.parse("[4,3,3]")]:
        torch.testing.assert_close(relaxed(x, arch), net(x, arch), rtol=0, atol=0)
        with torch.no_grad():
            relaxed.alpha.copy_(torch.nn.functional.one_hot(torch.tensor(arch), 3).float() * 200.0)
        torch.testing.assert_close(relaxed(x), net(x, arch), rtol=0, atol=1e-6)
        assert relaxed.derive() == arch


def test_relaxed_layer_is_the_softmax_weighted_sum_of_its_resolutions():
    torch.manual_seed(1)
    relaxed = SPACE.build_relaxed(width=0.25, sharing="same-init").eval()
    assert all(torch.equal(relaxed.block(j, 0).conv1.weight, relaxed.block(j, 2).conv1.weight) for j in range(9))
    with torch.no_grad():
        relaxed.alpha.normal_()
    w = torch.softmax(relaxed.alpha, -1)
    x = torch.randn(2, 3, 32, 32)
    h = relaxed.stem(x)
    for j in range(9):  # Eq. 2.4 by hand: S, V, U per resolution
        outs = []
        for r in range(3):
            z = relaxed.block(j, r)(torch.nn.functional.max_pool2d(h, 2 ** r) if r else h)
            outs.append(z.repeat_interleave(2 ** r, -1).repeat_interleave(2 ** r, -2))
        h = sum(w[j, r] * outs[r] for r in range(3))
    expected = relaxed.classifier(h.mean(dim=(2, 3)))
    torch.testing.assert_close(relaxed(x), expected, rtol=1e-5, atol=1e-6)


def test_exponentiated_gradient_step_by_hand_stays_on_the_simplex():
    w = torch.tensor([[0.5, 0.3, 0.2], [1 / 3, 1 / 3, 1 / 3]])
    g = torch.tensor([[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    exponentiated_step(w, g, 0.1)
    e = torch.tensor([0.5 * np.exp(-0.1), 0.3, 0.2 * np.exp(0.1)], dtype=torch.float32)
    torch.testing.assert_close(w[0], e / e.sum())
    torch.testing.assert_close(w[1], torch.full((3,), 1 / 3))
    tiny = torch.tensor([[1.0, 0.0, 0.0]])
    exponentiated_step(tiny, torch.zeros(1, 3), 0.1)
    assert (tiny > 0).all()  # the floor keeps every resolution reachable


def _bilevel(tmp_path=None, update="adam", epochs=2, lr=1e-2):
    runtime = make_runtime("cpu", deterministic=True)
    from nasrepro.data.loader import DeviceLoader

    x, y = synthetic_images(64, 3)
    rng = seed_everything(0)
    model = SPACE.build_relaxed(width=0.125, sharing="random-init",
                                parametrisation="simplex" if update == "exponentiated" else "softmax")
    train = DeviceLoader(x[:32], y[:32], 16, runtime.device, augment=True, seed=0)
    val = DeviceLoader(x[32:], y[32:], 16, runtime.device, augment=False, seed=1)
    return BilevelTrainer(model, OptimConfig(epochs=epochs, batch_size=16, lr=0.05), ArchOptimConfig(update=update, lr=lr),
                          runtime, train, val, rng, checkpoint=None if tmp_path is None else tmp_path / "ck.pt",
                          log=lambda m: None)


@pytest.mark.parametrize("update", ["adam", "exponentiated"])
def test_bilevel_training_moves_alpha_on_validation_data_and_resumes_bit_identically(tmp_path, update):
    full = _bilevel(update=update)
    start = full.model.alpha.detach().clone()
    history = full.run()
    assert len(history) == 2 and not torch.equal(start, full.model.alpha)
    if update == "exponentiated":
        torch.testing.assert_close(full.model.alpha.sum(-1), torch.ones(9))
    first = _bilevel(tmp_path, update)
    first.run(stop_after_epoch=1)
    second = _bilevel(tmp_path, update)
    assert second.resume_if_possible()
    second.run()
    for p, q in zip(full.model.state_dict().values(), second.model.state_dict().values()):
        assert torch.equal(p, q)
    def strip(history):  # wall-clock seconds differ between runs
        return [{k: v for k, v in h.items() if k != "seconds"} for h in history]

    assert strip(second.history) == strip(full.history)


def test_architecture_step_changes_alpha_only_and_weight_step_weights_only():
    t = _bilevel()
    x, y = synthetic_images(16, 8)
    x = x.float() / 255.0
    weights = [p.detach().clone() for p in t.model.weight_parameters()]
    alpha = t.model.alpha.detach().clone()
    t.arch_step(x, y)
    assert all(torch.equal(a, b) for a, b in zip(weights, t.model.weight_parameters()))
    assert not torch.equal(alpha, t.model.alpha)
    alpha = t.model.alpha.detach().clone()
    t.weight_step(x, y)
    assert torch.equal(alpha, t.model.alpha)


def test_bad_differentiable_options_are_named():
    from nasrepro.methods import check_differentiable

    with pytest.raises(ConfigError, match="differentiable.sharing"):
        check_differentiable("d", {"differentiable": {"sharing": "half"}})
    with pytest.raises(ConfigError, match="differentiable.warmup"):
        check_differentiable("d", {"differentiable": {"warmup": 3}})
    with pytest.raises(ConfigError, match="not both"):
        check_differentiable("d", {"sampler": "uniform", "differentiable": {}})
    with pytest.raises(ConfigError, match="no differentiable relaxation"):
        get_space("pooling").build_relaxed()


def test_a_found_path_without_ground_truth_takes_its_retrained_accuracy(tmp_path):
    from nasrepro.reporting.builders import with_retrained_accuracy

    run = tmp_path / "pooling-ch2-res-all" / "search" / "darts" / "s0"
    run.mkdir(parents=True)
    summaries = [{"space": "pooling-ch2-res-all", "method": "darts", "seed": 0, "gt_acc": None},  # JSON null
                 {"space": "pooling-ch2-res-all", "method": "darts-gaea", "seed": 0, "gt_acc": 90.0}]
    retrain = tmp_path / "pooling-ch2-res-all" / "retrain" / "darts_s0.json"
    retrain.parent.mkdir(parents=True)
    retrain.write_text(json.dumps([{"space": "pooling-ch2-res-all", "method": "darts", "search_seed": 0,
                                    "test_acc": 88.5}]))
    from nasrepro.layout import output_kind

    assert output_kind(retrain) == "retrain"
    with_retrained_accuracy(summaries, [retrain])
    assert summaries[0]["gt_acc"] == 88.5 and "retrained" in summaries[0]["accuracy_from"]
    assert summaries[1]["gt_acc"] == 90.0 and "accuracy_from" not in summaries[1]
