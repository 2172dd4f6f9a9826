"""Metrics of a set of scored pairs: pure functions on tensors, shared by every split and family."""

import torch
from torch import Tensor

from rmexp.losses.pairwise import bradley_terry
from rmexp.metrics.correlation import pearson


def pair_accuracy(chosen: Tensor, rejected: Tensor) -> Tensor:
    """Fraction of pairs ranked as labelled; a tie counts half, so a constant RM scores 0.5, not 0."""
    return ((chosen > rejected).float() + 0.5 * (chosen == rejected).float()).mean()


def gold_accuracy(chosen: Tensor, rejected: Tensor, chosen_gold: Tensor, rejected_gold: Tensor) -> Tensor:
    """Accuracy against the noise-free gold preference, whatever the annotators said."""
    gold_says_chosen = chosen_gold > rejected_gold
    rm_says_chosen = chosen > rejected
    agree = (gold_says_chosen == rm_says_chosen).float()
    return torch.where(chosen == rejected, 0.5, agree).mean()


def pairwise_metrics(
    chosen: Tensor,
    rejected: Tensor,
    chosen_length: Tensor,
    rejected_length: Tensor,
    chosen_gold: Tensor | None = None,
    rejected_gold: Tensor | None = None,
) -> dict[str, Tensor]:
    """The headline numbers of a split of scored pairs; gold metrics only where gold is known."""
    rewards = torch.cat([chosen, rejected])
    metrics = {
        "loss": bradley_terry(chosen, rejected),
        "accuracy": pair_accuracy(chosen, rejected),
        "reward_mean": rewards.mean(),
        "reward_std": rewards.std(),
        "margin_mean": (chosen - rejected).mean(),
        "length_corr": pearson(rewards, torch.cat([chosen_length, rejected_length])),
    }
    if chosen_gold is not None and rejected_gold is not None:
        gold = torch.cat([chosen_gold, rejected_gold])
        if not torch.isnan(gold).any():
            metrics["gold_accuracy"] = gold_accuracy(chosen, rejected, chosen_gold, rejected_gold)
            metrics["gold_corr"] = pearson(rewards, gold)
    return metrics
