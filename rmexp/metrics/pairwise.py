"""Metrics of a set of scored pairs: pure functions on tensors, shared by every split and family."""

import torch
from torch import Tensor

from rmexp.metrics.calibration import pair_calibration
from rmexp.metrics.correlation import pearson
from rmexp.metrics.length_bias import (
    gold_and_length_shares,
    length_controlled_accuracy,
    length_split_accuracy,
    length_trend,
)


def pair_accuracy(chosen: Tensor, rejected: Tensor) -> Tensor:
    """Fraction of pairs ranked as labelled; a tie counts half, so a constant RM scores 0.5, not 0."""
    return ((chosen > rejected).float() + 0.5 * (chosen == rejected).float()).mean()


def subset_accuracy(chosen: Tensor, rejected: Tensor, subset: Tensor, names: list[str]) -> dict[str, Tensor]:
    """Accuracy and number of pairs within each named subset (`subset` indexes `names`), as RewardBench reports."""
    metrics = {}
    for index, name in enumerate(names):
        members = subset == index
        if members.any():
            metrics[f"accuracy/{name}"] = pair_accuracy(chosen[members], rejected[members])
            metrics[f"pairs/{name}"] = members.sum()
    return metrics


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
        "accuracy": pair_accuracy(chosen, rejected),
        "reward_mean": rewards.mean(),
        "reward_std": rewards.std(),
        "margin_mean": (chosen - rejected).mean(),
    }
    gold = None if chosen_gold is None or rejected_gold is None else torch.cat([chosen_gold, rejected_gold])
    metrics |= diagnostics(
        rewards,
        torch.cat([chosen_length, rejected_length]),
        chosen - rejected,
        torch.ones_like(chosen),
        (chosen_length, rejected_length),
        gold,
        None if chosen_gold is None or rejected_gold is None else chosen_gold - rejected_gold,
    )
    if gold is not None and not torch.isnan(gold).any():
        metrics["gold_accuracy"] = gold_accuracy(chosen, rejected, chosen_gold, rejected_gold)
    return metrics


def diagnostics(
    rewards: Tensor,
    lengths: Tensor,
    reward_gap: Tensor,
    preference_gap: Tensor,
    pair_lengths: tuple[Tensor, Tensor],
    gold: Tensor | None = None,
    gold_gap: Tensor | None = None,
) -> dict[str, Tensor]:
    """Length bias and calibration, the same for every family: per response, then per compared pair.

    `rewards`, `lengths` and `gold` are flat over the responses; the gaps and `pair_lengths` (the
    first and the second response's) are over the compared pairs (a labelled pair, two responses of
    one list or of one prompt), `preference_gap` > 0 where the labels prefer the first, `gold_gap` the
    same pairs' gold difference. Where gold is known (the lab) the pair diagnostics are on the pairs
    as gold orders them, so every family is judged on the same pairs whatever its labels; the same
    diagnostics against the family's own labels are named `labels/...`. Without gold they are on the labels.
    """
    metrics = length_trend(rewards, lengths)
    if gold is None or torch.isnan(gold).any():
        return metrics | _pair_diagnostics(reward_gap, preference_gap, pair_lengths)
    metrics |= _pair_diagnostics(reward_gap, gold_gap, pair_lengths)
    metrics |= {
        f"labels/{key}": value for key, value in _pair_diagnostics(reward_gap, preference_gap, pair_lengths).items()
    }
    metrics["gold_corr"] = pearson(rewards, gold)
    return metrics | gold_and_length_shares(rewards, gold, lengths)


def _pair_diagnostics(
    reward_gap: Tensor, preference_gap: Tensor, pair_lengths: tuple[Tensor, Tensor]
) -> dict[str, Tensor]:
    """Length-split and length-controlled accuracy and calibration of pairs ordered by `preference_gap`."""
    decided = preference_gap != 0
    first_length, second_length = pair_lengths
    return {
        **length_split_accuracy(reward_gap, preference_gap, first_length - second_length),
        **length_controlled_accuracy(reward_gap, preference_gap, first_length, second_length),
        **pair_calibration(reward_gap[decided] * preference_gap[decided].sign()),
    }
