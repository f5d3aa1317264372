"""Balanced mixtures of supernets (thesis §2.2.2): IPF, the EMA, balanced sampling, the M weight sets,
M = 1 as SPOS, and exact resume."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasrepro.errors import ConfigError
from nasrepro.samplers import make_sampler
from nasrepro.samplers.mixture import BalancedMixtureSampler, balanced_log_joint, marginal_kl
from nasrepro.spaces import get_space
from nasrepro.spaces.mixture import MixtureSupernet, build_mixture, evaluation_model, fold_visits, joint_archs
from nasrepro.testing import tiny_trainer
from nasrepro.samplers.phases import Phase


def mixture(models: int, n: int = 6, **options) -> BalancedMixtureSampler:
    return make_sampler("balanced-mixture", np.arange(n)[:, None], [n], models=models, **options)


def test_ipf_gives_uniform_marginals_and_only_rescales_rows_and_columns():
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=4.0, size=(9, 4))
    log_p = balanced_log_joint(logits)
    p = np.exp(log_p)
    np.testing.assert_allclose(p.sum(axis=1), 1 / 9, rtol=1e-12)  # ends on the row step: p(c) exact
    assert marginal_kl(log_p) < 1e-4
    np.testing.assert_allclose(p.sum(axis=0), 1 / 4, atol=0.01)
    # Sinkhorn scaling: log p - logits = u_c + v_m, so the double-centred residual vanishes
    r = log_p - logits
    r = r - r.mean(axis=1, keepdims=True) - r.mean(axis=0, keepdims=True) + r.mean()
    np.testing.assert_allclose(r, 0.0, atol=1e-9)


def test_ipf_on_a_symmetric_joint_is_the_softmax_itself_by_hand():
    tau = 0.25
    a = np.array([[1.0, 0.0], [0.0, 1.0]])
    p = np.exp(balanced_log_joint(a / tau))
    e = np.exp(1 / tau)
    np.testing.assert_allclose(p, np.array([[e, 1], [1, e]]) / (2 * e + 2), rtol=1e-12)


def test_ipf_does_not_underflow_at_the_smallest_temperature():
    a = np.array([[0.9, 0.1, 0.1], [0.1, 0.1, 0.8]])
    log_p = balanced_log_joint(a / (1 / 300))  # tau_end of M = 3
    assert np.isfinite(log_p).all() and marginal_kl(log_p) < 1e-4


def test_ema_update_and_temperature_schedule_by_hand():
    s = mixture(4, beta=0.9)
    assert s.tau == 1.0 and s.tau_end == pytest.approx(1 / 400)  # §2.4: from 1 down to 1/(100 M)
    s.update(2 * 6 + 5, 0.5)  # path m * N + c: weight set 2, configuration 5; the first reward initialises it
    s.update(2 * 6 + 5, 1.0)
    assert s.acc[5, 2] == pytest.approx(0.9 * 0.5 + 0.1 * 1.0)
    assert s.acc.sum() == pytest.approx(s.acc[5, 2])
    s.update(0 * 6 + 5, 0.2)
    s.update(1 * 6 + 1, 0.8)
    est = s.estimates()  # untrained pairs: their configuration's mean, else the mean of all trained pairs
    assert est[5, 3] == pytest.approx((0.55 + 0.2) / 2) and est[1, 0] == pytest.approx(0.8)
    assert est[0, 0] == pytest.approx((0.55 + 0.2 + 0.8) / 3)
    s.set_progress(0.5)
    assert s.tau == pytest.approx(1 + (1 / 400 - 1) * 0.5)
    assert s.epoch_scale == 4.0 and s.weight_sets == 4


def test_draws_follow_the_balanced_conditional_and_balance_the_weight_sets():
    s = mixture(3, n=5)
    s.acc = np.random.default_rng(1).uniform(0.3, 0.9, size=(5, 3))
    s.trained[:] = True
    s.set_progress(0.8)
    cond = s.conditional()
    np.testing.assert_allclose(cond.sum(axis=1), 1.0)
    rng = np.random.default_rng(2)
    draws = np.array([s.sample(rng) for _ in range(60_000)])
    m, c = np.divmod(draws, 5)
    np.testing.assert_allclose(np.bincount(c, minlength=5) / len(draws), 1 / 5, atol=0.01)  # c uniform
    for ci in range(5):
        freq = np.bincount(m[c == ci], minlength=3) / (c == ci).sum()
        np.testing.assert_allclose(freq, cond[ci], atol=0.015)
    np.testing.assert_allclose(np.bincount(m, minlength=3) / len(draws), 1 / 3, atol=0.01)  # balanced p(m)
    np.testing.assert_array_equal(s.weight_set_of(), np.argmax(cond, axis=1))


def test_one_weight_set_draws_exactly_what_uniform_sampling_draws():
    s = mixture(1, n=36)
    a, b = np.random.default_rng(7), np.random.default_rng(7)
    assert [s.sample(a) for _ in range(50)] == [int(b.integers(36)) for _ in range(50)]


def test_bad_options_and_a_state_of_another_mixture_say_what_is_wrong():
    with pytest.raises(ConfigError, match="models must be >= 1"):
        mixture(0)
    with pytest.raises(ConfigError, match="holds 2 weight sets"):
        mixture(3).load_state_dict(mixture(2).state_dict())


def test_joint_paths_route_to_their_member_and_members_are_independent_initialisations():
    space = get_space("pooling")
    archs = space.enumerate()
    torch.manual_seed(0)
    single = space.build_supernet(width=0.125)
    torch.manual_seed(0)
    mix = build_mixture(lambda: space.build_supernet(width=0.125), 3)
    assert isinstance(mix, MixtureSupernet) and len(mix.members) == 3
    for p, q in zip(single.parameters(), mix.members[0].parameters()):  # member 0 = the single supernet
        assert torch.equal(p, q)
    assert not torch.equal(mix.members[0].layers[1].conv1.weight, mix.members[1].layers[1].conv1.weight)
    paths = joint_archs(archs, 3)
    assert len(paths) == 108 and paths[2 * 36 + 5] == (2, *archs[5])
    x = torch.randn(4, 3, 32, 32)
    mix.eval()
    assert torch.equal(mix(x, paths[2 * 36 + 5]), mix.members[2](x, archs[5]))
    routed = evaluation_model(mix, archs, np.array([i % 3 for i in range(36)]))
    assert torch.equal(routed(x, archs[4]), mix.members[1](x, archs[4]))
    assert evaluation_model(single, archs, np.zeros(36, dtype=int)) is single
    np.testing.assert_array_equal(fold_visits(np.arange(6), 2), [0 + 2 + 4, 1 + 3 + 5])  # 3 sets of 2


def test_one_weight_set_is_the_spos_run_step_for_step():
    """Thesis §2.3.2: M = 1 is SPOS. The reward forward of Eq. 2.2 reads the validation stream exactly as the
    uniform run's per-step validation accuracy does and draws no random number, so the weights agree bit for bit."""
    spos = tiny_trainer(sampler="uniform", phases=[Phase("uniform", 1.0)], epochs=2, seed=3)
    one = tiny_trainer(sampler="balanced-mixture", phases=[Phase("sample", 1.0)], epochs=2, seed=3, models=1)
    ref, res = spos.run(), one.run()
    np.testing.assert_array_equal(ref.visits, res.visits)
    for p, q in zip(spos.model.state_dict().values(), one.model.state_dict().values()):
        assert torch.equal(p, q)
    assert one.sampler.acc.any()  # the mixture did receive its rewards


def test_a_mixture_trains_every_weight_set_and_resumes_bit_identically(tmp_path):
    opts = dict(sampler="balanced-mixture", phases=[Phase("sample", 1.0)], epochs=2, seed=1, models=3,
                train_images=96)
    full = tiny_trainer(**opts)
    ref = full.run()
    assert ref.visits.shape == (108,)
    per_set = ref.visits.reshape(3, 36).sum(axis=1)
    assert (per_set > 0).all() and per_set.sum() == 2 * 6
    first = tiny_trainer(checkpoint=tmp_path / "ck.pt", **opts)
    first.run(stop_after_epoch=1)
    second = tiny_trainer(checkpoint=tmp_path / "ck.pt", **opts)
    assert second.resume_if_possible()
    res = second.run()
    np.testing.assert_array_equal(ref.visits, res.visits)
    np.testing.assert_array_equal(full.sampler.acc, second.sampler.acc)
    for p, q in zip(full.model.state_dict().values(), second.model.state_dict().values()):
        assert torch.equal(p, q)


def test_proxy_ranks_configurations_by_the_average_of_their_most_probable_weight_set():
    """§2.2.2's proxy for large spaces: p(c, m) picks the weight set, a_{c,m} ranks the configurations, and
    evaluation.proxy_top scores only the head of that ranking."""
    from nasrepro.jobs.search import _proxy_subset

    s = mixture(2, n=4)
    s.acc = np.array([[0.2, 0.9], [0.5, 0.1], [0.3, 0.35], [0.8, 0.0]])
    s.trained[:] = True
    s.set_progress(1.0)
    np.testing.assert_array_equal(s.weight_set_of(), [1, 0, 1, 0])
    np.testing.assert_array_equal(s.proxy_order(), [0, 3, 1, 2])  # 0.9, 0.8, 0.5, 0.35
    np.testing.assert_array_equal(_proxy_subset(s, 2), [0, 3])
    assert _proxy_subset(s, None) is None
    with pytest.raises(ConfigError, match="proxy_top"):
        _proxy_subset(make_sampler("uniform", np.arange(4)[:, None], [4]), 2)
