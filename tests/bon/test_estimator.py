"""The best-of-n estimator against brute force over every n-subset, and the analytic KL."""

from itertools import combinations

import numpy as np
import pytest

from rmexp.bon.estimator import best_of_n_kl, best_of_n_weights, expected_best_of_n


def brute_force_best_of_n(proxy: list[float], values: list[float], n: int) -> float:
    """Every n-subset equally likely; a tie at the top is broken at random, so tied maxima share evenly."""
    picks = []
    for subset in combinations(range(len(proxy)), n):
        top = max(proxy[i] for i in subset)
        picks.append(np.mean([values[i] for i in subset if proxy[i] == top]))
    return float(np.mean(picks))


def test_weights_match_the_hand_computed_binomials():
    # N = 4, n = 2: C(i-1, 1) / C(4, 2) = 0/6, 1/6, 2/6, 3/6 for the 1st..4th lowest
    assert best_of_n_weights(4, 2) == pytest.approx([0, 1 / 6, 2 / 6, 3 / 6])
    assert best_of_n_weights(5, 1) == pytest.approx([0.2] * 5)  # n = 1: a uniform draw
    assert best_of_n_weights(5, 5) == pytest.approx([0, 0, 0, 0, 1])  # n = N: always the top one
    assert best_of_n_weights(256, 128).sum() == pytest.approx(1.0)  # C(255, 127) ~ 1e75, no overflow


def test_the_estimator_equals_enumerating_every_subset_ties_included():
    rng = np.random.default_rng(0)
    proxy = [0.3, -1.0, 2.0, 0.3, 0.7, 2.0, -0.2]  # two ties, one of them at the top
    values = rng.normal(size=7).tolist()
    for n in range(1, 8):
        expected = brute_force_best_of_n(proxy, values, n)
        assert expected_best_of_n(np.array([proxy]), np.array([values]), n)[0] == pytest.approx(expected), n


def test_prompts_are_estimated_independently():
    rng = np.random.default_rng(1)
    proxy, values = rng.integers(0, 3, size=(3, 6)).astype(float), rng.normal(size=(3, 6))  # many ties
    together = expected_best_of_n(proxy, values, 3)
    apart = [brute_force_best_of_n(proxy[row].tolist(), values[row].tolist(), 3) for row in range(3)]
    assert together == pytest.approx(apart)


def test_n_larger_than_the_candidates_is_refused():
    with pytest.raises(ValueError, match="n=9 with N=8"):
        best_of_n_weights(8, 9)


def test_kl_is_log_n_minus_n_minus_one_over_n():
    assert best_of_n_kl(1) == 0.0
    assert best_of_n_kl(2) == pytest.approx(0.693147 - 0.5, abs=1e-6)
    assert best_of_n_kl(256) == pytest.approx(5.545177 - 255 / 256, abs=1e-6)  # 4.5490
