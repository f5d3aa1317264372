"""Query-based search (nasrepro.query): the ANASOD encoding, the oracle, strategies, surrogates and trials."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from nasrepro import config
from nasrepro.errors import CheckpointError, ConfigError
from nasrepro.query import anasod, make_strategy
from nasrepro.query.cells import NB201Cells
from nasrepro.query.objective import BudgetSpent, Objective, Oracle, compact_nb201

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_cfg() -> dict:
    return config.resolve(config.load(ROOT / "config" / "config.yaml", {"preset": "demo"}))


@pytest.fixture(scope="module")
def c10() -> Objective:
    return compact_nb201("cifar10")


# ------------------------------------------------------------------ encoding (seed 004 §3.1, Eq. 1, App. B)
def test_number_of_encodings_is_the_binomial_and_the_grid_enumerates_them():
    g = anasod.grid(6, 5)
    assert len(g) == anasod.num_encodings(6, 5) == 210  # NAS-Bench-201
    assert len({tuple(r) for r in g}) == 210 and np.all(g.sum(axis=1) == 6) and g.min() >= 0
    assert anasod.num_encodings(14, 8) == 116_280  # the DARTS-like cell of §3.1 ("about 1.2 x 10^5")


@pytest.mark.parametrize("n,k", [(3, 2), (4, 3), (5, 3), (6, 4)])
def test_rounding_gives_the_nearest_grid_point_in_l1_and_l2(n, k):
    rng = np.random.default_rng(n * 10 + k)
    g = anasod.grid(n, k)
    for _ in range(200):
        m = rng.dirichlet(np.ones(k)) * n
        r = anasod.round_to_grid(m, n)
        assert r.sum() == n and r.min() >= 0
        for order in (1, 2):
            best = np.min(np.linalg.norm(g - m, ord=order, axis=1))
            assert np.linalg.norm(r - m, ord=order) == pytest.approx(best, abs=1e-12)


def test_rounding_scales_a_simplex_point_and_keeps_grid_points():
    assert anasod.round_to_grid([0.5, 0.25, 0.25], 4).tolist() == [2, 1, 1]
    for p in anasod.grid(5, 3):
        assert anasod.round_to_grid(p, 5).tolist() == p.tolist()
    with pytest.raises(ValueError):
        anasod.round_to_grid([-1.0, 2.0], 1)


def test_grid_neighbours_match_the_seed_example():
    nbrs = {tuple(q) for q in anasod.grid_neighbours([1, 1, 3])}
    assert nbrs == {(0, 1, 4), (1, 0, 4), (0, 2, 3), (2, 0, 3), (1, 2, 2), (2, 1, 2)}


def test_decoders_give_the_counts_or_the_distribution_in_expectation():
    rng = np.random.default_rng(0)
    p = [0, 2, 1, 3, 0]
    for _ in range(20):
        assert anasod.counts(anasod.decode_shuffle(p, rng), 5).tolist() == p
    p_tilde = np.array([0.1, 0.2, 0.3, 0.4, 0.0])
    draws = np.stack([anasod.counts(anasod.decode_categorical(p_tilde, 6, rng), 5) for _ in range(4000)])
    assert np.allclose(draws.mean(axis=0) / 6, p_tilde, atol=0.01)
    with pytest.raises(ValueError, match="decoder"):
        anasod.decode(p_tilde, 6, rng, "argmax")


def test_biased_dirichlet_has_its_mode_at_the_best_encoding():
    best = np.array([0.5, 1 / 6, 1 / 3, 0.0, 0.0])
    alpha = anasod.biased_dirichlet(best, 2.0)
    mode = (alpha - 1) / (alpha.sum() - len(alpha))  # mode of a Dirichlet with every alpha_i >= 1
    assert np.allclose(mode, best)
    assert np.allclose(anasod.biased_dirichlet(best, 0.0), 1.0)


# ------------------------------------------------------------------ the cell space
def test_cells_agree_with_the_nb201_space():
    from nasrepro.spaces import nb201

    space = NB201Cells()
    assert space.ops == nb201.OPS and space.n == len(nb201.EDGES)
    rng = np.random.default_rng(1)
    for _ in range(50):
        a = space.random(rng)
        assert space.format(a) == nb201.arch_to_str(a)
        nbrs = space.neighbours(a)
        assert len(nbrs) == 24 == len(set(nbrs))
        assert all(sum(x != y for x, y in zip(a, b)) == 1 for b in nbrs)
        assert sum(x != y for x, y in zip(a, space.mutate(a, rng))) == 1


def test_path_and_adjacency_encodings_by_hand():
    space = NB201Cells()
    conv3 = (3,) * 6
    path = space.path(conv3)
    assert path.sum() == 4 and path.max() == 2  # 4 paths; the two 2-edge paths are the same sequence
    cut = (3, 3, 3, 0, 3, 3)  # edge 0->3 is none: the 1-edge path is gone
    assert space.path(cut).sum() == 3
    dead = (0, 0, 0, 0, 0, 0)
    assert space.path(dead).sum() == 0
    adj = space.adjacency((1, 2, 3, 4, 0, 1)).reshape(6, 5)
    assert adj.sum() == 6 and [int(np.argmax(r)) for r in adj] == [1, 2, 3, 4, 0, 1]


def test_compact_objective_is_the_nb201_table_as_error(c10):
    from nasrepro.benchmarks.nb201 import load_nb201

    gt = load_nb201("cifar10")
    assert [tuple(a) for a in gt.archs] == c10.archs
    assert np.allclose(c10.error, 100.0 - gt.accuracy)
    assert c10.optimum() == pytest.approx(100 - 94.37, abs=5e-3)
    assert "test error" in c10.metric and c10.reading == "mean"
    with pytest.raises(ConfigError, match="full NAS-Bench-201"):
        Objective("cifar10", "x", c10.archs, c10.error, reading="single-seed")


# ------------------------------------------------------------------ the oracle
def test_oracle_counts_distinct_cells_and_stops_at_the_budget(c10):
    space = NB201Cells()
    oracle = Oracle(c10, 3, np.random.default_rng(0), space.check)
    a, b, c, d = [(i, 1, 2, 3, 4, 0) for i in range(4)]
    assert oracle(a) == pytest.approx(c10.error[c10.index[a]])
    oracle(a)  # a repeat is free
    oracle(b), oracle(c)
    assert oracle.spent == 3 and oracle.calls == 4
    with pytest.raises(BudgetSpent):
        oracle(d)
    assert oracle(b) == c10.error[c10.index[b]]  # known cells still answer
    best_arch, best = oracle.best()
    assert best == min(c10.error[c10.index[x]] for x in (a, b, c)) == oracle.log[-1]["best"]
    with pytest.raises(ValueError):
        oracle((5, 0, 0, 0, 0, 0))


def test_oracle_replay_checks_the_logged_cells(c10):
    space = NB201Cells()
    log = [{"arch": [0, 1, 2, 3, 4, 0], "value": float(c10.error[c10.index[(0, 1, 2, 3, 4, 0)]])}]
    oracle = Oracle(c10, 5, np.random.default_rng(0), space.check, replay=log)
    with pytest.raises(CheckpointError, match="delete the run's directory"):
        oracle((1, 1, 1, 1, 1, 1))


# ------------------------------------------------------------------ strategies
def _run(name, budget, c10, seed=0, **options):
    space = NB201Cells()
    oracle = Oracle(c10, budget, np.random.default_rng(seed + 100), space.check)
    strategy = make_strategy(name, space, np.random.default_rng(seed), **options)
    with pytest.raises(BudgetSpent):
        strategy.run(oracle)
    return oracle, strategy


@pytest.mark.parametrize("name,options,budget", [
    ("random", {}, 40), ("anasod-rs", {}, 40), ("anasod-biased-rs", {}, 40), ("local-search", {}, 60),
    ("anasod-ls", {}, 60), ("regularized-evolution", {"population": 10, "sample": 3}, 40), ("tpe", {}, 25),
    ("bo", {"encoding": "anasod"}, 14), ("bo", {"encoding": "path"}, 13), ("bo", {"encoding": "adjacency"}, 13),
])
def test_every_strategy_spends_its_budget_and_is_deterministic_by_seed(name, options, budget, c10):
    first, _ = _run(name, budget, c10, **options)
    again, _ = _run(name, budget, c10, **options)
    assert first.spent == budget == len({tuple(r["arch"]) for r in first.log})
    assert [r["arch"] for r in first.log] == [r["arch"] for r in again.log]
    other, _ = _run(name, budget, c10, seed=7, **options)
    assert [r["arch"] for r in other.log] != [r["arch"] for r in first.log]


def test_biased_rs_beta_reaches_beta_max_at_the_last_query(c10):
    space = NB201Cells()
    st = make_strategy("anasod-biased-rs", space, np.random.default_rng(0), beta_max=2.0)
    oracle = Oracle(c10, 10, np.random.default_rng(1), space.check)
    seen = []
    real = anasod.biased_dirichlet
    try:
        anasod.biased_dirichlet = lambda best, beta: (seen.append(beta), real(best, beta))[1]
        with pytest.raises(BudgetSpent):
            st.run(oracle)
    finally:
        anasod.biased_dirichlet = real
    # t = 2..T (t = 1 is uniform); the proposal the spent budget refuses does not go past beta_max
    assert seen[0] == pytest.approx(2 * 2.0 / 10) and seen[8] == pytest.approx(2.0) and max(seen) == pytest.approx(2.0)


def test_local_search_stops_only_at_local_optima(c10):
    space = NB201Cells()
    ls = make_strategy("local-search", space, np.random.default_rng(3))
    oracle = Oracle(c10, 10_000, np.random.default_rng(0), space.check)
    arch, value = ls.climb(oracle, *ls.start(oracle))
    assert all(c10.error[c10.index[n]] >= value for n in space.neighbours(arch))


def test_anasod_ls_walks_the_grid_before_cell_space(c10):
    oracle, _ = _run("anasod-ls", 80, c10)
    counts = [tuple(anasod.counts(r["arch"], 5)) for r in oracle.log]
    # the first n_init queries are random encodings; the grid walk then queries one cell per neighbouring grid point
    walk = counts[10:30]
    assert len(set(walk)) >= 10


def test_unknown_strategy_and_option_are_one_clear_error():
    with pytest.raises(ConfigError, match="unknown query strategy 'nope'"):
        make_strategy("nope", NB201Cells(), np.random.default_rng(0))
    with pytest.raises(ConfigError, match="no option 'temperature'"):
        make_strategy("random", NB201Cells(), np.random.default_rng(0), temperature=1.0)


def test_a_plugin_strategy_is_one_class(tmp_path, monkeypatch, c10):
    (tmp_path / "my_strategy.py").write_text(
        "class FirstCells:\n    family = 'rs'\n    summary = 'cells in index order'\n"
        "    def __init__(self, space, rng):\n        self.space = space\n"
        "    def run(self, oracle):\n        import itertools\n"
        "        for a in itertools.product(range(self.space.k), repeat=self.space.n):\n            oracle(a)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    oracle, _ = _run("my_strategy:FirstCells", 3, c10)
    assert [r["arch"] for r in oracle.log] == [[0] * 6, [0] * 5 + [1], [0] * 5 + [2]]


# ------------------------------------------------------------------ surrogates
def _matern52(a, b, ls, os_):
    d = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)) / ls
    return os_ * (1 + np.sqrt(5) * d + 5 / 3 * d ** 2) * np.exp(-np.sqrt(5) * d)


def test_gp_posterior_is_the_closed_form():
    import torch

    from nasrepro.query.surrogates import make_gp

    rng = np.random.default_rng(0)
    x, y, xs = rng.random((7, 3)), rng.standard_normal(7), rng.random((4, 3))
    gp = make_gp(torch.tensor(x), torch.tensor(y))
    gp.covar_module.base_kernel.lengthscale = 0.3
    gp.covar_module.outputscale = 2.0
    gp.likelihood.noise = 0.05
    gp.eval()
    with torch.no_grad():
        post = gp.posterior(torch.tensor(xs))
        mean, var = post.mean.squeeze(-1).numpy(), post.variance.squeeze(-1).numpy()
    k = _matern52(x, x, 0.3, 2.0) + 0.05 * np.eye(7)
    ks = _matern52(xs, x, 0.3, 2.0)
    mu0 = gp.mean_module.constant.item()
    assert np.allclose(mean, mu0 + ks @ np.linalg.solve(k, y - mu0), atol=1e-6)
    assert np.allclose(var, 2.0 - np.einsum("ij,ji->i", ks, np.linalg.solve(k, ks.T)), atol=1e-6)


def test_expected_improvement_is_the_closed_form_and_botorch_agrees():
    from scipy import integrate, stats

    from nasrepro.query.surrogates import expected_improvement, fit_gp, gp_log_expected_improvement

    for mu, sd, best in ((0.3, 0.5, 0.0), (-1.0, 0.2, 0.0), (2.0, 1.5, 1.0)):
        numeric, _ = integrate.quad(lambda v: max(best - v, 0) * stats.norm.pdf(v, mu, sd), mu - 12 * sd, mu + 12 * sd)
        assert expected_improvement([mu], [sd], best)[0] == pytest.approx(numeric, rel=1e-6, abs=1e-12)
    rng = np.random.default_rng(1)
    x, y = rng.random((8, 2)), rng.standard_normal(8)
    gp = fit_gp(x, y)
    xs = rng.random((5, 2))
    import torch

    with torch.no_grad():
        post = gp.posterior(torch.tensor(xs))
        mean, sd = post.mean.squeeze(-1).numpy(), post.variance.squeeze(-1).sqrt().numpy()
    ours = expected_improvement(mean, sd, float(y.min()))
    assert np.allclose(np.exp(gp_log_expected_improvement(gp, xs, float(y.min()))), ours, rtol=1e-5)


def test_gp_hyperparameters_stay_in_the_seed_bounds():
    from nasrepro.query.surrogates import fit_gp

    rng = np.random.default_rng(2)
    gp = fit_gp(rng.random((20, 5)), rng.standard_normal(20) * 10)
    assert 0.01 <= gp.covar_module.base_kernel.lengthscale.item() <= 0.5
    assert 0.5 <= gp.covar_module.outputscale.item() <= 5.0
    assert 1e-6 <= gp.likelihood.noise.item() <= 0.1


def test_neural_ensemble_fits_and_spreads_and_repeats_by_seed():
    from nasrepro.query.surrogates import NeuralEnsemble, standardise_log

    rng = np.random.default_rng(0)
    x = rng.random((40, 3))
    y = x @ np.array([1.0, -2.0, 0.5])
    net = NeuralEnsemble(layers=3, epochs=300, seed=4).fit(x, y)
    mean, std = net.predict(x)
    assert np.mean(np.abs(mean - y)) < 0.1 and np.all(std >= 0)
    again = NeuralEnsemble(layers=3, epochs=300, seed=4).fit(x, y).predict(x)[0]
    assert np.array_equal(mean, again)
    z, mu, sd = standardise_log(np.array([1.0, np.e, np.e ** 2]))
    assert mu == pytest.approx(1.0) and np.allclose(z, [-1.2247449, 0.0, 1.2247449])


# ------------------------------------------------------------------ the encoding study (Table 1, Fig. 2)
def test_cells_with_counts_is_the_multinomial_by_brute_force():
    from nasrepro.query.study import cells_with_counts

    tally: dict = {}
    for a in itertools.product(range(3), repeat=4):
        key = tuple(anasod.counts(a, 3))
        tally[key] = tally.get(key, 0) + 1
    assert all(cells_with_counts(p) == n for p, n in tally.items())


def test_study_statistics_by_hand(c10):
    from nasrepro.query.study import STATISTICS, sample_study, statistics

    study = {"errors": np.array([[1.0, 3.0], [10.0, 10.0], [5.0, 9.0]]), "seed_sd": np.full((3, 2), np.nan)}
    stats = statistics(study)
    assert stats[STATISTICS[0]] == pytest.approx(np.std([1, 3, 10, 10, 5, 9]))
    assert stats[STATISTICS[1]] == pytest.approx(1.0)  # SDs 1, 0, 2 -> median 1
    # means 2, 10, 7 have median 7: the better half is the encodings with means 2 and 7, SDs 1 and 2
    assert stats[STATISTICS[2]] == pytest.approx(1.5)
    assert np.isnan(stats[STATISTICS[3]])
    s = sample_study(c10, NB201Cells(), 30, 5, 0)
    assert len(set(s["encodings"])) == 30 and all(len(set(r)) == 5 for r in s["cells"])
    assert all(tuple(anasod.counts(a, 5)) == p for p, row in zip(s["encodings"], s["cells"]) for a in row)
