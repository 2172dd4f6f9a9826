from rmexp.modules.pairwise import PairwiseRewardModule

__all__ = ["PairwiseRewardModule"]
