"""Does an ensemble know where it is wrong? Its members' accuracies and how their disagreement tracks errors.

An uncertainty penalty (`uwo`) helps only if the members disagree more on the pairs the ensemble gets
wrong. Disagreement here is the spread of the members' margins on a pair, std_k(r_k(chosen) - r_k(rejected)):
the members' doubt about that comparison, not about either response's level; and the members' vote,
the share of members that rank the pair the other way from the majority.
"""

import torch
from torch import Tensor

from rmexp.metrics.correlation import ranks_of
from rmexp.metrics.pairwise import gold_accuracy, pair_accuracy

DISAGREEMENT_QUANTILES = 4


def member_margin_spread(chosen_members: Tensor, rejected_members: Tensor) -> Tensor:
    """[B, K] -> [B]: the members' population standard deviation of their margins on each pair."""
    return (chosen_members - rejected_members).std(dim=1, unbiased=False)


def member_vote_split(chosen_members: Tensor, rejected_members: Tensor) -> Tensor:
    """[B, K] -> [B]: the share of members on the minority side of each pair (0: unanimous, 0.5: split evenly)."""
    prefer_chosen = (chosen_members > rejected_members).float().mean(dim=1)
    return torch.minimum(prefer_chosen, 1 - prefer_chosen)


def auroc(scores: Tensor, positives: Tensor) -> Tensor:
    """Area under the ROC curve of `scores` for telling `positives` apart: Mann-Whitney U / (n+ n-).

    Ties share their average rank, so a score that says nothing gives 0.5; NaN without both classes.
    """
    positive_count, negative_count = int(positives.sum()), int((~positives).sum())
    if not positive_count or not negative_count:
        return scores.new_tensor(float("nan"), dtype=torch.float32)
    rank_sum = ranks_of(scores.double())[positives].sum()
    u_statistic = rank_sum - positive_count * (positive_count + 1) / 2
    return (u_statistic / (positive_count * negative_count)).float()


def accuracy_by_quantile(spread: Tensor, correct: Tensor, quantiles: int = DISAGREEMENT_QUANTILES) -> dict[str, Tensor]:
    """Accuracy within each quantile of the spread, lowest first (`q1` the most agreed pairs)."""
    order = spread.argsort(stable=True)
    metrics = {}
    for index, rows in enumerate(order.tensor_split(quantiles), start=1):
        if len(rows):
            metrics[f"accuracy_by_disagreement/q{index}"] = correct[rows].float().mean()
    return metrics


def ensemble_metrics(
    chosen_members: Tensor,
    rejected_members: Tensor,
    chosen: Tensor,
    rejected: Tensor,
    chosen_gold: Tensor | None = None,
    rejected_gold: Tensor | None = None,
) -> dict[str, Tensor]:
    """Each member's accuracy (and gold accuracy), and how well the members' disagreement flags the aggregate's errors.

    `chosen`, `rejected` [B] are the aggregate's rewards, `*_members` [B, K] the members'. An error is
    a labelled pair the aggregate does not rank above the other (a tie counts as an error).
    """
    with_gold = chosen_gold is not None and rejected_gold is not None and not torch.isnan(chosen_gold).any()
    metrics = {}
    for member in range(chosen_members.shape[1]):
        member_chosen, member_rejected = chosen_members[:, member], rejected_members[:, member]
        metrics[f"member_{member}/accuracy"] = pair_accuracy(member_chosen, member_rejected)
        if with_gold:
            metrics[f"member_{member}/gold_accuracy"] = gold_accuracy(
                member_chosen, member_rejected, chosen_gold, rejected_gold
            )
    spread = member_margin_spread(chosen_members, rejected_members)
    correct = chosen > rejected
    metrics["disagreement_mean"] = spread.mean()
    metrics["disagreement_auroc"] = auroc(spread, ~correct)
    # the spread grows with the margin itself, so the members' vote is the second reading of their doubt
    metrics["vote_disagreement_auroc"] = auroc(member_vote_split(chosen_members, rejected_members), ~correct)
    metrics |= accuracy_by_quantile(spread, correct)
    return metrics
