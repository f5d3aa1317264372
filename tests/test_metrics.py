import numpy as np
import pytest
from scipy.stats import kendalltau, pearsonr, spearmanr

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
