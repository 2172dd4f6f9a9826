"""Correlation coefficients on tensors."""

import torch
from torch import Tensor


def pearson(x: Tensor, y: Tensor) -> Tensor:
    """Pearson's r; 0 where either side is constant (an untrained RM), rather than NaN."""
    x, y = x.double() - x.double().mean(), y.double() - y.double().mean()
    denominator = torch.sqrt((x * x).sum() * (y * y).sum())
    return torch.where(denominator > 0, (x * y).sum() / denominator, 0.0).float()
