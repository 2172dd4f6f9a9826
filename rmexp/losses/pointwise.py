"""Pointwise losses: regress the reward onto an absolute human score."""

import torch.nn.functional as F
from torch import Tensor


def mean_squared_error(rewards: Tensor, scores: Tensor) -> Tensor:
    """(score - reward)^2, averaged: the reward becomes the expected score, noise and annotator scale included."""
    return F.mse_loss(rewards, scores)


def mean_absolute_error(rewards: Tensor, scores: Tensor) -> Tensor:
    """|score - reward|, averaged: the reward becomes the median score, robust to a few wild ratings."""
    return F.l1_loss(rewards, scores)


def huber(rewards: Tensor, scores: Tensor, delta: float = 1.0) -> Tensor:
    """Squared error within `delta` of the score, absolute beyond it: MSE's efficiency, MAE's robustness."""
    return F.huber_loss(rewards, scores, delta=delta)
