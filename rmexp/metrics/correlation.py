"""Correlation coefficients on tensors; differentiable, so regularizers can use them too."""

import torch
from torch import Tensor


def pearson(x: Tensor, y: Tensor) -> Tensor:
    """Pearson's r; 0 where either side is constant (an untrained RM), rather than NaN.

    The product of the sums of squares is clamped before the square root, so the gradient stays
    finite (zero) for a constant input instead of 0 * inf = NaN.
    """
    x, y = x.double() - x.double().mean(), y.double() - y.double().mean()
    denominator = torch.sqrt(((x * x).sum() * (y * y).sum()).clamp(min=1e-24))
    return ((x * y).sum() / denominator).float()


def ranks_of(values: Tensor) -> Tensor:
    """Average ranks (1-based, ties share the mean rank), as Spearman's rho needs."""
    order = values.argsort()
    sorted_values = values[order]
    first = torch.searchsorted(sorted_values, sorted_values, right=False)
    last = torch.searchsorted(sorted_values, sorted_values, right=True)
    ranks = torch.empty_like(values, dtype=torch.float64)
    ranks[order] = (first + last + 1).double() / 2
    return ranks


def spearman(x: Tensor, y: Tensor) -> Tensor:
    """Spearman's rho: Pearson's r of the ranks."""
    return pearson(ranks_of(x.detach().double()), ranks_of(y.detach().double()))
