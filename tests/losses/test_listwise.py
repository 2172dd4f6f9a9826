import math

import pytest
import torch

from rmexp.losses.listwise import listwise_pairs, plackett_luce, ranked_pairs
from rmexp.losses.pairwise import bradley_terry


def test_with_two_responses_both_listwise_losses_equal_bt():
    rewards = torch.tensor([[0.3, 1.1], [2.0, -0.5]])
    ranks = torch.tensor([[1, 0], [0, 1]])  # list 0: the second response is best
    chosen, rejected = torch.tensor([1.1, 2.0]), torch.tensor([0.3, -0.5])
    expected = bradley_terry(chosen, rejected).item()
    assert listwise_pairs(rewards, ranks).item() == pytest.approx(expected)
    assert plackett_luce(rewards, ranks).item() == pytest.approx(expected)


def test_listwise_pairs_averages_per_prompt_and_drops_ties():
    # list 0 (K=3, ranks 0,1,2, rewards 0): three pairs of log 2 -> mean log 2
    # list 1: ranks (0, 0, 1) -> the tie is dropped; pairs (0,2) d = 1 and (1,2) d = 0
    #   mean = (log(1 + e^-1) + log 2) / 2
    rewards = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    ranks = torch.tensor([[0, 1, 2], [0, 0, 1]])
    second = (math.log(1 + math.exp(-1)) + math.log(2)) / 2
    assert listwise_pairs(rewards, ranks).item() == pytest.approx((math.log(2) + second) / 2)
    assert ranked_pairs(ranks)[1].sum().item() == 2


def test_plackett_luce_matches_hand_value_for_three():
    # ranking a > b > c with rewards (2, 1, 0):
    # -[2 - log(e^2 + e^1 + e^0)] - [1 - log(e^1 + e^0)] - 0
    rewards = torch.tensor([[1.0, 0.0, 2.0]])  # stored as (b, c, a)
    ranks = torch.tensor([[1, 2, 0]])
    expected = -(2 - math.log(math.e**2 + math.e + 1)) - (1 - math.log(math.e + 1))
    assert plackett_luce(rewards, ranks).item() == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("loss", [listwise_pairs, plackett_luce])
def test_listwise_gradients_raise_the_best_and_lower_the_worst(loss):
    rewards = torch.zeros(1, 3, requires_grad=True)
    loss(rewards, torch.tensor([[2, 0, 1]])).backward()
    assert rewards.grad[0, 1] < 0 < rewards.grad[0, 0]
