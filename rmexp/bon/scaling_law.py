"""Gao et al.'s functional form for best-of-n over-optimisation: gold(d) = d (alpha - beta d), d = sqrt(KL).

Gao, Schulman and Hilton (2023, "Scaling Laws for Reward Model Overoptimization", eq. 1) found that
the gold reward of best-of-n against a proxy RM follows this form, gold measured from the initial
policy's (n = 1) and KL = log n - (n - 1) / n. alpha is how fast gold first rises, beta how fast the
proxy's errors take over: gold peaks at d* = alpha / (2 beta), at alpha^2 / (4 beta) above where it
started, and falls after. Fitting it per run turns a curve into three numbers that can be compared
across proxy sizes and data, as their Figure 3 does.

The form is linear in (alpha, beta), so the fit is plain least squares with no starting point to
choose and one answer.
"""

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GaoFit:
    """alpha, beta and the fit's R^2 on the points; `start` is gold at d = 0 (n = 1), the origin of the form."""

    alpha: float
    beta: float
    r2: float
    start: float

    @property
    def peak_d(self) -> float:
        """d* = alpha / (2 beta); infinite when beta <= 0 (no peak: gold keeps rising)."""
        return self.alpha / (2 * self.beta) if self.beta > 0 else math.inf

    @property
    def peak_gold(self) -> float:
        """The fitted gold at d*: start + alpha^2 / (4 beta); infinite with no peak."""
        return self.start + self.alpha**2 / (4 * self.beta) if self.beta > 0 else math.inf

    def predict(self, kl: np.ndarray) -> np.ndarray:
        d = np.sqrt(kl)
        return self.start + d * (self.alpha - self.beta * d)

    def metrics(self) -> dict[str, float]:
        """Flat, as summary.json's metrics; d* and its gold infinite when no peak (rmexp-compare leaves those out)."""
        return {
            "bon/gao_alpha": self.alpha,
            "bon/gao_beta": self.beta,
            "bon/gao_r2": self.r2,
            "bon/gao_peak_d": self.peak_d,
            "bon/gao_peak_kl": self.peak_d**2,
            "bon/gao_peak_gold": self.peak_gold,
        }


def fit_gao(kl: np.ndarray, gold: np.ndarray) -> GaoFit:
    """Least squares of gold - gold(KL = 0) on [d, -d^2] over the points; the first point must be KL = 0.

    R^2 is of gold itself (1 - residual / total sum of squares about its mean), so a flat curve that
    the form fits trivially does not score 1 by accident.
    """
    kl, gold = np.asarray(kl, dtype=float), np.asarray(gold, dtype=float)
    if kl.shape != gold.shape or len(kl) < 3 or kl[0] != 0:
        raise ValueError("the Gao fit needs at least 3 points, the first at KL = 0 (n = 1), one gold per KL")
    d = np.sqrt(kl)
    gain = gold - gold[0]
    (alpha, beta), *_ = np.linalg.lstsq(np.stack([d, -(d**2)], axis=1), gain, rcond=None)
    residual = gain - d * (alpha - beta * d)
    total = float(((gold - gold.mean()) ** 2).sum())
    r2 = 1 - float((residual**2).sum()) / total if total > 0 else math.nan
    return GaoFit(alpha=float(alpha), beta=float(beta), r2=r2, start=float(gold[0]))
