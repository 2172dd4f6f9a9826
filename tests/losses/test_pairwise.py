import math

import pytest
import torch

from rmexp.losses.pairwise import bradley_terry


def test_bradley_terry_matches_hand_value():
    # d = 1.0 - 0.0 = 1.0 -> -log(sigmoid(1)) = log(1 + e^-1) = 0.31326
    assert bradley_terry(torch.tensor([1.0]), torch.tensor([0.0])).item() == pytest.approx(0.31326, abs=1e-5)


def test_bradley_terry_averages_over_pairs():
    # d = 0 -> log 2 = 0.69315; d = -2 -> log(1 + e^2) = 2.12693; mean = 1.41004
    loss = bradley_terry(torch.tensor([0.5, -1.0]), torch.tensor([0.5, 1.0]))
    assert loss.item() == pytest.approx((math.log(2) + math.log(1 + math.e**2)) / 2, abs=1e-5)


def test_bradley_terry_margin_shifts_the_difference():
    # d - m = 3 - 2 = 1 -> 0.31326, the same as an unmargined pair with d = 1
    margin_loss = bradley_terry(torch.tensor([3.0]), torch.tensor([0.0]), margin=torch.tensor([2.0]))
    assert margin_loss.item() == pytest.approx(0.31326, abs=1e-5)


def test_bradley_terry_does_not_underflow_for_large_gaps():
    # log(sigmoid(-200)) would be log(0) = -inf; logsigmoid gives the exact 200
    assert bradley_terry(torch.tensor([-100.0]), torch.tensor([100.0])).item() == pytest.approx(200.0)


def test_bradley_terry_gradient_raises_chosen_and_lowers_rejected():
    chosen = torch.tensor([0.2], requires_grad=True)
    rejected = torch.tensor([0.4], requires_grad=True)
    bradley_terry(chosen, rejected).backward()
    # dL/dr_c = -(1 - sigmoid(d)) = -sigmoid(0.2) = -0.54983; descent moves r_c up and r_r down
    assert chosen.grad.item() == pytest.approx(-0.54983, abs=1e-5)
    assert rejected.grad.item() == pytest.approx(0.54983, abs=1e-5)
