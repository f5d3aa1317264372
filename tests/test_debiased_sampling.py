"""Density-aware sampling (thesis Alg. 5.1/5.2) and strict fairness (FairNAS), alone and in training."""

import numpy as np
import pytest
import torch

from nasrepro.errors import ConfigError
from nasrepro.samplers import make_sampler
from nasrepro.samplers.density import (
    DensitySampler,
    mean_cosine_distance,
    prototype_density,
)
from nasrepro import testing
from nasrepro.spaces import get_space
from nasrepro.training.supernet import Phase


def clustered_features(n_dense=30, n_sparse=6, dim=8, seed=0):
    """A tight cluster of near-duplicates plus a few scattered points: the cluster is the dense region."""
    rng = np.random.default_rng(seed)
    centre = rng.normal(size=dim)
    dense = centre + 0.01 * rng.normal(size=(n_dense, dim))
    sparse = rng.normal(size=(n_sparse, dim)) * 3
    return np.vstack([dense, sparse])


def test_mean_cosine_distance_matches_brute_force():
    f = clustered_features()
    u = f / np.linalg.norm(f, axis=1, keepdims=True)
    d = 1 - u @ u.T
    brute = (d.sum(1) - np.diag(d)) / (len(f) - 1)
    np.testing.assert_allclose(mean_cosine_distance(f), brute, atol=1e-12)


def test_alg51_draws_sparse_architectures_more_often_than_dense_ones():
    f = clustered_features()
    n = len(f)
    s = DensitySampler(np.arange(n)[:, None], [n], tau=1.0)
    s.featurize = lambda idx: f[np.asarray(idx)]
    rng = np.random.default_rng(0)
    draws = np.bincount([s.sample(rng) for _ in range(4000)], minlength=n)
    p = s.probabilities()
    assert p[30:].min() > p[:30].max()  # every sparse point beats every near-duplicate
    assert draws[30:].sum() / 4000 == pytest.approx(p[30:].sum(), abs=0.03)
    # a huge temperature is uniform sampling (Fig. 5.5)
    hot = DensitySampler(np.arange(n)[:, None], [n], tau=1e6)
    hot.featurize = s.featurize
    hot.sample(rng)
    np.testing.assert_allclose(hot.probabilities(), 1 / n, rtol=1e-4)


def two_regions(n_dense=200, n_sparse=40, dim=16, seed=0):
    """Two regions of equal spread around two directions, one with 5x the architectures: K-Means gives the
    dense one most prototypes, so its members are close to many of them (high alpha)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((2, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    noise = 0.2 * rng.standard_normal((n_dense + n_sparse, dim)) / np.sqrt(dim)
    return np.repeat(centres, [n_dense, n_sparse], axis=0) + noise


def test_alg52_prototypes_reject_dense_draws_and_resume_exactly():
    f = two_regions(n_dense=200, n_sparse=40)
    n = len(f)

    def make():
        s = DensitySampler(np.arange(n)[:, None], [n], tau=0.5, prototypes=5, population=120)
        s.featurize = lambda idx: f[np.asarray(idx)]
        return s

    s, rng = make(), np.random.default_rng(1)
    draws = [s.sample(rng) for _ in range(50)]
    assert s.centres.shape == (5, f.shape[1]) and s.tries >= s.accepted == 50
    # dense points have a higher prototype density alpha and so a lower acceptance probability
    alpha = prototype_density(f, s.centres)
    assert alpha[:200].mean() > alpha[200:].mean()
    assert s.accept_probability(alpha[:200].mean()) < s.accept_probability(alpha[200:].mean())
    draws = [s.sample(rng) for _ in range(600)]
    assert 40 / 240 < np.mean(np.asarray(draws) >= 200) < 0.6  # sparse share above uniform, dense still trained
    # state round trip: same prototypes, same future draws
    state = s.state_dict()
    t = make()
    t.load_state_dict(state)
    r1, r2 = np.random.default_rng(7), np.random.default_rng(7)
    assert [s.sample(r1) for _ in range(20)] == [t.sample(r2) for _ in range(20)]
    np.testing.assert_array_equal(s.centres, t.centres)


def test_prototype_update_weights_by_hand():
    """Eq. 5.9 with both readings of Eq. 5.8, for a = c0 exactly (d = 0, 1)."""
    for assignment, moved in (("printed", [[1.0, 0.0], [0.5, 0.5]]),  # as printed: only the far one moves
                              ("nearest", [[1.0, 0.0], [0.0, 1.0]])):  # a sits on c0: nothing to move
        s = DensitySampler(np.zeros((4, 1), dtype=int), [1], prototypes=2, population=4, proto_lr=0.5,
                           assignment=assignment)
        s.centres = np.array([[1.0, 0.0], [0.0, 1.0]])
        s._move_prototypes(np.array([1.0, 0.0]))
        np.testing.assert_allclose(s.centres, moved, atol=1e-12)
    # nearest: beta = softmax(-d^2 / (t mean d^2)); d^2 = (0.01, 0.09), t = 0.5 -> z = (0, -0.08/0.025)
    from nasrepro.samplers.density import assignment_weights
    beta = assignment_weights(np.array([0.01, 0.09]), "nearest", 0.5)
    np.testing.assert_allclose(beta, np.array([1.0, np.exp(-3.2)]) / (1.0 + np.exp(-3.2)))
    np.testing.assert_allclose(assignment_weights(np.array([0.01, 0.09]), "printed"), [0.1, 0.9])
    with pytest.raises(ValueError, match="assignment must be one of"):
        DensitySampler(np.zeros((4, 1), dtype=int), [1], prototypes=2, population=4, assignment="far")


def test_prototypes_stay_distinct_over_a_paper_length_run():
    """Issue 14 item 5: the property that matters. Over 8,000 updates (about a Table 5.3 NB201 run's draws)
    the default reading keeps the K-Means prototypes apart; the printed Eq. 5.8 collapses them."""
    from nasrepro.tools.prototype_diversity import clustered_features, simulate

    feats = clustered_features(n=3000, dim=32, clusters=12, seed=1)
    near = simulate(feats, prototypes=40, updates=8000, every=8000, population=1000, assignment="nearest")
    printed = simulate(feats, prototypes=40, updates=8000, every=8000, population=1000, assignment="printed")
    assert near[0]["diversity"] == printed[0]["diversity"] > 0.5  # the same K-Means start
    assert near[-1]["diversity"] > 0.9 * near[0]["diversity"]
    assert printed[-1]["diversity"] < 0.01 * printed[0]["diversity"]


def test_encoding_representation_needs_no_supernet():
    space = get_space("nb-macro")
    enc = space.encodings()
    s = make_sampler("density", enc, space.choices_per_decision(), representation="encoding", tau=1.0)
    s.sample(np.random.default_rng(0))
    assert s.probabilities().shape == (len(enc),) and np.isclose(s.probabilities().sum(), 1.0)


def test_fair_sampler_trains_every_choice_once_per_step():
    space = get_space("nb201")
    enc = space.encodings()
    s = make_sampler("fair", enc, space.choices_per_decision())
    rng = np.random.default_rng(0)
    for _ in range(20):
        paths = enc[s.sample_paths(rng)]
        assert paths.shape == (5, 6)
        assert all(sorted(paths[:, layer]) == [0, 1, 2, 3, 4] for layer in range(6))
    assert s.mode == "operations"
    pooling = get_space("pooling")
    with pytest.raises(ConfigError, match="every combination"):  # Pooling: 36 of 2**9 flag settings
        make_sampler("fair", pooling.encodings(), pooling.choices_per_decision(), mode="operations")


def test_fair_sampler_on_pooling_trains_every_architecture_once_per_window_and_resumes():
    """Issue 14 item 7 (assumption, the seeds are silent): on the constrained Pooling space every one of
    the 36 architectures is trained exactly once per 36-step window, one path per step."""
    pooling = get_space("pooling")
    enc, choices = pooling.encodings(), pooling.choices_per_decision()
    s = make_sampler("fair", enc, choices)
    assert s.mode == "architectures" and s.paths_per_step == 1
    rng = np.random.default_rng(3)
    draws = [s.sample_paths(rng) for _ in range(36 * 4)]
    assert all(len(p) == 1 for p in draws)
    flat = np.array([p[0] for p in draws]).reshape(4, 36)
    assert all(sorted(w) == list(range(36)) for w in flat)  # each window is a permutation
    assert len({tuple(w) for w in flat}) == 4  # and a fresh one each time
    # resume mid-window: the same future draws
    for _ in range(10):
        s.sample_paths(rng)
    t = make_sampler("fair", enc, choices)
    t.load_state_dict(s.state_dict())
    r1, r2 = np.random.default_rng(9), np.random.default_rng(9)
    assert [s.sample(r1) for _ in range(60)] == [t.sample(r2) for _ in range(60)]
    with pytest.raises(ConfigError, match="mode must be one of"):
        make_sampler("fair", enc, choices, mode="paths")


def tiny_trainer(sampler_name, seed=0, ckpt=None, **options):
    return testing.tiny_trainer("nb-macro", sampler_name, [Phase("uniform", 0.5), Phase("sample", 0.5)], seed=seed,
                                checkpoint=ckpt, epochs=2, train_images=32, val_images=32, data_seed=5, **options)


@pytest.mark.filterwarnings("ignore:Seems like .optimizer.step")
def test_fair_step_applies_the_sum_of_the_path_gradients():
    import copy

    t = tiny_trainer("fair")
    t.bounds = [(Phase("sample", 1.0), 0, t.total_steps)]
    rec = {}
    sample_paths, iterate, step = t.sampler.sample_paths, t.train.iterate, t.opt.step

    def spy_paths(rng):
        rec.setdefault("state", copy.deepcopy(t.model.state_dict()))
        paths = sample_paths(rng)
        rec.setdefault("paths", paths)
        return paths

    def spy_iterate(epoch):
        for batch in iterate(epoch):
            rec.setdefault("batch", batch)
            yield batch

    def spy_step(*a, **k):
        rec.setdefault("grads", [None if p.grad is None else p.grad.clone() for p in t.model.parameters()])
        return step(*a, **k)

    t.sampler.sample_paths, t.train.iterate, t.opt.step = spy_paths, spy_iterate, spy_step
    t.run(stop_after_epoch=1)
    model = get_space("nb-macro").build_supernet(width=0.125)
    model.load_state_dict(rec["state"])
    model.train()
    images, labels = rec["batch"]
    for i in rec["paths"]:
        torch.nn.functional.cross_entropy(model(images, t.archs[i]), labels).backward()
    assert len(rec["paths"]) == 3
    for mine, theirs in zip(rec["grads"], model.parameters()):
        if theirs.grad is None:
            assert mine is None
        else:
            torch.testing.assert_close(mine, theirs.grad)


@pytest.mark.parametrize("name,options", [("fair", {}), ("density", {"prototypes": 4, "population": 40, "tau": 1.0}),
                                          ("iterative-mcts", {"iterations": 2, "rank_population": "visited"})])
def test_debiased_training_runs_and_resumes_bit_identically(tmp_path, name, options):
    full = tiny_trainer(name, **options)
    ref = full.run()
    first = tiny_trainer(name, ckpt=tmp_path / "ck.pt", **options)
    first.run(stop_after_epoch=1)
    second = tiny_trainer(name, ckpt=tmp_path / "ck.pt", **options)
    assert second.resume_if_possible()
    res = second.run()
    assert np.array_equal(ref.visits, res.visits)
    for a, b in zip(full.model.parameters(), second.model.parameters()):
        assert torch.equal(a, b)
    per_step = 3 if name == "fair" else 1  # fair: 3 paths per NAS-Bench-Macro step in the sample phase
    assert ref.visits.sum() == 2 + 2 * per_step
    if name == "density":
        assert full.sampler.centres is not None and full.sampler.accepted == 2
    if name == "iterative-mcts":
        assert full.sampler.round == 1 and full.sampler.tree.same_structure(second.sampler.tree)


def test_iterative_mcts_rebuilds_its_tree_from_each_ranking():
    from nasrepro.samplers.iterative_mcts import IterativeMCTSSampler

    space = get_space("pooling")
    enc = space.encodings()
    s = IterativeMCTSSampler(enc, space.choices_per_decision(), iterations=3, rank_batches=2)
    calls = []
    scores = [np.arange(36.0), -np.arange(36.0), np.arange(36.0) % 7]

    def score(indices, batches):
        calls.append((len(indices), batches))
        return scores[len(calls) - 1][np.asarray(indices)]

    s.score = score
    rng = np.random.default_rng(0)
    s.set_progress(0.0)
    assert calls == [(36, 2)] and s.round == 0
    # balanced binary tree over the ranking: the two best architectures are siblings at the bottom
    assert s.tree.is_binary and s.tree.max_depth == 6
    assert s.tree.parent[s.tree.node_of_leaf[35]] == s.tree.parent[s.tree.node_of_leaf[34]]
    for _ in range(50):
        s.update(s.sample(rng), 1.0)
    s.set_progress(0.2)
    assert len(calls) == 1  # same iteration: no re-ranking
    s.set_progress(0.4)
    assert len(calls) == 2 and s.round == 1 and s.visits.sum() == 0  # statistics restart (Alg. 4.1 line 5)
    assert s.tree.parent[s.tree.node_of_leaf[0]] == s.tree.parent[s.tree.node_of_leaf[1]]
    state = s.state_dict()
    t = IterativeMCTSSampler(enc, space.choices_per_decision(), iterations=3, rank_batches=2)
    t.load_state_dict(state)
    assert t.round == 1 and t.tree.same_structure(s.tree)
    s.set_progress(1.0)
    assert len(calls) == 3 and s.round == 2


def test_iterative_mcts_moving_average_ranking_uses_leaf_rewards():
    from nasrepro.samplers.iterative_mcts import IterativeMCTSSampler

    space = get_space("pooling")
    s = IterativeMCTSSampler(space.encodings(), space.choices_per_decision(), iterations=2, ranking="ema")
    s.score = lambda idx, b: np.zeros(len(idx))
    s.set_progress(0.0)
    for i in range(36):
        s.update(i, i / 100)
    assert np.allclose(s.ranking_scores(), np.arange(36) / 100)


def test_density_trace_of_a_search_and_its_figure(tmp_path):
    import pandas as pd

    from nasrepro.config import load, resolve
    from nasrepro.jobs import run_search
    from nasrepro import catalogue

    cfg = resolve(load("config/config.yaml", {"preset": "demo"}))
    section = cfg["pooling-ch5"]
    assert section["search"]["density_trace"]  # the Ch. 5 setting records it (thesis Fig. 5.4)
    section["search"].update(epochs=2)
    section["train_images"] = 200
    out = tmp_path / "search" / "uniform" / "s0"
    run_search(cfg, "pooling-ch5", "uniform", 0, out, log=lambda m: None)
    trace = pd.read_csv(out / "density_trace.csv", dtype={"arch": str})
    assert list(trace.groupby("epoch").size()) == [36, 36]
    assert np.isfinite(trace["mean_distance"]).all() and (trace["mean_distance"] >= 0).all()
    assert trace.groupby("epoch")["mean_distance"].std().gt(0).all()  # trained outputs tell architectures apart
    assert "mean_distance" not in pd.read_csv(out / "history.csv").columns
    catalogue.get("thesis_fig5_4").builder(cfg, [out / "density_trace.csv"], tmp_path / "f.pdf", tmp_path / "f.png")
    assert (tmp_path / "f.pdf").stat().st_size > 0 and (tmp_path / "f.png").stat().st_size > 0


def test_visit_logs_sum_to_the_steps_and_resume_with_the_checkpoint(tmp_path):
    from nasrepro.evaluation.density_trace import EPOCH_VISITS, split_history

    full = tiny_trainer("iterative-mcts", iterations=2, rank_population="visited")
    ref = full.run()
    per_epoch = [sum(h[EPOCH_VISITS].values()) for h in ref.history]
    assert per_epoch == [full.steps_per_epoch] * len(ref.history)  # one path per step, every epoch
    _, visits, rest = split_history(ref.history, str)
    assert visits["visits"].sum() == ref.visits.sum() == full.total_steps
    assert visits.groupby("arch")["visits"].sum().to_dict() == {str(i): int(v) for i, v in enumerate(ref.visits) if v}
    assert EPOCH_VISITS not in rest.columns
    first = tiny_trainer("iterative-mcts", ckpt=tmp_path / "ck.pt", iterations=2, rank_population="visited")
    first.run(stop_after_epoch=1)
    second = tiny_trainer("iterative-mcts", ckpt=tmp_path / "ck.pt", iterations=2, rank_population="visited")
    assert second.resume_if_possible()
    assert [h[EPOCH_VISITS] for h in second.run().history] == [h[EPOCH_VISITS] for h in ref.history]


def test_top5_share_per_span_by_hand():
    import pandas as pd

    from nasrepro.reporting.figure_builders import top_k_share_by_segment

    evals = pd.DataFrame({"arch": list("abcdefg"), "gt_acc": [90, 95, 91, 96, 80, 97, 94]})  # top-5: f d b g c
    visits = pd.DataFrame({"epoch": [1, 1, 2, 3, 3, 4], "arch": list("aeebfa"), "visits": [3, 1, 4, 2, 2, 5]})
    # spans of 2 epochs: epochs 1-2 train a, e, e (0 of 8 on the top-5), epochs 3-4 train b, f, a (4 of 9)
    np.testing.assert_allclose(top_k_share_by_segment(visits, evals, 2), [0.0, 4 / 9])
    with pytest.raises(ConfigError, match="at least 5 epochs"):
        top_k_share_by_segment(visits, evals, 5)


def test_iterative_mcts_trains_a_little_longer_per_iteration():
    from nasrepro.methods import search_protocol
    from nasrepro.samplers.iterative_mcts import IterativeMCTSSampler

    enc, choices = get_space("pooling").encodings(get_space("pooling").enumerate()), get_space("pooling").choices_per_decision()
    for m, epochs in ((1, 500), (2, 550), (3, 600), (4, 650)):  # 500 x (1 + 0.1 (M - 1))
        s = IterativeMCTSSampler(enc, choices, iterations=m, extra_epochs_per_iteration=0.1)
        assert search_protocol({"epochs": 500}, s)["epochs"] == epochs
    assert search_protocol({"epochs": 500}, IterativeMCTSSampler(enc, choices, iterations=4))["epochs"] == 500
    nbm = get_space("nb-macro")
    fair = make_sampler("fair", nbm.encodings(nbm.enumerate()), nbm.choices_per_decision())
    assert search_protocol({"epochs": 50}, fair)["epochs"] == 17  # equal cost: 50 / 3 paths per step
    with pytest.raises(ConfigError, match="extra_epochs_per_iteration"):
        IterativeMCTSSampler(enc, choices, extra_epochs_per_iteration=-0.1)
