"""Length-bias diagnostics: how much of what an RM rewards is just the number of tokens.

Annotators favour longer answers (Singhal et al. 2023, "A Long Way to Go"), and an RM fitted to
their choices learns the habit. These numbers let a reader see it at once: the reward's trend in
length, whether the RM beats "pick the longer", and how its accuracy splits between pairs where
length and preference agree and pairs where they disagree. Pure functions on tensors, so every
family and `rmexp eval` compute them the same way.
"""

import torch
from torch import Tensor

from rmexp.metrics.correlation import pearson, spearman
from rmexp.metrics.ranking import pair_agreement

NAN = float("nan")


def reward_per_100_tokens(rewards: Tensor, lengths: Tensor) -> Tensor:
    """The least-squares slope of reward on length, times 100: what 100 more tokens are worth.

    Correlation says how consistent the trend is, the slope how large; 0 for constant lengths.
    """
    rewards, lengths = rewards.double(), lengths.double()
    centred = lengths - lengths.mean()
    variance = (centred * centred).sum()
    if variance == 0:
        return rewards.new_zeros((), dtype=torch.float32)
    return (100 * (centred * (rewards - rewards.mean())).sum() / variance).float()


def length_trend(rewards: Tensor, lengths: Tensor) -> dict[str, Tensor]:
    """Pearson and Spearman correlation of reward with length in tokens, and the slope per 100 tokens."""
    return {
        "length_corr": pearson(rewards, lengths),
        "length_spearman": spearman(rewards, lengths),
        "reward_per_100_tokens": reward_per_100_tokens(rewards, lengths),
    }


def length_split_accuracy(reward_gap: Tensor, preference_gap: Tensor, length_gap: Tensor) -> dict[str, Tensor]:
    """Accuracy of the RM beside the length-only baseline, split by whether length agrees with the label.

    Each entry is one pair (a, b): `preference_gap` > 0 when a is preferred, `length_gap` = len(a) -
    len(b). `longer_preferred_rate` is the accuracy of "pick the longer" (equal lengths count half),
    the bar an RM has to clear. Aligned pairs have the preferred response longer, inverted pairs
    shorter; a length-biased RM is right on the first and wrong on the second. NaN where a split is
    empty.
    """
    decided = preference_gap != 0
    reward_gap, preference_gap, length_gap = reward_gap[decided], preference_gap[decided], length_gap[decided]
    aligned = (length_gap != 0) & ((length_gap > 0) == (preference_gap > 0))
    inverted = (length_gap != 0) & ~aligned
    return {
        "longer_preferred_rate": pair_agreement(length_gap, preference_gap),
        "accuracy_length_aligned": accuracy_on(reward_gap, preference_gap, aligned),
        "accuracy_length_inverted": accuracy_on(reward_gap, preference_gap, inverted),
        "length_aligned_share": aligned.float().mean(),
    }


def accuracy_on(reward_gap: Tensor, preference_gap: Tensor, mask: Tensor) -> Tensor:
    """Agreement on the pairs `mask` selects; NaN where it selects none."""
    return pair_agreement(reward_gap[mask], preference_gap[mask]) if mask.any() else reward_gap.new_tensor(NAN)


LENGTH_MATCH_TOLERANCE = 0.1  # of the longer response's length
# strata of the relative length gap |len_a - len_b| / max(len_a, len_b) above the matched ones
LENGTH_GAP_STRATA = ((0.1, 0.25), (0.25, 0.5), (0.5, 1.0))


def length_controlled_accuracy(
    reward_gap: Tensor, preference_gap: Tensor, first_length: Tensor, second_length: Tensor
) -> dict[str, Tensor]:
    """Accuracy where length cannot help: on length-matched pairs, and by stratum of the length gap.

    A pair is length-matched when its two responses differ by at most `LENGTH_MATCH_TOLERANCE` of the
    longer one's length. On RewardBench a length-only rule scores 100% on two subsets, so an accuracy
    is only as good as the part of it that survives when length is held nearly equal. Each stratum
    reports its accuracy and its number of pairs (few pairs, a wide interval); NaN where it is empty.
    """
    decided = preference_gap != 0
    reward_gap, preference_gap = reward_gap[decided], preference_gap[decided]
    first_length, second_length = first_length[decided].double(), second_length[decided].double()
    relative_gap = (first_length - second_length).abs() / torch.maximum(first_length, second_length).clamp(min=1)
    matched = relative_gap <= LENGTH_MATCH_TOLERANCE
    metrics = {
        "accuracy_length_matched": accuracy_on(reward_gap, preference_gap, matched),
        "length_matched_share": matched.float().mean(),
    }
    for low, high in LENGTH_GAP_STRATA:
        stratum = (relative_gap > low) & (relative_gap <= high)
        name = f"{low:.0%}-{high:.0%}"
        metrics[f"accuracy_by_length_gap/{name}"] = accuracy_on(reward_gap, preference_gap, stratum)
        metrics[f"pairs_by_length_gap/{name}"] = stratum.sum().float()  # a count, logged as the float loggers reduce
    return metrics


def partial_correlation(x: Tensor, y: Tensor, control: Tensor) -> Tensor:
    """corr(x, y) with `control` held fixed: (r_xy - r_xc r_yc) / sqrt((1 - r_xc^2)(1 - r_yc^2))."""
    r_xy, r_xc, r_yc = pearson(x, y).double(), pearson(x, control).double(), pearson(y, control).double()
    denominator = torch.sqrt(((1 - r_xc**2) * (1 - r_yc**2)).clamp(min=1e-12))
    return ((r_xy - r_xc * r_yc) / denominator).clamp(-1, 1).float()


def gold_and_length_shares(rewards: Tensor, gold: Tensor, lengths: Tensor) -> dict[str, Tensor]:
    """How much of the reward's variance gold and length each explain, on the lab where gold is known.

    The partial correlations say how the reward tracks one with the other held fixed; `r2_gold_length`
    is the R^2 of reward on both, and `r2_gold_only` on gold alone, so `r2_gold_length - r2_gold_only`
    is the share that only length explains: the number the length-bias ablation reports.
    """
    design = torch.stack([torch.ones_like(gold), gold, lengths], dim=1).double()
    return {
        "gold_partial_corr": partial_correlation(rewards, gold, lengths),
        "length_partial_corr": partial_correlation(rewards, lengths, gold),
        "r2_gold_only": pearson(rewards, gold) ** 2,
        "r2_gold_length": r_squared(rewards, design),
    }


def r_squared(target: Tensor, design: Tensor) -> Tensor:
    """1 - SS_res / SS_tot of the least-squares fit of `target` on the columns of `design`."""
    target = target.double()
    coefficients = torch.linalg.lstsq(design, target.unsqueeze(1)).solution
    residual = target - (design @ coefficients).squeeze(1)
    total = ((target - target.mean()) ** 2).sum()
    return (1 - (residual**2).sum() / total).float() if total > 0 else target.new_zeros((), dtype=torch.float32)
