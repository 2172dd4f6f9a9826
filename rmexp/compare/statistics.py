"""Across-seed statistics of one metric: the spread of a variant, and its paired difference to a baseline.

Seeds are few (3 to 5), so intervals use Student's t, not the normal approximation: with 5 seeds the
95% half-width is 2.78 standard errors, not 1.96. Runs of two variants with the same seed share
their data draw and initialisation, so the comparison against a baseline pairs them by seed
(a paired t-test), which removes the seed-to-seed variation both share.

One call tests every variant on every metric, so some p-values fall under 0.05 by chance alone;
Holm's step-down adjustment keeps the chance of any false positive among them at 0.05 without
assuming the tests independent (Holm 1979, "A simple sequentially rejective multiple test procedure").
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Spread:
    """Mean, sample standard deviation and t confidence interval of n values (NaN where n is too small)."""

    n: int
    mean: float
    std: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class PairedDifference:
    """variant - baseline over the seeds both have: its mean, t interval, effect size and paired t-test p-value.

    `effect_size` is Cohen's d_z, the mean difference over the standard deviation of the differences:
    how many seed-to-seed wobbles the change moves the metric, comparable across metrics of other scales.
    """

    n: int
    mean: float
    ci_low: float
    ci_high: float
    effect_size: float
    p_value: float


def t_half_width(std: float, n: int, confidence: float) -> float:
    """t_{(1+c)/2, n-1} * s / sqrt(n): the half-width of the confidence interval of a mean."""
    if n < 2:
        return math.nan
    return float(stats.t.ppf((1 + confidence) / 2, n - 1) * std / math.sqrt(n))


def spread(values: list[float], confidence: float = 0.95) -> Spread:
    """Non-finite values (a diverged run's NaN) are the caller's to exclude: they would poison the mean."""
    array = np.asarray(values, dtype=float)
    n = len(array)
    if n == 0:
        return Spread(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(array.mean())
    std = float(array.std(ddof=1)) if n > 1 else math.nan
    half = t_half_width(std, n, confidence)
    return Spread(n, mean, std, mean - half, mean + half)


def paired_difference(
    variant: dict[int, float], baseline: dict[int, float], confidence: float = 0.95
) -> PairedDifference:
    """Pairs the two by seed; a seed only one of them has is left out (the table lists missing runs)."""
    seeds = sorted(set(variant) & set(baseline))
    differences = [variant[seed] - baseline[seed] for seed in seeds]
    summary = spread(differences, confidence)
    # no test and no effect size without spread: one pair, or every seed moved by exactly the same amount
    if summary.n > 1 and summary.std > 0:
        effect_size, p_value = summary.mean / summary.std, float(stats.ttest_1samp(differences, 0.0).pvalue)
    else:
        effect_size, p_value = math.nan, math.nan
    return PairedDifference(summary.n, summary.mean, summary.ci_low, summary.ci_high, effect_size, p_value)


def holm_adjusted(p_values: list[float]) -> list[float]:
    """Holm's adjusted p-values, in the order given: the i-th smallest of m becomes max_{j<=i} min(1, (m-j+1) p_(j)).

    A NaN (a comparison without a test) stays NaN and is not one of the m tests.
    """
    tested = sorted((p, index) for index, p in enumerate(p_values) if not math.isnan(p))
    adjusted = [math.nan] * len(p_values)
    running_max = 0.0
    for rank, (p_value, index) in enumerate(tested):
        running_max = max(running_max, min(1.0, (len(tested) - rank) * p_value))
        adjusted[index] = running_max
    return adjusted
