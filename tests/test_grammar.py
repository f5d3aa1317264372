"""Grammar-based spaces and BANAT (seed 003): Eq. 5, sampling under the constraint, evolution operators,
folds, graphs, the (hierarchical) WL kernel, and BANAT's search on the cell-based NB201 grammar."""

from __future__ import annotations

import itertools
from pathlib import Path
import math
from collections import Counter

import numpy as np
import pytest

from nasrepro.errors import ConfigError
from nasrepro.grammar.cfg import ConstraintError, Grammar, valid
from nasrepro.grammar.grammars import arch_to_cell_term, cell_term_to_arch, get_grammar
from nasrepro.grammar.kernel import feature_matrix, term_features, wl_features, wl_kernel
from nasrepro.grammar.terms import Term, connected, fold, graph


# ------------------------------------------------------------------ Eq. 5 against the seed's examples
def test_size_function_matches_the_seed_examples():
    g = Grammar.parse("A ::= Residual(B, B, B)\nB ::= conv | id")
    assert g.size() == 8
    g = Grammar.parse("A ::= Residual(B, B, B) | Linear(B, B, B)\nB ::= conv | id")
    assert g.size() == 16
    g = Grammar.parse("C ::= Linear(A, A, A)\nA ::= Residual(B, B, B) | Linear(B, B, B)\nB ::= conv | id")
    assert g.size() == 4096 == 16 ** 3


def test_size_of_the_nb201_grammars():
    assert get_grammar("nb201-cell").size() == 5 ** 6
    assert get_grammar("hierarchical-nb201").log10_size() == pytest.approx(446.09, abs=0.005)
    op = get_grammar("hierarchical-nb201").size("OP")
    assert op == 3 + 2 * 27  # zero, id, avg_pool and BLOCK (27 conv blocks) listed twice


def test_size_equals_brute_force_enumeration_on_a_small_grammar():
    g = Grammar.parse("S ::= Linear2(X, Y) | Residual1(X, Y)\nX ::= a | b | Linear2(Y, Y)\nY ::= c | d")
    # X: 2 + 2*2 = 6; S: 6*2 + 6*2 = 24
    assert g.size() == 24
    seen = {g.sample(np.random.default_rng(i)).text() for i in range(3000)}
    assert len(seen) == 24


def test_constrained_cell_count_is_the_seeds_10_4_18():
    n = sum(connected(arch_to_cell_term(a)) for a in itertools.product(range(5), repeat=6))
    assert n == 15284 and f"{math.log10(n):.2f}" == "4.18"


def test_bad_grammars_give_one_clear_message():
    with pytest.raises(ConfigError, match="unknown grammar symbol 'Q'"):
        Grammar.parse("S ::= a | b").sample(np.random.default_rng(0), "Q")
    with pytest.raises(ConfigError, match="recursive"):
        Grammar.parse("S ::= Linear2(S, a) | a").size()
    with pytest.raises(ConfigError, match="expected 'A ::= alt"):
        Grammar.parse("S -> a")
    with pytest.raises(ConfigError, match="bare nonterminal"):
        Grammar.parse("S ::= T | a\nT ::= b")
    with pytest.raises(ConstraintError, match="constraint cannot be met"):
        Grammar.parse("S ::= Linear2(Z, Z)\nZ ::= zero").sample(np.random.default_rng(0))
    with pytest.raises(ConfigError, match="unknown grammar"):
        get_grammar("darts")


# ------------------------------------------------------------------ sampling and evolution
def test_sampling_respects_the_constraint_and_the_weights():
    g = get_grammar("hierarchical-nb201")
    rng = np.random.default_rng(0)
    terms = [g.sample(rng) for _ in range(20)]
    assert all(valid(t) and connected(t) for t in terms)
    ops = Counter(s.head for t in terms for _, s in t.subterms() if s.symbol == "OP")
    share = ops["Linear1"] / sum(ops.values())
    assert 0.35 < share < 0.5  # BLOCK is listed twice of five: 40 %, a little more once zero-only cells are redrawn
    cells = [get_grammar("nb201-cell").sample(rng) for _ in range(300)]
    assert all(connected(c) for c in cells)


def test_mutation_redraws_one_subterm_and_crossover_swaps_a_nonterminal():
    g = get_grammar("hierarchical-nb201")
    rng = np.random.default_rng(1)
    a, b = g.sample(rng), g.sample(rng)
    m = g.mutate(a, rng)
    assert m != a and valid(m)
    diff = [p for (p, x), (_, y) in zip(a.subterms(), m.subterms()) if x.symbol != y.symbol or x.head != y.head]
    assert diff  # some subterm changed, the rest of the tree kept its shape up to it
    c1, c2 = g.crossover(a, b, rng)
    assert valid(c1) and valid(c2)
    assert sorted(t.text() for t in (c1, c2)) != sorted(t.text() for t in (a, b))
    # a swap moves subterms, so the two children hold the parents' primitives, no more, no fewer
    leaves = lambda ts: Counter(x for t in ts for x in t.leaves())  # noqa: E731
    assert leaves((c1, c2)) == leaves((a, b))
    s1, _ = g.crossover(a, None, rng)
    assert valid(s1) and s1 != a and leaves((s1,)) == leaves((a,))  # self-crossover: inside one parent


def test_terms_read_back_and_map_to_nb201_cells():
    g = get_grammar("hierarchical-nb201")
    t = g.sample(np.random.default_rng(2))
    assert g.parse_term(t.text()) == t
    cell = get_grammar("nb201-cell")
    from nasrepro.nb201_cells import OPS

    for arch in [(0, 1, 2, 3, 4, 0), (3,) * 6]:
        term = arch_to_cell_term(arch)
        assert cell.parse_term(term.text()) == term and cell_term_to_arch(term) == arch
    # the cell grammar's operations are NB201's, in the same order
    assert [c.head for c in arch_to_cell_term((0, 1, 2, 3, 4, 0)).children][:5] == ["zero", "id", "conv1x1",
                                                                                       "conv3x3", "avg_pool"]
    assert OPS == ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")


# ------------------------------------------------------------------ folds, graphs, WL
EQ1 = Grammar.parse("S ::= Linear(S, S, S) | Residual(S, S, S) | conv | id | fc")


def test_folds_of_the_seed_example():
    w = EQ1.parse_term("Linear(Residual(conv, id, conv), Residual(conv, id, conv), fc)")
    assert fold(w, 3) == w
    assert fold(w, 2).text() == "Linear(Residual, Residual, fc)"
    assert fold(w, 1).text() == "Linear"


def test_graph_of_a_residual_by_hand():
    labels, edges = graph(EQ1.parse_term("Residual(conv, id, fc)"))
    # input -> conv -> id -> output, and the skip input -> fc -> output
    assert labels == ["input", "conv", "id", "fc", "output"]
    assert edges == {(0, 1), (1, 2), (2, 4), (0, 3), (3, 4)}
    labels, edges = graph(arch_to_cell_term((0, 0, 0, 3, 0, 0)))  # one conv3x3 on edge 0 -> 3
    assert sorted(labels) == sorted(["input", "add", "add", "conv3x3", "output"])
    assert len(edges) == 2


def test_wl_features_and_kernel_by_hand():
    g1 = (["a", "b", "b"], {(0, 1), (0, 2)})  # a -> b, a -> b
    g2 = (["a", "b"], {(0, 1)})
    f1 = wl_features(*g1, h=1)
    assert f1 == Counter({(0, "a"): 1, (0, "b"): 2, (1, "a()"): 1, (1, "b(a)"): 2})
    # <phi(g1), phi(g2)>: label a 1*1, b 2*1, a() 1*1, b(a) 2*1 = 6
    assert wl_kernel(g1, g2, h=1) == 6.0
    assert wl_kernel(g1, g1, h=1) == 1 + 4 + 1 + 4


def test_feature_blocks_are_unit_length_and_reuse_the_training_vocabulary():
    g = get_grammar("hierarchical-nb201")
    rng = np.random.default_rng(3)
    terms = [g.sample(rng) for _ in range(4)]
    depth = max(t.depth() for t in terms)
    feats = [term_features(t, True, depth) for t in terms]
    x, vocab, widths = feature_matrix(feats)
    assert len(widths) == depth - 1
    starts = np.cumsum([0] + widths[:-1])
    for s, w in zip(starts, widths):
        assert np.allclose(np.linalg.norm(x[:, s:s + w], axis=1), 1.0)
    new = [term_features(g.sample(rng), True, depth)]
    xn, _, _ = feature_matrix(new, vocab)
    assert xn.shape[1] == x.shape[1]
    for s, w in zip(starts, widths):  # unseen labels drop out of the dot products but count in the norm
        assert np.linalg.norm(xn[0, s:s + w]) <= 1 + 1e-12


def test_hwl_gp_learns_level_weights_by_marginal_likelihood():
    from nasrepro.grammar.kernel import hwl_covariance
    from nasrepro.query.surrogates import fit_gp_with_kernel

    g = get_grammar("hierarchical-nb201")
    rng = np.random.default_rng(4)
    terms = [g.sample(rng) for _ in range(30)]
    depth = max(t.depth() for t in terms)
    x, _, widths = feature_matrix([term_features(t, True, depth) for t in terms])
    # a target that depends only on the top fold: count of Residual operators at level 2
    y = np.array([sum(c.head.startswith("Residual") for c in t.children) for t in terms], dtype=float)
    y = (y - y.mean()) / (y.std() + 1e-9)
    gp = fit_gp_with_kernel(x, y, hwl_covariance(widths))
    lambdas = [k.variance.item() for k in gp.covar_module.kernels]
    assert len(lambdas) == depth - 1 and lambdas[0] == max(lambdas)


# ------------------------------------------------------------------ BANAT and the surrogate study
def test_banat_and_grammar_baselines_spend_their_budget_deterministically():
    from nasrepro.query import make_strategy
    from nasrepro.query.cells import NB201Cells
    from nasrepro.query.objective import BudgetSpent, Oracle, compact_nb201

    obj, space = compact_nb201("cifar10"), NB201Cells()

    def run(name, budget, seed=0, **opts):
        oracle = Oracle(obj, budget, np.random.default_rng(seed + 1), space.check)
        with pytest.raises(BudgetSpent):
            make_strategy(name, space, np.random.default_rng(seed), **opts).run(oracle)
        return [tuple(r["arch"]) for r in oracle.log]

    small = {"pool": 30, "min_generations": 2, "max_generations": 4}
    for name, budget, opts in (("grammar-rs", 30, {}), ("grammar-re", 40, {"population": 10, "sample": 3}),
                               ("banat", 12, small), ("banat", 12, {**small, "kernel": "wl"})):
        first = run(name, budget, **opts)
        assert len(set(first)) == budget and first == run(name, budget, **opts)
        cells = [arch_to_cell_term(a) for a in first]
        assert all(connected(c) for c in cells)  # the grammar's constraint: every proposed cell is connected
    with pytest.raises(ValueError, match="no tabular benchmark"):
        make_strategy("banat", space, np.random.default_rng(0), grammar="hierarchical-nb201")


def test_surrogate_study_is_deterministic_and_ranks_better_with_more_data():
    from nasrepro.grammar.surrogate_study import run_study
    from nasrepro.query.objective import compact_nb201

    obj = compact_nb201("cifar10")
    a = run_study(obj, 1, 60, 60, [10, 60], log=lambda m: None)
    b = run_study(obj, 1, 60, 60, [10, 60], log=lambda m: None)
    assert a.equals(b) and a["kendall_tau"].between(-1, 1).all() and set(a["kernel"]) == {"hwl", "wl", "nasbot"}
    by = a.groupby(["kernel", "train_size"])["kendall_tau"].mean()
    assert by[("wl", 60)] > by[("wl", 10)] and by[("nasbot", 60)] > by[("nasbot", 10)]
    assert np.allclose(a[a.kernel == "hwl"]["kendall_tau"], a[a.kernel == "wl"]["kendall_tau"], atol=1e-6)


def test_banat_table3_rows_by_hand(tmp_path):
    from nasrepro import catalogue, config
    from nasrepro.io import write_json
    from nasrepro.layout import Layout

    cfg = config.resolve(config.load("config/config.yaml", {"preset": "demo"}))
    paths = []
    for strategy, trial, err in (("banat", 777, 5.7), ("banat", 888, 5.9), ("grammar-rs", 777, 6.4)):
        p = tmp_path / Path(Layout.of(cfg).query("banat-nb201-cell", strategy, "cifar10", trial)).relative_to("results")
        write_json(p, {"setting": "banat-nb201-cell", "strategy": strategy, "dataset": "cifar10", "trial": trial, "best_test_error": err,
                       "budget": 12, "objective": "test error", "best_arch": f"c{trial}"})
        paths.append(p)
    t3 = catalogue.get("banat_table3").builder(cfg, paths)
    cell = t3[t3["space"] == "cell-based"].set_index(["method", "task"])
    assert cell.loc[("banat", "CIFAR-10"), "reproduced_mean"] == pytest.approx(5.8)
    assert cell.loc[("banat", "CIFAR-10"), "reproduced_se"] == pytest.approx(0.1)
    assert cell.loc[("banat-best", "CIFAR-10"), "reproduced_mean"] == pytest.approx(5.7)
    assert cell.loc[("oracle", "CIFAR-100"), "reproduced_mean"] == pytest.approx(100 - 73.51, abs=5e-3)
    assert cell.loc[("grammar-rs", "CIFARTile"), "status"].startswith("not available")
    assert cell.loc[("banat-wl", "CIFAR-10"), "status"] == "no trials"
    hier = t3[t3["space"] == "hierarchical"]
    assert set(hier[hier["method"] == "banat"]["status"]) >= {"not run in preset demo (its strategies: grammar-rs)"}


# ------------------------------------------------------------------ networks from terms and the trained arm
def test_networks_from_sampled_terms_run_and_count_parameters_by_hand():
    import torch

    from nasrepro.grammar.network import TermNetwork, parameter_count

    g = get_grammar("hierarchical-nb201")
    rng = np.random.default_rng(5)
    for _ in range(3):
        net = TermNetwork(g.sample(rng), num_classes=10, channels=4)
        assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    one = TermNetwork(Term(None, "conv3x3"), num_classes=10, channels=4)
    # stem conv 3*4*9 + BN 2*4, body conv 4*4*9, head BN 2*4 + linear 4*10 + 10
    assert parameter_count(one) == 108 + 8 + 144 + 8 + 50
    down = TermNetwork(Term(None, "down"), num_classes=10, channels=4)
    feats = down.body(down.stem(torch.randn(1, 3, 32, 32)))
    assert feats.shape == (1, 8, 16, 16)  # Table 1: down halves the resolution and doubles the channels


def test_a_killed_trained_trial_resumes_without_retraining(tmp_path, monkeypatch):
    import copy
    import json

    from nasrepro import config
    from nasrepro.grammar import network
    from nasrepro.query import trial as trial_mod

    cfg = copy.deepcopy(config.resolve(config.load("config/config.yaml", {"preset": "demo"})))
    cfg["query"]["banat-hier"].update(train_images=64, evaluation={"batch_size": 32, "val_images": 32, "test_images": 32})
    built = []
    real_init = network.TermNetwork.__init__

    def counting(self, term, *a, **k):
        built.append(term.text())
        real_init(self, term, *a, **k)

    monkeypatch.setattr(network.TermNetwork, "__init__", counting)
    whole = trial_mod.run_trial(cfg, "banat-hier", "grammar-rs", "demo-cifar10", 777, tmp_path / "whole")
    assert len(built) == 2 and whole["queries"] == 2 and whole["best_test_error"] is not None
    real_write = trial_mod.write_json

    def dying(path, obj):
        real_write(path, obj)
        if Path(path).name == trial_mod.PARTIAL and len(obj["log"]) == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(trial_mod, "write_json", dying)
    with pytest.raises(KeyboardInterrupt):
        trial_mod.run_trial(cfg, "banat-hier", "grammar-rs", "demo-cifar10", 777, tmp_path / "cut")
    monkeypatch.setattr(trial_mod, "write_json", real_write)
    built.clear()
    resumed = trial_mod.run_trial(cfg, "banat-hier", "grammar-rs", "demo-cifar10", 777, tmp_path / "cut")
    assert len(built) == 1  # the first network came from the log, only the second was trained
    a = json.loads((tmp_path / "whole" / "summary.json").read_text())
    assert resumed["best_arch"] == a["best_arch"] and resumed["best_value"] == a["best_value"]
    import pandas as pd

    h_whole, h_cut = pd.read_csv(tmp_path / "whole" / "history.csv"), pd.read_csv(tmp_path / "cut" / "history.csv")
    # the network trained after the resume got the seed the uninterrupted run gave it
    assert h_cut["train_seed"].tolist() == h_whole["train_seed"].tolist()
    assert h_cut[["arch", "value", "test_error"]].equals(h_whole[["arch", "value", "test_error"]])


def test_otmann_distance_by_hand_and_its_properties():
    from nasrepro.grammar.otmann import distance_matrices, layers_of, mismatch, otmann
    from nasrepro.grammar.surrogate_study import draw_cells

    chain = lambda op: (["input", op, "output"], {(0, 1), (1, 2)})  # noqa: E731
    x, y = layers_of(*chain("conv3x3")), layers_of(*chain("conv1x1"))
    assert x.masses.tolist() == [230.4, 2304.0, 230.4] and y.masses.tolist() == [25.6, 256.0, 25.6]
    assert mismatch("conv3x3", "conv1x1") == pytest.approx(0.2) and mismatch("conv3x3", "avg_pool") == math.inf
    # 256 of the conv mass pairs at 0.2, the inputs and outputs pair at 0 up to 25.6; the other
    # 2,457.6 units of x go to the dummy at 1 each: 51.2 + 2,457.6
    assert otmann(x, y) == pytest.approx(2508.8)
    assert otmann(y, x) == pytest.approx(2508.8) and otmann(x, x) == pytest.approx(0.0, abs=1e-9)
    nets = [layers_of(*graph(t)) for t in draw_cells(12, np.random.default_rng(0))]
    d, d_norm = distance_matrices(nets)
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0) and np.all(d[~np.eye(12, dtype=bool)] > 0)
    assert np.all(d_norm <= d)


def test_nasbot_gp_fits_on_precomputed_distances():
    import torch

    from nasrepro.grammar.otmann import distance_matrices, layers_of, nasbot_covariance
    from nasrepro.grammar.surrogate_study import draw_cells
    from nasrepro.query.surrogates import fit_gp_with_kernel, gp_posterior_mean

    cells = draw_cells(20, np.random.default_rng(1))
    d, dn = distance_matrices([layers_of(*graph(t)) for t in cells])
    kern = nasbot_covariance(d, dn)
    idx = torch.arange(20, dtype=torch.float64)[:, None]
    k = kern(idx, idx).to_dense().detach().numpy()
    assert np.allclose(k, k.T) and np.allclose(np.diag(k), k.max())  # a cell is closest to itself
    y = np.random.default_rng(2).standard_normal(20)
    gp = fit_gp_with_kernel(idx.numpy()[:15], y[:15], kern)
    assert gp_posterior_mean(gp, idx.numpy()[15:]).shape == (5,)
