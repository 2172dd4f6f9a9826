"""K reward heads on one backbone: an ensemble scored in one forward pass, and how its members combine.

Coste et al. 2024 ("Reward Model Ensembles Help Mitigate Overoptimization", ICLR) found that a
pessimistic aggregate of an ensemble's rewards, the worst member (`min`) or the mean less the
members' variance (`uwo`, uncertainty-weighted optimisation), kept best-of-n from exploiting one
reward model's errors. Here the members share the backbone and differ in their head (one Linear to
K outputs), each head trained on its own bootstrap resample of the pairs (rmexp/losses/bootstrap.py),
so an ensemble costs one forward pass, not K.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor
from transformers import PreTrainedModel

from rmexp.errors import UserError
from rmexp.models.reward_model import RewardModel

Aggregate = Literal["mean", "min", "uwo"]


def aggregate_members(member_rewards: Tensor, aggregate: Aggregate, uwo_lambda: float = 1.0) -> Tensor:
    """[..., K] -> [...]: the members' mean, their minimum (worst case), or mean - lambda * variance (UWO).

    The variance is the members' population variance, 1/K sum_k (r_k - mean)^2, as in Coste et al.'s UWO.
    """
    if aggregate == "mean":
        return member_rewards.mean(-1)
    if aggregate == "min":
        return member_rewards.min(-1).values
    return member_rewards.mean(-1) - uwo_lambda * member_rewards.var(-1, unbiased=False)


def describe_aggregate(aggregate: Aggregate, uwo_lambda: float) -> str:
    """How the members combine, in words, for the export's model card and rmexp-score's report."""
    return {
        "mean": "the mean of the members' rewards",
        "min": "the lowest of the members' rewards (worst case)",
        "uwo": f"the mean of the members' rewards minus {uwo_lambda:g} x their variance (uncertainty-weighted)",
    }[aggregate]


class EnsembleSettings(BaseModel):
    """`model.reward_model.ensemble`: members 1 is a single reward model (no ensemble)."""

    model_config = ConfigDict(extra="forbid")

    members: int = Field(1, ge=1)
    aggregate: Aggregate = "mean"
    uwo_lambda: float = Field(1.0, ge=0)
    bootstrap: bool = True  # each member trains on its own Poisson(1) resample of the pairs
    seed: int = 0  # of the resamples (the run's seed by default)


NO_ENSEMBLE = EnsembleSettings()


class MemberAggregation:
    """What an ensemble and its export share: the reward is `ensemble`'s aggregate of `member_rewards`."""

    ensemble: EnsembleSettings

    def member_rewards(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        raise NotImplementedError

    def aggregate(self, member_rewards: Tensor) -> Tensor:
        return aggregate_members(member_rewards, self.ensemble.aggregate, self.ensemble.uwo_lambda)

    def describe_aggregate(self) -> str:
        return describe_aggregate(self.ensemble.aggregate, self.ensemble.uwo_lambda)

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        return self.aggregate(self.member_rewards(input_ids, attention_mask))


class EnsembleRewardModel(MemberAggregation, RewardModel):
    """A RewardModel whose head has one output per member; `forward` and `grouped` give the aggregate.

    Everything that reads a reward (evaluation, rmexp-score, rmexp-bon) reads the aggregate; training
    reads the members (`grouped_members`), and each member's head learns from its own resample.
    """

    def __init__(self, backbone: PreTrainedModel, ensemble: EnsembleSettings, head_init_std: float = 0.0,
                 **head_options) -> None:  # fmt: skip
        if ensemble.members < 2:
            raise UserError(f"model.reward_model.ensemble.members={ensemble.members}: an ensemble needs 2 or more")
        if not ensemble.bootstrap and head_init_std == 0:
            raise UserError(
                "model.reward_model.ensemble.bootstrap=false with head_init_std=0: every member would start at zero "
                "and see the same pairs, so the members would stay identical; turn bootstrap on or give "
                "model.reward_model.head_init_std > 0"
            )
        super().__init__(backbone, head_init_std=head_init_std, head_outputs=ensemble.members, **head_options)
        self.ensemble = ensemble

    def member_rewards(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """[B, K]: every member's reward (RewardModel's forward: its head has K outputs)."""
        return RewardModel.forward(self, input_ids, attention_mask)

    def grouped_members(self, input_ids: Tensor, attention_mask: Tensor, groups: Tensor) -> Tensor:
        """[B, K]: every member's reward, a prompt's responses scored in one packed row where exact."""
        return RewardModel.grouped(self, input_ids, attention_mask, groups)

    def grouped(self, input_ids: Tensor, attention_mask: Tensor, groups: Tensor) -> Tensor:
        return self.aggregate(self.grouped_members(input_ids, attention_mask, groups))
