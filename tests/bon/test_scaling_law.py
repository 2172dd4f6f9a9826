"""Gao et al.'s form: the fit recovers alpha and beta from its own curve, and hand values for the peak."""

import math

import numpy as np
import pytest

from rmexp.bon.curve import gao_fit, headline
from rmexp.bon.estimator import best_of_n_kl
from rmexp.bon.scaling_law import GaoFit, fit_gao

N_GRID = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048])


def gold_of_the_form(alpha: float, beta: float, start: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    kl = best_of_n_kl(N_GRID)
    d = np.sqrt(kl)
    return kl, start + d * (alpha - beta * d)


def test_the_fit_recovers_alpha_and_beta_from_points_of_the_form():
    kl, gold = gold_of_the_form(alpha=0.8, beta=0.25, start=-0.3)
    fit = fit_gao(kl, gold)
    assert (fit.alpha, fit.beta, fit.start) == pytest.approx((0.8, 0.25, -0.3))
    assert fit.r2 == pytest.approx(1.0)


def test_the_fit_recovers_a_curve_that_never_peaks_and_says_so():
    kl, gold = gold_of_the_form(alpha=0.5, beta=-0.1)
    fit = fit_gao(kl, gold)
    assert (fit.alpha, fit.beta) == pytest.approx((0.5, -0.1))
    assert fit.peak_d == math.inf and fit.peak_gold == math.inf


def test_the_peak_is_at_alpha_over_two_beta_with_hand_values():
    fit = GaoFit(alpha=0.8, beta=0.25, r2=1.0, start=-0.3)
    # d* = 0.8 / 0.5 = 1.6 (KL 2.56); gold there = -0.3 + 0.64 / 1.0 = 0.34
    assert fit.peak_d == pytest.approx(1.6) and fit.peak_gold == pytest.approx(0.34)
    assert fit.metrics()["bon/gao_peak_kl"] == pytest.approx(2.56)
    assert fit.predict(np.array([0.0, 2.56, 10.24])) == pytest.approx([-0.3, 0.34, -0.3])  # d = 0, 1.6, 3.2


def test_r2_is_of_gold_itself_with_hand_values():
    # gains (0, 1, 1, 1) at d = 0, 1, 2, 3 (KL = d^2): normal equations [[14, -36], [-36, 98]] (alpha, beta)
    # = (6, -14) -> alpha = 84/76 = 1.10526, beta = 20/76 = 0.26316; fitted 0, 0.84211, 1.15789, 0.94737;
    # residual SS 1/19 = 0.052632; gold's SS about its mean 0.75 -> R^2 = 1 - 0.052632 / 0.75 = 0.92982
    fit = fit_gao(np.array([0.0, 1.0, 4.0, 9.0]), np.array([2.0, 3.0, 3.0, 3.0]))
    assert (fit.alpha, fit.beta, fit.start) == pytest.approx((1.10526, 0.26316, 2.0), abs=1e-5)
    assert fit.r2 == pytest.approx(0.92982, abs=1e-5)


def test_the_fit_refuses_a_grid_without_n_equal_one():
    with pytest.raises(ValueError, match="KL = 0"):
        fit_gao(best_of_n_kl(np.array([2, 4, 8])), np.array([0.1, 0.2, 0.3]))


def rows_of(kl: np.ndarray, gold: np.ndarray, n_values: np.ndarray) -> list[dict]:
    return [{"n": int(n), "kl": k, "gold": g, "proxy": g, "proxy_gold_scale": g, "length": 10.0}
            for n, k, g in zip(n_values, kl, gold, strict=True)]  # fmt: skip


def test_the_headline_carries_the_fit_when_the_grid_starts_at_one():
    kl, gold = gold_of_the_form(alpha=0.8, beta=0.25)
    metrics = headline(rows_of(kl, gold, N_GRID))
    assert metrics["bon/gao_alpha"] == pytest.approx(0.8) and metrics["bon/gao_beta"] == pytest.approx(0.25)
    assert metrics["bon/gao_peak_d"] == pytest.approx(1.6) and metrics["bon/gao_r2"] == pytest.approx(1.0)
    assert "bon/gao_alpha" not in headline(rows_of(kl[1:], gold[1:], N_GRID[1:]))  # no n = 1: no anchor
    assert gao_fit(rows_of(kl[:2], gold[:2], N_GRID[:2])) is None  # two points: nothing to fit
