"""One LightningModule per loss family, on the shared `RewardModule` base."""

from rmexp.modules.listwise import ListwiseRewardModule
from rmexp.modules.pairwise import PairwiseRewardModule
from rmexp.modules.pointwise import PointwiseRewardModule

__all__ = ["ListwiseRewardModule", "PairwiseRewardModule", "PointwiseRewardModule"]
