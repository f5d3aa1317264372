"""PA&DA (``nasrepro.samplers.pada``): the path and data probabilities against hand computations, the
population-restricted product against brute force, and the sampler driving a real trainer."""

import itertools
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from nasrepro.errors import ConfigError
from nasrepro.samplers import make_sampler, sampler_class
from nasrepro.testing import tiny_trainer


class FakeNet(nn.Module):
    """2 decisions x 3 candidates; candidate 2 owns no parameters (a skip)."""

    def __init__(self):
        super().__init__()
        self.p = nn.ParameterList([nn.Parameter(torch.zeros(2)) for _ in range(4)])

    def choice_parameters(self, decision, choice):
        return [] if choice == 2 else [self.p[2 * decision + choice]]


def _bound(share=True, n=4):
    encodings = np.array(list(itertools.product(range(3), repeat=2)))
    sampler = make_sampler("pada", encodings, [3, 3], share=share)
    net = FakeNet()
    trainer = SimpleNamespace(model=net, world=1, runtime=SimpleNamespace(device=torch.device("cpu")),
                              train=SimpleNamespace(n=n))
    sampler.bind(trainer)
    return sampler, net


def _grads(net, values):
    for p, v in zip(net.p, values):
        p.grad = torch.tensor([v, 0.0])  # norm |v|


def test_path_probabilities_follow_the_hand_computed_running_norms():
    sampler, net = _bound()
    logits, labels, ids = torch.zeros(2, 3), torch.tensor([0, 1]), torch.tensor([0, 1])
    _grads(net, [3.0, 5.0, 7.0, 11.0])  # decision 0: c0 -> 3, c1 -> 5; decision 1: c0 -> 7, c1 -> 11
    sampler.observe_step((0, 1), logits, labels, ids)  # c0 gets 3, c1 gets 11
    sampler.observe_step((1, 1), logits, labels, ids)  # c1 gets mean(5, 11) = 8
    g = np.array([3 / 2, (11 / 2 + 8) / 2, 0.0])  # G <- (G + g) / 2 for the candidates used
    assert sampler.grad.numpy() == pytest.approx(g[None])
    sampler.begin_epoch(3, 4, np.random.default_rng(0))  # tau = (3 - 1) / 4
    want = 0.5 * g / g.sum() + 0.5 / 3
    assert sampler.q[0] == pytest.approx(want) and sampler.q[0, 2] == pytest.approx(0.5 / 3)
    assert not sampler.grad.any()  # the running norms restart every epoch


def test_per_decision_probabilities_keep_each_decision_apart():
    sampler, net = _bound(share=False)
    _grads(net, [3.0, 5.0, 7.0, 11.0])
    sampler.observe_step((0, 1), torch.zeros(2, 3), torch.tensor([0, 1]), torch.tensor([0, 1]))
    sampler.begin_epoch(2, 2, np.random.default_rng(0))  # tau = 1 / 2
    assert sampler.q[0] == pytest.approx([0.5 + 0.5 / 3, 0.5 / 3, 0.5 / 3])
    assert sampler.q[1] == pytest.approx([0.5 / 3, 0.5 + 0.5 / 3, 0.5 / 3])


def test_the_epoch_order_is_drawn_with_replacement_by_the_hand_computed_sample_norms():
    sampler, net = _bound(n=4)
    _grads(net, [1.0, 1.0, 1.0, 1.0])
    logits = torch.tensor([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    labels = torch.tensor([0, 0, 2])
    sampler.observe_step((0, 0), logits, labels, torch.tensor([0, 1, 0]))  # sample 0 twice, 1 once, 2-3 never
    p_soft = torch.softmax(logits, 1)
    norms = torch.linalg.vector_norm(p_soft - torch.nn.functional.one_hot(labels, 3).float(), dim=1).numpy()
    s = np.array([(norms[0] + norms[2]) / 2, norms[1], 0.0, 0.0])
    tau = 1 / 4
    p = tau * s / s.sum() + (1 - tau) / 4
    order = sampler.begin_epoch(2, 4, np.random.default_rng(7))
    assert np.array_equal(order, np.random.default_rng(7).choice(4, size=4, replace=True, p=p / p.sum()))


def test_path_probabilities_are_the_product_renormalised_over_the_population():
    sampler, _ = _bound(share=False)
    sampler.q = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]])
    full = sampler.path_probabilities()
    brute = np.array([sampler.q[0, a] * sampler.q[1, b] for a, b in itertools.product(range(3), repeat=2)])
    assert full == pytest.approx(brute)  # the whole product space: independent draws per decision
    restricted = make_sampler("pada", np.array([[0, 0], [1, 1], [2, 1]]), [3, 3], share=False)
    restricted.q = sampler.q
    want = np.array([0.05, 0.18, 0.12])
    assert restricted.path_probabilities() == pytest.approx(want / want.sum())
    draws = np.bincount([restricted.sample(np.random.default_rng(s)) for s in range(4000)], minlength=3) / 4000
    assert draws == pytest.approx(want / want.sum(), abs=0.03)


def test_shared_probabilities_need_equal_choices_and_a_supernet_that_names_its_candidates():
    with pytest.raises(ConfigError, match="share: false"):
        make_sampler("pada", np.zeros((1, 2), dtype=int), [3, 2])
    sampler = make_sampler("pada", np.zeros((1, 2), dtype=int), [3, 3])
    trainer = SimpleNamespace(model=nn.Linear(1, 1), world=1, runtime=SimpleNamespace(device=torch.device("cpu")),
                              train=SimpleNamespace(n=4))
    with pytest.raises(ConfigError, match="names each candidate"):
        sampler.bind(trainer)


def test_pada_trains_nb201_reweights_parametric_operations_and_resamples_the_data():
    phases = sampler_class("pada").phases({})
    trainer = tiny_trainer("nb201", "pada", phases, epochs=3, train_images=32, val_images=16, batch=16)
    trainer.run()
    q = trainer.sampler.q[0]  # NB201 ops: none, skip, conv 1x1, conv 3x3, avg pool (the last epoch's tau: 1/3)
    assert q == pytest.approx(q / q.sum())
    assert q[[0, 1, 4]] == pytest.approx([(1 - 1 / 3) / 5] * 3)  # no parameters: only the uniform share
    assert q[2] + q[3] == pytest.approx(1 / 3 + 2 * (1 - 1 / 3) / 5)
    order = trainer.train.positions(2)
    assert order.shape == (32,) and len(np.unique(order)) < 32  # drawn with replacement by importance
