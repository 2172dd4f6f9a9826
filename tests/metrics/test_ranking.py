import pytest
import torch

from rmexp.metrics.correlation import spearman
from rmexp.metrics.ranking import grouped_pair_accuracy, kendall_tau, within_group_pairs


def test_within_group_pairs_only_pairs_items_of_one_group():
    first, second = within_group_pairs(torch.tensor([0, 1, 0, 0, 1]))
    assert sorted(zip(first.tolist(), second.tolist(), strict=True)) == [(0, 2), (0, 3), (1, 4), (2, 3)]


def test_within_group_pairs_are_every_same_group_pair_once_on_random_groups():
    groups = torch.randint(0, 30, (400,), generator=torch.Generator().manual_seed(0))
    first, second = within_group_pairs(groups)
    expected = {(i, j) for i in range(400) for j in range(i + 1, 400) if groups[i] == groups[j]}
    assert sorted(zip(first.tolist(), second.tolist(), strict=True)) == sorted(expected)
    assert within_group_pairs(torch.tensor([], dtype=torch.long))[0].numel() == 0


def test_grouped_pair_accuracy_skips_target_ties_and_halves_reward_ties():
    # group 0: items 0,1,2 with targets 3,1,1 -> pairs (0,1) right, (0,2) reward tie -> 0.5, (1,2) target tie -> out
    # group 1: items 3,4 with targets 0,5 and rewards 1,0 -> wrong
    rewards = torch.tensor([2.0, 1.0, 2.0, 1.0, 0.0])
    targets = torch.tensor([3.0, 1.0, 1.0, 0.0, 5.0])
    groups = torch.tensor([0, 0, 0, 1, 1])
    assert grouped_pair_accuracy(rewards, targets, groups).item() == pytest.approx((1 + 0.5 + 0) / 3)


def test_kendall_tau_is_one_for_the_right_order_and_minus_one_reversed():
    ranks = torch.tensor([[0, 1, 2, 3]])
    assert kendall_tau(torch.tensor([[4.0, 3.0, 2.0, 1.0]]), ranks).item() == pytest.approx(1.0)
    assert kendall_tau(torch.tensor([[1.0, 2.0, 3.0, 4.0]]), ranks).item() == pytest.approx(-1.0)
    # one swapped adjacent pair of 6: (5 - 1) / 6
    assert kendall_tau(torch.tensor([[3.0, 4.0, 2.0, 1.0]]), ranks).item() == pytest.approx(4 / 6)


def test_spearman_uses_average_ranks_for_ties():
    # x ranks (1, 2.5, 2.5, 4) against y ranks (1, 2, 3, 4): r = 0.94868
    assert spearman(torch.tensor([1.0, 2.0, 2.0, 9.0]), torch.tensor([0.0, 1.0, 2.0, 3.0])).item() == pytest.approx(
        0.94868, abs=1e-5
    )
