"""Agreement between rewards and a ranking within groups (a prompt's responses, a list of K)."""

import torch
from torch import Tensor


def within_group_pairs(groups: Tensor) -> tuple[Tensor, Tensor]:
    """Index pairs (i, j), i < j, of items in the same group.

    Built group by group from the items sorted by group, so its cost is the number of pairs, not the
    square of the number of items: the prompt bootstrap calls it on every resample of a split.
    """
    order = torch.argsort(groups, stable=True)  # stable: within a group, sorted positions keep i < j
    counts = torch.unique_consecutive(groups[order], return_counts=True)[1]
    group_end = torch.repeat_interleave(torch.cumsum(counts, 0), counts)
    position = torch.arange(len(groups), device=groups.device)
    partners = group_end - position - 1  # the later items of its own group
    first = torch.repeat_interleave(position, partners)
    offset = torch.arange(len(first), device=groups.device) - torch.repeat_interleave(
        torch.cumsum(partners, 0) - partners, partners
    )
    return order[first], order[first + 1 + offset]


def pair_agreement(reward_gap: Tensor, target_gap: Tensor) -> Tensor:
    """Fraction of pairs ordered as the target orders them; pairs the target ties are left out,
    pairs the reward ties count half. NaN when no pair remains."""
    decided = target_gap != 0
    agree = torch.where(reward_gap == 0, 0.5, ((reward_gap > 0) == (target_gap > 0)).float())
    return agree[decided].mean() if decided.any() else agree.new_tensor(float("nan"))


def grouped_pair_accuracy(rewards: Tensor, targets: Tensor, groups: Tensor) -> Tensor:
    """Pairwise accuracy over all pairs within each group, against `targets` (scores, gold, -rank)."""
    first, second = within_group_pairs(groups)
    return pair_agreement(rewards[first] - rewards[second], targets[first] - targets[second])


def kendall_tau(rewards: Tensor, ranks: Tensor) -> Tensor:
    """Kendall's tau-a between rewards and ranks of each list [B, K], averaged over lists.

    (concordant - discordant) / C(K, 2) per list; rank 0 is best, so a concordant pair has the
    better-ranked response scored higher. Tied ranks or rewards count as neither.
    """
    reward_gap = rewards.unsqueeze(2) - rewards.unsqueeze(1)
    rank_gap = ranks.unsqueeze(1) - ranks.unsqueeze(2)  # > 0 when i is ranked above j
    k = rewards.shape[1]
    upper = torch.triu(torch.ones(k, k, dtype=torch.bool, device=rewards.device), diagonal=1)
    sign_product = torch.sign(reward_gap) * torch.sign(rank_gap.to(reward_gap.dtype))
    return (sign_product * upper).sum(dim=(1, 2)).div(k * (k - 1) / 2).mean()
