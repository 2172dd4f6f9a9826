"""Listwise losses over K responses to one prompt: `rewards` and `ranks` are [B, K], rank 0 is best.

Equal ranks are ties. Both losses reduce to Bradley-Terry when K = 2.
"""

import torch
import torch.nn.functional as F
from torch import Tensor


def ranked_pairs(ranks: Tensor) -> Tensor:
    """[B, K, K] mask of (i, j) with i ranked strictly above j: the C(K, 2) comparisons, ties left out."""
    return ranks.unsqueeze(2) < ranks.unsqueeze(1)


def listwise_pairs(rewards: Tensor, ranks: Tensor) -> Tensor:
    """BT over all ranked pairs of a prompt, averaged per prompt and then over prompts (InstructGPT).

    Keeping a prompt's C(K, 2) comparisons in one batch element weighs every prompt equally and
    avoids the overfitting InstructGPT saw when the pairs were shuffled across the epoch.
    """
    better = ranked_pairs(ranks)
    pair_losses = -F.logsigmoid(rewards.unsqueeze(2) - rewards.unsqueeze(1))
    per_prompt = (pair_losses * better).sum(dim=(1, 2)) / better.sum(dim=(1, 2)).clamp(min=1)
    return per_prompt[better.any(dim=2).any(dim=1)].mean()


def plackett_luce(rewards: Tensor, ranks: Tensor) -> Tensor:
    """Negative log-likelihood of the ranking under Plackett-Luce, summed over positions, averaged over lists.

    P(ranking) = prod_i exp(r_(i)) / sum_{j >= i} exp(r_(j)), with responses in rank order. Ties are
    ordered by position in the list (a stable sort), which keeps the loss defined; the last position
    always contributes zero, so K = 2 gives exactly BT.
    """
    order = torch.sort(ranks, dim=1, stable=True).indices
    ordered = rewards.gather(1, order)
    # logcumsumexp from the end: log sum_{j >= i} exp(r_(j)) for every position i
    tail_logsumexp = torch.logcumsumexp(ordered.flip(1), dim=1).flip(1)
    return (tail_logsumexp - ordered).sum(dim=1).mean()
