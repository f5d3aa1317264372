import numpy as np
import pytest
from scipy.stats import kendalltau, pearsonr, rankdata, spearmanr

from nasrepro.evaluation.metrics import (kendall_tau, kendall_tau_top_k, pearson, precision_at_k, ranking_summary,
                                         spearman)


def test_kendall_and_spearman_match_scipy_with_ties():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, 50).astype(float)
    b = a + rng.normal(0, 1, 50)
    assert kendall_tau(a, b) == pytest.approx(kendalltau(a, b).statistic)
    assert spearman(a, b) == pytest.approx(spearmanr(a, b).statistic)
    assert pearson(a, b) == pytest.approx(pearsonr(a, b).statistic) and np.isnan(pearson(a, np.ones(50)))
    assert kendall_tau(a, a) == pytest.approx(1.0)
    assert kendall_tau(b, -b) == pytest.approx(-1.0)


def test_precision_and_top_k_tau():
    truth = np.arange(10, dtype=float)
    est = truth.copy()
    est[[9, 0]] = est[[0, 9]]  # swap the best and the worst
    assert precision_at_k(est, truth, 3) == pytest.approx(2 / 3)
    assert kendall_tau_top_k(truth, truth, 4) == pytest.approx(1.0)
    s = ranking_summary(est, truth, ks=(3,))
    assert set(s) == {"kendall_tau", "spearman", "pearson", "precision_at_3", "kendall_tau_top3", "top1_gt_acc", "top3_gt_acc"}


def test_min_rank_matches_scipy():
    from scipy.stats import rankdata

    from nasrepro.benchmarks.base import min_rank

    v = np.random.default_rng(1).integers(0, 6, 200).astype(float)
    assert np.array_equal(min_rank(v), rankdata(-v, method="min").astype(int))


def test_top_k_truth_averages_the_truth_of_the_supernet_top_k():
    from nasrepro.evaluation.metrics import ranking_summary, top_k_truth

    estimate = np.array([0.1, 0.9, 0.5, 0.9, 0.3])
    truth = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    assert top_k_truth(estimate, truth, 1) == 20.0  # tie at 0.9 goes to the earlier architecture
    assert top_k_truth(estimate, truth, 3) == (20.0 + 40.0 + 30.0) / 3
    summary = ranking_summary(estimate, truth, ks=(2,))
    assert summary["top1_gt_acc"] == 20.0 and summary["top2_gt_acc"] == 30.0


def test_kendall_tau_b_equals_the_pair_count_definition_and_scipy_under_heavy_ties():
    """Our O(n log^2 n) tau-b (no scipy.stats import in jobs) against brute force over all pairs and scipy."""
    from nasrepro.evaluation.metrics import _inversions, average_ranks

    rng = np.random.default_rng(4)
    for n, levels in ((2, 2), (7, 2), (30, 3), (61, 10), (200, 4)):
        x = rng.integers(0, levels, n).astype(float)
        y = rng.integers(0, levels, n).astype(float)
        i, j = np.triu_indices(n, 1)
        sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
        num, den = (sx * sy).sum(), np.sqrt((sx != 0).sum() * (sy != 0).sum())
        want = num / den if den > 0 else float("nan")
        got = kendall_tau(x, y)
        assert (np.isnan(want) and np.isnan(got)) or got == pytest.approx(want, abs=1e-12), (n, levels)
        r = rng.integers(0, levels, n)
        assert _inversions(r) == int((r[i] > r[j]).sum())
        np.testing.assert_allclose(average_ranks(x), rankdata(x))
    x = rng.random(3000).round(2)
    y = x + rng.normal(0, 0.3, 3000).round(1)
    assert kendall_tau(x, y) == pytest.approx(kendalltau(x, y).statistic, abs=1e-12)
    assert spearman(x, y) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)
    assert np.isnan(kendall_tau(np.ones(5), np.arange(5.0))) and np.isnan(spearman(np.arange(5.0), np.ones(5)))
