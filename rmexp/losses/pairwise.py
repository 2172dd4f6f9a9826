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
