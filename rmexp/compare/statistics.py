"""Across-seed statistics of one metric: the spread of a variant, and its paired difference to a baseline.

Seeds are few (3 to 5), so intervals use Student's t, not the normal approximation: with 5 seeds the
95% half-width is 2.78 standard errors, not 1.96. Runs of two variants with the same seed share
their data draw and initialisation, so the comparison against a baseline pairs them by seed
(a paired t-test), which removes the seed-to-seed variation both share.
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
    """variant - baseline over the seeds both have: its mean, t interval and two-sided paired t-test p-value."""

    n: int
    mean: float
    ci_low: float
    ci_high: float
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
    # no test without spread: one pair, or every seed moved by exactly the same amount
    p_value = float(stats.ttest_1samp(differences, 0.0).pvalue) if summary.n > 1 and summary.std > 0 else math.nan
    return PairedDifference(summary.n, summary.mean, summary.ci_low, summary.ci_high, p_value)
