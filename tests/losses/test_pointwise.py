import pytest
import torch

from rmexp.losses.pointwise import huber, mean_absolute_error, mean_squared_error

REWARDS = torch.tensor([1.0, 2.0, 5.0])
SCORES = torch.tensor([2.0, 2.0, 2.0])


def test_mse_matches_hand_value():
    # ((2-1)^2 + 0 + (2-5)^2) / 3 = 10 / 3
    assert mean_squared_error(REWARDS, SCORES).item() == pytest.approx(10 / 3)


def test_mae_matches_hand_value():
    # (1 + 0 + 3) / 3
    assert mean_absolute_error(REWARDS, SCORES).item() == pytest.approx(4 / 3)


def test_huber_is_quadratic_inside_delta_and_linear_outside():
    # |e| = 1 <= delta: 0.5 * 1^2 = 0.5; |e| = 0: 0; |e| = 3 > 1: 1 * (3 - 0.5) = 2.5; mean = 1.0
    assert huber(REWARDS, SCORES, delta=1.0).item() == pytest.approx(1.0)


@pytest.mark.parametrize("loss", [mean_squared_error, mean_absolute_error, huber])
def test_pointwise_losses_pull_the_reward_towards_the_score(loss):
    rewards = torch.tensor([0.0, 4.0], requires_grad=True)
    loss(rewards, torch.tensor([1.0, 3.0])).backward()
    assert rewards.grad[0] < 0 < rewards.grad[1]
