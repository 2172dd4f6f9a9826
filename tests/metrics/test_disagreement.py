"""An ensemble's disagreement: margin spread, vote split, AUROC and accuracy by quantile, on hand values."""

import math

import pytest
import torch

from rmexp.metrics.disagreement import (
    accuracy_by_quantile,
    auroc,
    ensemble_metrics,
    member_margin_spread,
    member_vote_split,
)


def test_the_margin_spread_is_the_members_population_std():
    # margins 1 and 3: std = 1; margins 2 and 2: 0
    chosen = torch.tensor([[1.0, 3.0], [2.0, 2.0]])
    assert member_margin_spread(chosen, torch.zeros(2, 2)).tolist() == [1.0, 0.0]


def test_the_vote_split_is_the_minority_share():
    chosen = torch.tensor([[1.0, 1.0, -1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [1.0, -1.0, 1.0, -1.0]])
    assert member_vote_split(chosen, torch.zeros(3, 4)).tolist() == [0.25, 0.0, 0.5]


def test_auroc_on_hand_values():
    # positives score 0.9 and 0.4, negatives 0.5 and 0.1: 3 of the 4 (positive, negative) pairs ordered right
    scores, positives = torch.tensor([0.9, 0.4, 0.5, 0.1]), torch.tensor([True, True, False, False])
    assert auroc(scores, positives).item() == pytest.approx(0.75)
    assert auroc(torch.ones(4), positives).item() == pytest.approx(0.5)  # a constant says nothing
    assert math.isnan(auroc(scores, torch.ones(4, dtype=torch.bool)).item())


def test_accuracy_by_quantile_goes_from_the_most_agreed_pairs_up():
    spread = torch.tensor([0.4, 0.1, 0.3, 0.2])
    correct = torch.tensor([False, True, True, True])
    by_quantile = accuracy_by_quantile(spread, correct, quantiles=2)
    assert {name: value.item() for name, value in by_quantile.items()} == {
        "accuracy_by_disagreement/q1": 1.0,
        "accuracy_by_disagreement/q2": 0.5,
    }


def test_ensemble_metrics_report_each_member_and_flag_errors():
    chosen_members = torch.tensor([[1.0, 1.0], [1.0, -3.0], [2.0, 2.0]])
    rejected_members = torch.zeros(3, 2)
    chosen, rejected = chosen_members.mean(1), rejected_members.mean(1)  # pair 1 is the aggregate's error
    metrics = ensemble_metrics(chosen_members, rejected_members, chosen, rejected,
                               torch.ones(3), torch.zeros(3))  # fmt: skip
    assert metrics["member_0/accuracy"].item() == 1.0
    assert metrics["member_1/accuracy"].item() == pytest.approx(2 / 3)
    assert metrics["member_1/gold_accuracy"].item() == pytest.approx(2 / 3)
    assert metrics["disagreement_auroc"].item() == 1.0  # the error is the pair the members disagree on most
    assert metrics["vote_disagreement_auroc"].item() == 1.0
