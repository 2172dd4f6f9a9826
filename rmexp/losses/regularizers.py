"""Penalties on a batch of rewards, composable with any loss family; each is logged on its own."""

from torch import Tensor

from rmexp.metrics.correlation import pearson


def reward_centering(rewards: Tensor) -> Tensor:
    """mean(r)^2: pulls the batch's rewards towards zero mean (TRL's center_rewards_coefficient).

    BT is blind to a shared offset, so without it rewards drift; PPO wants them near zero.
    """
    return rewards.mean() ** 2


def reward_magnitude(rewards: Tensor) -> Tensor:
    """mean(r^2): an L2 penalty on the rewards themselves, bounding their scale."""
    return (rewards**2).mean()


def length_decorrelation(rewards: Tensor, lengths: Tensor) -> Tensor:
    """corr(r, length)^2 within the batch: penalises a reward that tracks response length.

    The knob the length-bias ablation sweeps; zero when the batch's lengths (or rewards) are constant.
    """
    return pearson(rewards, lengths.to(rewards.dtype)) ** 2
