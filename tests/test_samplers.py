"""Samplers: schedules, Boltzmann, Independent, MCTS (Eq. 2-4, node communication), state and overhead."""

import io
import itertools
import math

import numpy as np
import pytest
import torch

from nasrepro.errors import ConfigError
from nasrepro.samplers import make_sampler
from nasrepro.samplers.boltzmann import BoltzmannSampler
from nasrepro.samplers.independent import IndependentSampler
from nasrepro.samplers.mcts import MCTSSampler
from nasrepro.samplers.overhead import measure_overhead
from nasrepro.samplers.schedules import PAPER_SCHEDULES, TemperatureSchedule, inverse_cdf
from nasrepro.spaces.pooling import PoolingSpace
from nasrepro.trees import build_tree


def product(choices):
    return np.array(list(itertools.product(*[range(c) for c in choices])), dtype=np.int64)


def empirical(sampler, rng, draws):
    counts = np.bincount([sampler.sample(rng) for _ in range(draws)], minlength=sampler.population_size)
    return counts / draws


def tv(p, q):
    return 0.5 * float(np.abs(np.asarray(p) - np.asarray(q)).sum())


def roundtrip(state):
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


# ---------------------------------------------------------------------------- schedules
def test_schedules_hit_their_endpoints():
    lin = TemperatureSchedule("linear", 0.02, 0.0025)
    exp = TemperatureSchedule("exponential", 0.02, 0.0025)
    const = TemperatureSchedule("constant", 0.02, 0.0025)
    assert lin(0.0) == 0.02 and lin(1.0) == 0.0025
    assert exp(0.0) == 0.02 and exp(1.0) == 0.0025
    assert const(0.0) == const(0.5) == const(1.0) == 0.02
    assert lin(0.5) == pytest.approx((0.02 + 0.0025) / 2)
    assert exp(0.5) == pytest.approx(math.sqrt(0.02 * 0.0025))
    assert lin(-1.0) == 0.02 and lin(2.0) == 0.0025  # progress is clamped
    ts = [lin(p) for p in np.linspace(0, 1, 11)]
    assert all(a > b for a, b in zip(ts, ts[1:]))
    assert PAPER_SCHEDULES["pooling"] == {"schedule": "linear", "t_start": 0.02, "t_end": 0.0025}
    assert PAPER_SCHEDULES["nas-bench-macro"]["t_start"] == 0.01


def test_bad_schedules_and_options_raise():
    enc = product([2, 2])
    with pytest.raises(ValueError, match="unknown temperature schedule"):
        TemperatureSchedule("cosine", 0.1, 0.01)
    with pytest.raises(ValueError, match="positive"):
        TemperatureSchedule("exponential", 0.1, 0.0)
    for name in ("boltzmann", "independent", "mcts"):
        with pytest.raises(ConfigError, match="bad options"):
            make_sampler(name, enc, [2, 2], temperature=0.1)
        with pytest.raises(ConfigError, match="unknown temperature schedule"):
            make_sampler(name, enc, [2, 2], schedule="cosine")
        with pytest.raises(ValueError, match="beta"):
            make_sampler(name, enc, [2, 2], beta=1.0)
    with pytest.raises(ValueError, match="reg"):
        make_sampler("mcts", enc, [2, 2], reg=1.5)


def test_inverse_cdf_large_population_matches_weights():
    rng = np.random.default_rng(0)
    w = rng.random(3000) ** 4
    w[[5, 1700, 2999]] = 40.0  # heavy entries across blocks, including the last one
    draws = np.bincount([inverse_cdf(w, rng.random()) for _ in range(20000)], minlength=w.size)
    heavy = [5, 1700, 2999]
    np.testing.assert_allclose(draws[heavy] / 20000, w[heavy] / w.sum(), atol=0.015)
    assert inverse_cdf(w, 0.0) == int(np.flatnonzero(w > 0)[0])
    assert inverse_cdf(w, 1.0 - 1e-16) == w.size - 1


# ---------------------------------------------------------------------------- Boltzmann
def test_boltzmann_probabilities_match_exp_normalisation():
    enc = product([2, 2, 2])
    s = BoltzmannSampler(enc, [2, 2, 2], t_start=0.05, t_end=0.01)
    np.testing.assert_allclose(s.probabilities(), np.full(8, 1 / 8))  # nothing seen yet: uniform
    rewards = np.linspace(0.6, 0.8, 8)
    for i in range(6):
        s.update(i, rewards[i])
    s.set_progress(0.5)
    t = 0.03
    assert s.temperature() == pytest.approx(t)
    eps = rewards.copy()
    eps[6:] = rewards[:6].mean()  # unvisited architectures scored with the mean estimate
    expected = np.exp(eps / t) / np.exp(eps / t).sum()
    np.testing.assert_allclose(s.probabilities(), expected, rtol=1e-12)
    assert tv(empirical(s, np.random.default_rng(1), 20000), expected) < 0.02


def test_boltzmann_ema_is_eq4():
    s = BoltzmannSampler(product([3]), [3], beta=0.9)
    s.update(1, 0.5)
    s.update(1, 0.7)
    assert s.eps[1] == pytest.approx(0.9 * 0.5 + 0.1 * 0.7)
    z = BoltzmannSampler(product([3]), [3], beta=0.9, ema_init="zero")
    z.update(1, 0.5)
    assert z.eps[1] == pytest.approx(0.05)
    opt = BoltzmannSampler(product([3]), [3], unvisited="max")
    opt.update(0, 0.4)
    opt.update(1, 0.8)
    np.testing.assert_allclose(opt.values(), [0.4, 0.8, 0.8])


# ---------------------------------------------------------------------------- Independent
def test_independent_probability_is_product_of_marginals():
    choices = [2, 3, 2]
    enc = product(choices)[np.random.default_rng(2).permutation(12)]
    s = IndependentSampler(enc, choices, t_start=0.05, t_end=0.05)
    assert s.full_product
    rng = np.random.default_rng(3)
    for _ in range(30):
        i = int(rng.integers(12))
        s.update(i, 0.5 + 0.1 * enc[i, 0] + 0.05 * enc[i, 1] + 0.02 * rng.random())
    marg = s.marginals()
    np.testing.assert_allclose(marg.sum(1), 1.0)
    expected = np.array([marg[0, a] * marg[1, b] * marg[2, c] for a, b, c in enc])
    np.testing.assert_allclose(s.probabilities(), expected, rtol=1e-10)
    assert s.probabilities().sum() == pytest.approx(1.0)
    # a decision's marginal is the Boltzmann distribution of its node estimates
    v = s.node_values()[1, :3]
    np.testing.assert_allclose(marg[1, :3], np.exp(v / 0.05) / np.exp(v / 0.05).sum())
    assert tv(empirical(s, np.random.default_rng(4), 20000), expected) < 0.02


def test_independent_renormalises_over_a_constrained_population():
    space = PoolingSpace()
    enc = space.encodings()
    s = IndependentSampler(enc, space.choices_per_decision(), t_start=0.1, t_end=0.1)
    assert not s.full_product
    rng = np.random.default_rng(5)
    for _ in range(100):
        i = int(rng.integers(36))
        s.update(i, 0.7 + 0.1 * enc[i, 5] - 0.05 * enc[i, 0])
    marg = s.marginals()
    raw = np.array([np.prod([marg[d, a[d]] for d in range(9)]) for a in enc])
    np.testing.assert_allclose(s.probabilities(), raw / raw.sum(), rtol=1e-10)
    assert raw.sum() < 1.0  # the valid population holds only part of the product mass
    assert tv(empirical(s, np.random.default_rng(6), 20000), raw / raw.sum()) < 0.03


def test_independent_update_touches_every_decision_of_the_architecture():
    enc = product([2, 3])
    s = IndependentSampler(enc, [2, 3], beta=0.5)
    s.update(4, 0.8)  # (1, 1)
    s.update(5, 0.4)  # (1, 2)
    assert s.eps[0, 1] == pytest.approx(0.5 * 0.8 + 0.5 * 0.4)
    assert s.eps[1, 1] == 0.8 and s.eps[1, 2] == 0.4
    np.testing.assert_array_equal(s.visits, [[0, 2, 0], [0, 1, 1]])


# ---------------------------------------------------------------------------- MCTS
def seeded_mcts(tree=None, enc=None, steps=60, seed=7, **kw):
    enc = product([3, 2, 3]) if enc is None else enc
    s = MCTSSampler(enc, [3, 2, 3] if enc.shape[1] == 3 else [2] * enc.shape[1], tree=tree, **kw)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        i = int(rng.integers(s.population_size))
        s.update(i, 0.5 + 0.4 * rng.random())
    return s


def expected_mcts_probabilities(s: MCTSSampler, lam: float, temp: float) -> np.ndarray:
    """Eq. 2-3 evaluated path by path with plain Python."""
    tree = s.tree
    out = np.zeros(s.population_size)
    for i in range(s.population_size):
        p, eff = 1.0, (s.value[tree.root] if s.has[tree.root] else 0.0)
        path = tree.path(i)
        for parent, node in zip(path[:-1], path[1:]):
            sibs = tree.children[parent]
            n = [int(s.visits[c]) for c in sibs]
            if lam > 0 and 0 in n:
                p *= (1.0 / n.count(0)) if s.visits[node] == 0 else 0.0
            else:
                vals = []
                for c, nc in zip(sibs, n):
                    c_val = s.value[c] if s.has[c] else eff
                    bonus = lam * math.sqrt(math.log(s.visits[parent]) / nc) if lam > 0 else 0.0
                    vals.append(c_val + bonus)
                vals = np.array(vals)
                w = np.exp((vals - vals.max()) / temp)
                p *= w[sibs.index(node)] / w.sum()
            if s.has[node]:
                eff = s.value[node]
        out[i] = p
    return out


@pytest.mark.parametrize("kind", ["default", "learned"])
def test_mcts_probabilities_are_exact_and_match_sampling(kind):
    enc = product([3, 2, 3])
    tree = None
    if kind == "learned":
        tree, _ = build_tree("learned", outputs=np.random.default_rng(8).normal(size=(18, 4, 5)), distance="kl")
    s = seeded_mcts(tree, enc, steps=25, lam=0.5, t_start=0.05, t_end=0.05)
    assert (s.visits[s.tree.node_of_leaf] == 0).any()  # some leaves unvisited: exercises the UCT rule
    p = s.probabilities()
    np.testing.assert_allclose(p, expected_mcts_probabilities(s, 0.5, 0.05), rtol=1e-10, atol=1e-15)
    assert p.sum() == pytest.approx(1.0)
    assert tv(empirical(s, np.random.default_rng(9), 20000), p) < 0.025
    # lambda = 0: unvisited nodes inherit their nearest estimated ancestor's value
    s.lam = 0.0
    np.testing.assert_allclose(s.probabilities(), expected_mcts_probabilities(s, 0.0, 0.05), rtol=1e-10)


def test_mcts_visits_unvisited_children_first():
    enc = product([4, 3])
    s = MCTSSampler(enc, [4, 3], lam=0.5)
    rng = np.random.default_rng(10)
    root_kids = s.tree.children[s.tree.root]
    firsts = []
    for _ in range(4):
        i = s.sample(rng)
        firsts.append(s.tree.path(i)[1])
        s.update(i, 0.9)  # a high reward must not stop the exploration of the other branches
    assert sorted(firsts) == sorted(root_kids)


def test_mcts_backpropagates_eq4_from_leaf_to_root():
    enc = product([2, 2])
    s = MCTSSampler(enc, [2, 2], beta=0.9)
    s.update(3, 0.6)
    s.update(3, 0.8)
    s.update(2, 0.1)
    path3, path2 = s.tree.path(3), s.tree.path(2)
    assert s.value[path3[-1]] == pytest.approx(0.9 * 0.6 + 0.1 * 0.8)
    assert s.value[path3[1]] == pytest.approx(0.9 * (0.9 * 0.6 + 0.1 * 0.8) + 0.1 * 0.1)  # shared node
    assert s.value[path2[-1]] == pytest.approx(0.1)
    np.testing.assert_array_equal(s.visits[path3], [3, 3, 2])
    assert s.visits[s.tree.path(0)[1]] == 0


@pytest.mark.parametrize("tree_kind", ["default", "learned"])
def test_mcts_concentrates_on_the_best_leaf(tree_kind):
    enc = product([3, 3, 3])
    rng = np.random.default_rng(11)
    true = rng.uniform(0.55, 0.75, size=27)
    best = 17
    true[best] = 0.9
    tree = None
    if tree_kind == "learned":
        tree, _ = build_tree("learned", outputs=rng.normal(size=(27, 4, 5)), distance="l2")
    s = MCTSSampler(enc, [3, 3, 3], tree=tree, t_start=0.02, t_end=0.0025)
    for _ in range(300):  # the MCTS warm-up: the trainer's explore phase draws uniformly and feeds rewards
        i = int(rng.integers(27))
        s.update(i, true[i] + rng.normal(0, 0.02))
    steps, late = 1500, []
    for t in range(steps):
        s.set_progress(t / (steps - 1))
        i = s.sample(rng)
        s.update(i, true[i] + rng.normal(0, 0.02))
        if t >= steps - 300:
            late.append(i)
    assert np.mean(np.array(late) == best) > 0.5
    assert s.select(1, rng) == [best]
    assert s.probabilities().argmax() == best


def test_mcts_select_greedy_path_and_deduplicated_samples():
    s = seeded_mcts(steps=200, seed=12)
    greedy = s.select(1, np.random.default_rng(0))[0]
    # the greedy path follows the largest C among siblings at every level
    tree, v = s.tree, s.tree.root
    while tree.children[v]:
        kids = list(tree.children[v])
        v = kids[int(np.argmax(s.value[kids]))]
    assert greedy == tree.leaf_index[v]
    s.set_progress(1.0)
    picks = s.select(50, np.random.default_rng(13))
    assert len(picks) == len(set(picks)) and 1 <= len(picks) <= 50
    again = s.select(50, np.random.default_rng(13))
    assert picks == again
    q = s.node_probabilities(lam=0.0)
    assert q[tree.path(picks[0])].prod() > 0


def test_mcts_reg_updates_equivalent_nodes():
    enc = product([2, 2])
    plain = MCTSSampler(enc, [2, 2], reg=0.0, beta=0.9)
    reg = MCTSSampler(enc, [2, 2], reg=0.5, beta=0.9)
    for s in (plain, reg):
        s.update(0, 0.8)  # leaf (0, 0)
    leaf_10 = reg.tree.path(2)[-1]  # (1, 0): same level, same operation as (0, 0)'s leaf
    leaf_11 = reg.tree.path(3)[-1]
    assert not plain.has[leaf_10]
    assert reg.has[leaf_10] and reg.value[leaf_10] == 0.8  # first information
    assert not reg.has[leaf_11] and not reg.has[reg.tree.path(2)[1]]
    reg.update(0, 0.4)
    assert reg.value[leaf_10] == pytest.approx(0.8 + 0.5 * 0.1 * (0.4 - 0.8))
    assert reg.visits[leaf_10] == 0  # counts are not shared
    assert reg.value[reg.tree.path(0)[-1]] == pytest.approx(0.9 * 0.8 + 0.1 * 0.4)
    # reg = 1: equivalent nodes follow the same EMA (soft independence becomes independence)
    full = MCTSSampler(enc, [2, 2], reg=1.0, beta=0.9)
    full.update(1, 0.5)
    full.update(2, 0.7)
    full.update(2, 0.3)
    a, b = full.tree.path(1)[-1], full.tree.path(3)[-1]  # both op 1 at level 2
    assert full.value[a] == pytest.approx(full.value[b])
    learned, _ = build_tree("random", encodings=enc)
    with pytest.raises(ValueError, match="operations"):
        MCTSSampler(enc, [2, 2], tree=learned, reg=0.5)


def test_uniform_rewards_record_statistics_on_every_leaf_path():
    space = PoolingSpace()
    s = make_sampler("mcts", space.encodings(), space.choices_per_decision(), tree_paths=space.tree_paths())
    for i in range(36):
        s.update(i, 0.5)
    assert (s.visits[s.tree.node_of_leaf] == 1).all()
    assert s.visits.max() == 36  # the root lies on every path
    assert s.sample(np.random.default_rng(14)) in range(36)


# ---------------------------------------------------------------------------- state and overhead
def _drive(s, rng, steps):
    out = []
    for t in range(steps):
        s.set_progress(t / steps)
        i = s.sample(rng)
        s.update(i, 0.5 + 0.4 * ((i * 7919) % 13) / 13 + 0.01 * rng.random())
        out.append(i)
    return out


@pytest.mark.parametrize("variant", ["boltzmann", "independent", "independent-pool", "mcts-reg", "mcts-learned"])
def test_state_dict_round_trip_gives_identical_samples(variant):
    space = PoolingSpace()
    if variant == "independent-pool":
        enc, ch, name, opts = space.encodings(), space.choices_per_decision(), "independent", {}
    else:
        enc, ch = product([3, 3, 2]), [3, 3, 2]
        name, opts = variant.split("-")[0], {}
        if variant == "mcts-reg":
            opts = {"reg": 0.3}
        if variant == "mcts-learned":
            tree, _ = build_tree("learned", outputs=np.random.default_rng(15).normal(size=(18, 3, 4)))
            opts = {"tree": tree}
    s = make_sampler(name, enc, ch, **opts)
    rng = np.random.default_rng(16)
    for _ in range(30):  # explore phase: uniform draws, rewards recorded
        i = int(rng.integers(len(enc)))
        s.update(i, 0.5 + 0.01 * rng.random())
    _drive(s, rng, 50)
    state = roundtrip(s.state_dict())
    fresh = make_sampler(name, enc, ch, **({"reg": 0.3} if variant == "mcts-reg" else {}))
    fresh.load_state_dict(state)
    rng_a = np.random.default_rng(17)
    rng_b = np.random.default_rng(17)
    assert _drive(s, rng_a, 200) == _drive(fresh, rng_b, 200)
    np.testing.assert_array_equal(s.probabilities(), fresh.probabilities())
    assert s.select(5, rng_a) == fresh.select(5, rng_b)


def test_measure_overhead_reports_medians():
    s = make_sampler("mcts", product([3, 3]), [3, 3])
    r = measure_overhead(s, steps=50, rng=np.random.default_rng(0))
    assert r["sampler"] == "mcts" and r["population"] == 9 and r["steps"] == 50
    assert 0 < r["sample_us"] < 10_000 and 0 < r["update_us"] < 10_000
    assert s.visits[s.tree.root] == 100  # 50 measured + 50 warm-up steps


def test_uct_and_boltzmann_match_eq2_eq3_by_hand():
    """Two leaves under the root: C from Eq. 4 (first reward initialises), R from Eq. 3, p from Eq. 2."""
    from nasrepro.samplers.mcts import MCTSSampler

    s = MCTSSampler(np.array([[0], [1]]), [2], beta=0.95, lam=0.5)
    s.update(0, 0.8)
    s.update(1, 0.4)
    s.update(1, 0.6)
    c0, c1 = 0.8, 0.95 * 0.4 + 0.05 * 0.6
    r0 = c0 + 0.5 * np.sqrt(np.log(3) / 1)
    r1 = c1 + 0.5 * np.sqrt(np.log(3) / 2)
    t = 0.1
    expected = np.exp(r0 / t) / (np.exp(r0 / t) + np.exp(r1 / t))
    probs = s.node_probabilities(lam=0.5, temperature=t)
    node0 = int(np.flatnonzero(np.asarray(s.tree.leaf_index) == 0)[0])
    node1 = int(np.flatnonzero(np.asarray(s.tree.leaf_index) == 1)[0])
    assert probs[node0] == pytest.approx(expected)
    assert probs[node1] == pytest.approx(1 - expected)


@pytest.mark.parametrize("method", ["boltzmann", "independent"])
def test_boltzmann_and_independent_start_almost_uniform_and_end_almost_categorical(method):
    """Paper §2: Boltzmann sampling anneals "from a high value (almost uniform) ... to a low value (almost
    categorical)". With the configured schedule, accuracy rewards in [0, 1] give p_max / p_min <= e at the
    start, and the end puts most of the mass on the best architecture."""
    import yaml

    from nasrepro import config, methods
    from nasrepro.spaces import get_space

    cfg = config.resolve({**yaml.safe_load(open("config/config.yaml")), "preset": "paper"})
    space = get_space("pooling")
    archs = space.enumerate()
    sampler = methods.make_sampler_for(cfg["methods"][method], cfg["pooling"], space, archs, None)
    rng = np.random.default_rng(0)
    for i in range(len(archs)):
        for _ in range(3):
            sampler.update(i, 0.5 + 0.4 * i / len(archs) + 0.01 * rng.random())  # the best is the last
    sampler.set_progress(0.0)
    p = sampler.probabilities()
    assert p.max() / p.min() <= np.e
    sampler.set_progress(1.0)
    assert sampler.probabilities().argmax() == len(archs) - 1
    if method == "boltzmann":
        assert sampler.probabilities().max() > 0.9
