"""Pairwise ranking losses: pure functions of the chosen and rejected rewards."""

import torch.nn.functional as F
from torch import Tensor


def bradley_terry(chosen: Tensor, rejected: Tensor, margin: Tensor | None = None) -> Tensor:
    """-log sigmoid(r_c - r_r - m), averaged: the Bradley-Terry ranking loss (InstructGPT, eq. 1).

    `margin` asks the chosen reward to win by at least m (Llama 2 uses the rating gap).
    logsigmoid, not log(sigmoid), so large margins do not underflow.
    """
    difference = chosen - rejected
    if margin is not None:
        difference = difference - margin
    return -F.logsigmoid(difference).mean()


def hinge(chosen: Tensor, rejected: Tensor, margin: Tensor | float = 1.0) -> Tensor:
    """max(0, m - (r_c - r_r)), averaged: zero loss once the chosen reward wins by m, as in ranking SVMs."""
    return F.relu(margin - (chosen - rejected)).mean()


def bradley_terry_smoothed(chosen: Tensor, rejected: Tensor, smoothing: float = 0.1) -> Tensor:
    """-(1 - e) log sigmoid(d) - e log sigmoid(-d): conservative BT that trusts each label with 1 - e.

    Treats every label as flipped with probability e, which bounds the optimal margin at
    log((1 - e) / e) instead of letting it grow without end on noisy labels.
    """
    difference = chosen - rejected
    return -((1 - smoothing) * F.logsigmoid(difference) + smoothing * F.logsigmoid(-difference)).mean()


def bradley_terry_soft(chosen: Tensor, rejected: Tensor, probability: Tensor) -> Tensor:
    """-p log sigmoid(d) - (1 - p) log sigmoid(-d): BT against a preference probability p, not a hard label."""
    difference = chosen - rejected
    return -(probability * F.logsigmoid(difference) + (1 - probability) * F.logsigmoid(-difference)).mean()
