import math

import pytest
import torch

from rmexp.losses.pairwise import bradley_terry, bradley_terry_smoothed, bradley_terry_soft, hinge


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


def test_margin_zero_reduces_bt_margin_to_bt():
    chosen, rejected = torch.tensor([0.3, -1.2, 2.0]), torch.tensor([0.1, 0.4, -0.5])
    plain = bradley_terry(chosen, rejected)
    assert bradley_terry(chosen, rejected, margin=torch.zeros(3)).item() == pytest.approx(plain.item())


def test_hinge_matches_hand_values():
    # d = 0.5 -> max(0, 1 - 0.5) = 0.5; d = 2 -> 0; d = -1 -> 2; mean = 2.5 / 3
    chosen, rejected = torch.tensor([0.5, 2.0, -1.0]), torch.zeros(3)
    assert hinge(chosen, rejected).item() == pytest.approx(2.5 / 3)
    # a data margin per pair replaces the fixed one: max(0, 0.2 - 0.5) = 0, max(0, 3 - 2) = 1, max(0, 0 + 1) = 1
    assert hinge(chosen, rejected, margin=torch.tensor([0.2, 3.0, 0.0])).item() == pytest.approx(2 / 3)


def test_smoothed_bt_matches_hand_value_and_reduces_to_bt_without_smoothing():
    # d = 1, e = 0.1: 0.9 * log(1 + e^-1) + 0.1 * log(1 + e^1) = 0.9 * 0.31326 + 0.1 * 1.31326 = 0.41326
    assert bradley_terry_smoothed(torch.tensor([1.0]), torch.tensor([0.0]), 0.1).item() == pytest.approx(
        0.41326, abs=1e-5
    )
    chosen, rejected = torch.tensor([0.7, -0.2]), torch.tensor([0.1, 0.3])
    assert bradley_terry_smoothed(chosen, rejected, 0.0).item() == pytest.approx(bradley_terry(chosen, rejected).item())


def test_soft_bt_matches_hand_value_and_hard_labels():
    # d = 0, p = 0.8: -(0.8 log 0.5 + 0.2 log 0.5) = log 2
    assert bradley_terry_soft(torch.tensor([0.0]), torch.tensor([0.0]), torch.tensor([0.8])).item() == pytest.approx(
        math.log(2)
    )
    chosen, rejected = torch.tensor([1.5]), torch.tensor([0.5])
    assert bradley_terry_soft(chosen, rejected, torch.tensor([1.0])).item() == pytest.approx(
        bradley_terry(chosen, rejected).item()
    )


@pytest.mark.parametrize(
    "loss",
    [
        bradley_terry,
        lambda c, r: hinge(c, r, 1.0),
        lambda c, r: bradley_terry_smoothed(c, r, 0.1),
        lambda c, r: bradley_terry_soft(c, r, torch.tensor([0.9])),
    ],
)
def test_every_pairwise_loss_moves_chosen_up_and_rejected_down(loss):
    chosen = torch.tensor([0.2], requires_grad=True)
    rejected = torch.tensor([0.4], requires_grad=True)
    loss(chosen, rejected).backward()
    assert chosen.grad.item() < 0 < rejected.grad.item()
