"""Kernel density of thesis Eq. A II-2 (Table A II-4) as the density of Alg. 5.1."""

from __future__ import annotations

import numpy as np
import pytest

from nasrepro.samplers.density import DensitySampler, kde_density, median_pairwise_distance, unit_rows
from nasrepro.samplers.schedules import SamplerConfigError
from nasrepro.spaces import get_space


def test_kde_equals_a_hand_computation_on_three_points():
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    h = 0.5
    k = lambda d2: np.exp(-d2 / (2 * h * h))  # noqa: E731
    by_hand = np.array([(1 + k(1.0) + k(4.0)) / 3, (k(1.0) + 1 + k(5.0)) / 3, (k(4.0) + k(5.0) + 1) / 3])
    np.testing.assert_allclose(kde_density(pts, h), by_hand, rtol=1e-12)
    assert median_pairwise_distance(pts) == pytest.approx(2.0)  # distances 1, 2, sqrt(5)


def test_kde_equals_the_direct_sum_in_many_dimensions_without_underflow():
    pts = unit_rows(np.random.default_rng(0).normal(size=(40, 640)))  # like supernet outputs, unit rows
    h = 0.3
    d2 = ((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1)
    np.testing.assert_allclose(kde_density(pts, h), np.exp(-d2 / (2 * h * h)).mean(1), rtol=1e-8)
    assert kde_density(pts, h).min() >= 1.0 / 40  # the self term alone: nothing underflows to 0


def test_alg_5_1_with_kde_draws_dense_architectures_less():
    space = get_space("nb-macro")
    enc = space.encodings()[:200]
    sampler = DensitySampler(enc, space.choices_per_decision(), tau=1.0, representation="encoding",
                             density="kde", bandwidth=0.5)
    sampler.sample(np.random.default_rng(0))  # the density is formed at the first draw
    onehot = unit_rows(np.eye(max(space.choices_per_decision()))[enc].reshape(len(enc), -1))
    alpha = kde_density(onehot, 0.5 * median_pairwise_distance(onehot))
    z = -(alpha - alpha.mean()) / alpha.std()
    by_hand = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    np.testing.assert_allclose(sampler.probabilities(), by_hand, rtol=1e-10)
    assert sampler.probabilities()[alpha.argmax()] == sampler.probabilities().min()


def test_kde_is_for_alg_5_1_only_and_needs_a_positive_bandwidth():
    space = get_space("pooling")
    with pytest.raises(SamplerConfigError, match="does not combine with prototypes"):
        DensitySampler(space.encodings(), space.choices_per_decision(), density="kde", prototypes=5, population=20)
    with pytest.raises(SamplerConfigError, match="bandwidth must be > 0"):
        DensitySampler(space.encodings(), space.choices_per_decision(), density="kde", bandwidth=0.0)
    with pytest.raises(SamplerConfigError, match="density must be one of"):
        DensitySampler(space.encodings(), space.choices_per_decision(), density="parzen")
