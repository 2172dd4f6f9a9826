import pytest
import torch

from rmexp.losses.regularizers import length_decorrelation, pair_centering, reward_centering, reward_magnitude


def test_reward_centering_is_the_squared_mean():
    # mean(1, 2, 3, 6) = 3 -> 9
    assert reward_centering(torch.tensor([1.0, 2.0, 3.0, 6.0])).item() == pytest.approx(9.0)


def test_reward_magnitude_is_the_mean_square():
    # (1 + 4 + 9 + 36) / 4 = 12.5
    assert reward_magnitude(torch.tensor([1.0, -2.0, 3.0, 6.0])).item() == pytest.approx(12.5)


def test_length_decorrelation_is_the_squared_correlation():
    lengths = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert length_decorrelation(-3 * lengths, lengths).item() == pytest.approx(1.0)
    # rewards (1, 0, 0, 1) against lengths 1..4: centred (0.5,-0.5,-0.5,0.5) . (-1.5,-0.5,0.5,1.5) = 0
    assert length_decorrelation(torch.tensor([1.0, 0.0, 0.0, 1.0]), lengths).item() == pytest.approx(0.0, abs=1e-7)
    # rewards (1, 2, 2, 4): centred (-1.25, -0.25, -0.25, 1.75), lengths centred (-1.5, -0.5, 0.5, 1.5)
    # cov-sum 4.5, norms sqrt(4.75) and sqrt(5) -> r = 0.92338, r^2 = 0.85263
    assert length_decorrelation(torch.tensor([1.0, 2.0, 2.0, 4.0]), lengths).item() == pytest.approx(0.85263, abs=1e-5)


def test_length_decorrelation_has_a_finite_gradient_for_constant_rewards():
    rewards = torch.zeros(4, requires_grad=True)
    length_decorrelation(rewards, torch.tensor([1.0, 2.0, 3.0, 4.0])).backward()
    assert torch.isfinite(rewards.grad).all()


def test_pair_centering_is_trl_s_mean_squared_pair_sum():
    # pairs (1, -1), (2, 0), (3, 3): sums 0, 2, 6 -> (0 + 4 + 36) / 3 = 13.333; rmexp's batch mean form: (8/6)^2
    chosen, rejected = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([-1.0, 0.0, 3.0])
    assert pair_centering(chosen, rejected).item() == pytest.approx(40 / 3)
    assert reward_centering(torch.cat([chosen, rejected])).item() == pytest.approx((8 / 6) ** 2)


def test_pair_centering_is_refused_for_a_family_without_pairs(compose_train):
    from hydra.utils import instantiate

    with pytest.raises(Exception, match="TRL's centering is over \\(chosen, rejected\\) pairs, which the pointwise"):
        instantiate(compose_train("loss=pointwise_mse", "loss.pair_center_coef=0.1").loss, model=None, optimizer=None)
