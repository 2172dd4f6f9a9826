import pytest
import torch

from rmexp.metrics.length_bias import (
    gold_and_length_shares,
    length_controlled_accuracy,
    length_split_accuracy,
    length_trend,
    partial_correlation,
    reward_per_100_tokens,
)


def test_a_reward_that_is_exactly_length_correlates_one_and_loses_every_inverted_pair():
    chosen_length = torch.tensor([10.0, 4.0, 7.0, 3.0])
    rejected_length = torch.tensor([5.0, 9.0, 7.0, 8.0])  # pairs 1 and 3 inverted, pair 2 a length tie
    chosen, rejected = chosen_length.clone(), rejected_length.clone()
    trend = length_trend(torch.cat([chosen, rejected]), torch.cat([chosen_length, rejected_length]))
    assert trend["length_corr"].item() == pytest.approx(1.0)
    assert trend["length_spearman"].item() == pytest.approx(1.0)
    split = length_split_accuracy(chosen - rejected, torch.ones(4), chosen_length - rejected_length)
    assert split["accuracy_length_aligned"].item() == 1.0
    assert split["accuracy_length_inverted"].item() == 0.0
    # "pick the longer": right on pair 0, a coin on the tie, wrong on 1 and 3 -> (1 + 0.5) / 4
    assert split["longer_preferred_rate"].item() == pytest.approx(0.375)
    assert split["length_aligned_share"].item() == pytest.approx(0.25)


def test_a_length_blind_rm_is_right_on_inverted_pairs_too():
    chosen, rejected = torch.tensor([1.0, 1.0]), torch.tensor([0.0, 0.0])
    split = length_split_accuracy(chosen - rejected, torch.ones(2), torch.tensor([3.0, -3.0]))
    assert split["accuracy_length_aligned"].item() == split["accuracy_length_inverted"].item() == 1.0


def test_an_empty_split_is_nan_not_an_error():
    split = length_split_accuracy(torch.tensor([1.0]), torch.ones(1), torch.tensor([2.0]))
    assert torch.isnan(split["accuracy_length_inverted"])


def test_slope_is_reward_per_hundred_tokens():
    lengths = torch.tensor([10.0, 20.0, 30.0, 40.0])
    assert reward_per_100_tokens(0.05 * lengths + 3, lengths).item() == pytest.approx(5.0)
    assert reward_per_100_tokens(torch.tensor([1.0, 2.0]), torch.tensor([5.0, 5.0])).item() == 0.0


def test_partial_correlation_matches_the_hand_formula():
    # x = [1,2,3,4], y = [1,3,2,4], z = [1,1,2,2]: r_xy = 0.8, r_xz = 2/sqrt(5), r_yz = 1/sqrt(5)
    # (0.8 - 0.4) / sqrt(0.2 * 0.8) = 1: within each z group y rises with x
    x, y, z = torch.tensor([1.0, 2, 3, 4]), torch.tensor([1.0, 3, 2, 4]), torch.tensor([1.0, 1, 2, 2])
    assert partial_correlation(x, y, z).item() == pytest.approx(1.0, abs=1e-6)
    # y = [1,3,4,2]: r_xy = 0.4, r_yz = 1/sqrt(5), so (0.4 - 0.4) / ... = 0
    assert partial_correlation(x, torch.tensor([1.0, 3, 4, 2]), z).item() == pytest.approx(0.0, abs=1e-6)


def test_a_reward_that_is_gold_plus_length_is_explained_by_both():
    generator = torch.Generator().manual_seed(0)
    gold, lengths = torch.randn(500, generator=generator), torch.randint(4, 32, (500,), generator=generator).float()
    shares = gold_and_length_shares(gold + 0.1 * lengths, gold, lengths)
    assert shares["r2_gold_length"].item() == pytest.approx(1.0, abs=1e-6)
    assert shares["gold_partial_corr"].item() == pytest.approx(1.0, abs=1e-4)
    assert shares["length_partial_corr"].item() == pytest.approx(1.0, abs=1e-4)
    assert shares["r2_gold_only"].item() < 0.9  # length explains the rest
    unbiased = gold_and_length_shares(gold, gold, lengths)
    assert unbiased["r2_gold_only"].item() == pytest.approx(1.0, abs=1e-6)


def test_length_controlled_accuracy_by_hand():
    # relative gaps |a - b| / max(a, b), pair by pair: 0, 0.1, 0.1 (matched), 0.2, 0.4, 0.7, and an undecided pair
    first_length = torch.tensor([10.0, 10.0, 9.0, 8.0, 6.0, 10.0, 4.0])
    second_length = torch.tensor([10.0, 9.0, 10.0, 10.0, 10.0, 3.0, 4.0])
    preference_gap = torch.tensor([1.0, 1.0, -1.0, 1.0, 1.0, -1.0, 0.0])
    reward_gap = torch.tensor([0.5, -0.5, -0.2, 0.1, -1.0, -3.0, 9.0])
    # right, wrong, right | right | wrong | right; the undecided pair is left out
    metrics = length_controlled_accuracy(reward_gap, preference_gap, first_length, second_length)
    assert metrics["accuracy_length_matched"].item() == pytest.approx(2 / 3)
    assert metrics["length_matched_share"].item() == pytest.approx(3 / 6)
    assert metrics["accuracy_by_length_gap/10%-25%"].item() == 1.0
    assert metrics["pairs_by_length_gap/10%-25%"].item() == 1
    assert metrics["accuracy_by_length_gap/25%-50%"].item() == 0.0
    assert metrics["accuracy_by_length_gap/50%-100%"].item() == 1.0
    assert metrics["pairs_by_length_gap/50%-100%"].item() == 1


def test_a_length_only_rule_is_at_chance_on_length_matched_pairs():
    """Pick the longer: perfect where the longer is preferred, a coin flip (ties) where lengths are equal."""
    first_length = torch.tensor([20.0, 20.0, 30.0, 12.0])
    second_length = torch.tensor([20.0, 20.0, 10.0, 4.0])
    preference_gap = torch.tensor([1.0, -1.0, 1.0, 1.0])
    metrics = length_controlled_accuracy(first_length - second_length, preference_gap, first_length, second_length)
    assert metrics["accuracy_length_matched"].item() == 0.5
    assert metrics["accuracy_by_length_gap/50%-100%"].item() == 1.0
    assert torch.isnan(metrics["accuracy_by_length_gap/10%-25%"])
