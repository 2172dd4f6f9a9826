import pytest
import torch

from rmexp.metrics.correlation import pearson
from rmexp.metrics.pairwise import gold_accuracy, pair_accuracy, pairwise_metrics, subset_accuracy


def test_pair_accuracy_counts_ties_as_half():
    chosen = torch.tensor([2.0, 1.0, 0.0, 5.0])
    rejected = torch.tensor([1.0, 1.0, 1.0, 4.0])
    assert pair_accuracy(chosen, rejected).item() == pytest.approx((1 + 0.5 + 0 + 1) / 4)


def test_gold_accuracy_ignores_the_labels_and_follows_gold():
    # pair 0: labels and gold agree, RM right; pair 1: the annotators were wrong (gold prefers the
    # "rejected" response) and the RM sided with gold, which counts as right against gold.
    chosen, rejected = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    chosen_gold, rejected_gold = torch.tensor([0.9, 0.1]), torch.tensor([0.2, 0.8])
    assert gold_accuracy(chosen, rejected, chosen_gold, rejected_gold).item() == 1.0
    assert pair_accuracy(chosen, rejected).item() == 0.5


def test_pearson_of_a_reward_that_is_exactly_length_is_one():
    lengths = torch.tensor([3.0, 10.0, 7.0, 1.0])
    assert pearson(2 * lengths + 1, lengths).item() == pytest.approx(1.0)
    assert pearson(-lengths, lengths).item() == pytest.approx(-1.0)


def test_pearson_of_a_constant_reward_is_zero_not_nan():
    assert pearson(torch.zeros(4), torch.tensor([1.0, 2.0, 3.0, 4.0])).item() == 0.0


def test_pairwise_metrics_reports_gold_only_where_it_is_known():
    chosen, rejected = torch.tensor([1.0, 2.0]), torch.tensor([0.0, 3.0])
    lengths = torch.tensor([5.0, 6.0])
    without_gold = pairwise_metrics(chosen, rejected, lengths, lengths)
    assert "gold_accuracy" not in without_gold
    assert without_gold["margin_mean"].item() == pytest.approx(0.0)
    assert without_gold["reward_mean"].item() == pytest.approx(1.5)
    nan = torch.full((2,), float("nan"))
    assert "gold_accuracy" not in pairwise_metrics(chosen, rejected, lengths, lengths, nan, nan)


def test_subset_accuracy_counts_each_subset_apart_and_skips_empty_ones():
    chosen = torch.tensor([1.0, 1.0, 0.0, 2.0, 0.0])
    rejected = torch.tensor([0.0, 2.0, 0.0, 1.0, 1.0])
    subset = torch.tensor([0, 0, 0, 1, -1])  # the last pair belongs to no subset
    metrics = subset_accuracy(chosen, rejected, subset, ["chat", "safety", "reasoning"])
    assert float(metrics["accuracy/chat"]) == pytest.approx((1 + 0 + 0.5) / 3)
    assert float(metrics["accuracy/safety"]) == 1.0
    assert int(metrics["pairs/chat"]) == 3 and int(metrics["pairs/safety"]) == 1
    assert "accuracy/reasoning" not in metrics
