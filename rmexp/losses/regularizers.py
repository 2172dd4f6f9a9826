"""Penalties on a batch of rewards, composable with any loss family; each is logged on its own."""

from torch import Tensor

from rmexp.metrics.correlation import pearson


def reward_centering(rewards: Tensor) -> Tensor:
    """mean(r)^2: pulls the batch's mean reward to zero (rmexp's own; any family, any batch of rewards).

    BT is blind to a shared offset, so without it rewards drift; PPO wants them near zero.
    """
    return rewards.mean() ** 2


def pair_centering(chosen: Tensor, rejected: Tensor) -> Tensor:
    """mean((r_chosen + r_rejected)^2): each pair's sum pulled to zero, TRL's `center_rewards_coefficient`.

    Eisenstein et al. 2023 ("Helping or Herding?"), as TRL's RewardTrainer adds it: stronger than
    `reward_centering`, which lets pairs sit anywhere as long as the batch averages zero.
    """
    return ((chosen + rejected) ** 2).mean()


def reward_magnitude(rewards: Tensor) -> Tensor:
    """mean(r^2): an L2 penalty on the rewards themselves, bounding their scale."""
    return (rewards**2).mean()


def length_decorrelation(rewards: Tensor, lengths: Tensor) -> Tensor:
    """corr(r, length)^2 within the batch: penalises a reward that tracks response length.

    The knob the length-bias ablation sweeps; zero when the batch's lengths (or rewards) are constant.
    """
    return pearson(rewards, lengths.to(rewards.dtype)) ** 2
