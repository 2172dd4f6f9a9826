"""Spread and paired differences against hand-computed t intervals and p-values."""

import math

import pytest

from rmexp.compare.statistics import holm_adjusted, paired_difference, spread


def test_spread_of_three_seeds():
    # mean 0.82, s = 0.02; t_{0.975, 2} = 4.302653, so the half-width is 4.302653 * 0.02 / sqrt(3) = 0.049683
    summary = spread([0.80, 0.82, 0.84])
    assert summary.n == 3
    assert summary.mean == pytest.approx(0.82)
    assert summary.std == pytest.approx(0.02)
    assert (summary.ci_low, summary.ci_high) == pytest.approx((0.770317, 0.869683), abs=1e-6)


def test_a_lower_confidence_gives_a_narrower_interval():
    # t_{0.95, 2} = 2.919986: half-width 2.919986 * 0.02 / sqrt(3) = 0.033717
    summary = spread([0.80, 0.82, 0.84], confidence=0.90)
    assert summary.ci_high - summary.mean == pytest.approx(0.033717, abs=1e-6)


def test_one_seed_has_a_mean_but_no_spread_and_none_has_nothing():
    one = spread([0.7])
    assert one.mean == 0.7 and math.isnan(one.std) and math.isnan(one.ci_low)
    assert spread([]).n == 0 and math.isnan(spread([]).mean)


def test_paired_difference_pairs_by_seed_and_ignores_unpaired_seeds():
    # d = 0.03, 0.04, 0.02: mean 0.03, s = 0.01, t = 0.03 / (0.01 / sqrt 3) = 5.196 on 2 df -> p = 0.035098
    variant = {0: 0.83, 1: 0.86, 2: 0.86, 7: 0.99}
    baseline = {0: 0.80, 1: 0.82, 2: 0.84, 3: 0.10}
    difference = paired_difference(variant, baseline)
    assert difference.n == 3
    assert difference.mean == pytest.approx(0.03)
    assert (difference.ci_low, difference.ci_high) == pytest.approx((0.005159, 0.054841), abs=1e-6)
    assert difference.p_value == pytest.approx(0.035098, abs=1e-6)


def test_paired_difference_without_spread_has_no_p_value():
    difference = paired_difference({0: 1.0}, {0: 0.5})
    assert difference.mean == 0.5 and math.isnan(difference.p_value)
    assert math.isnan(paired_difference({0: 1.0, 1: 2.0}, {0: 0.5, 1: 1.5}).p_value)


def test_effect_size_is_the_mean_difference_over_the_sd_of_differences():
    # d = 0.03, 0.04, 0.02: d_z = 0.03 / 0.01 = 3; d = -0.10, -0.08: -0.09 / 0.0141421 = -6.363961
    assert paired_difference({0: 0.83, 1: 0.86, 2: 0.86}, {0: 0.80, 1: 0.82, 2: 0.84}).effect_size == pytest.approx(3.0)
    assert paired_difference({0: 0.70, 1: 0.74}, {0: 0.80, 1: 0.82}).effect_size == pytest.approx(-6.363961, abs=1e-6)
    assert math.isnan(paired_difference({0: 1.0, 1: 2.0}, {0: 0.5, 1: 1.5}).effect_size)  # no spread


def test_holm_multiplies_the_ith_smallest_by_m_minus_i_and_keeps_the_order():
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 -> 0.02, 0.03, 0.06, 0.04, which may not fall: 0.06
    assert holm_adjusted([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_leaves_untested_comparisons_out():
    # 0.5 * 2 = 1.0, then 0.7 * 1 = 0.7 may not fall below 1.0
    assert holm_adjusted([0.5, 0.7]) == pytest.approx([1.0, 1.0])
    adjusted = holm_adjusted([0.02, math.nan, 0.6])  # two tests: 0.02 * 2, 0.6 * 1
    assert adjusted[0] == pytest.approx(0.04) and math.isnan(adjusted[1]) and adjusted[2] == pytest.approx(0.6)
