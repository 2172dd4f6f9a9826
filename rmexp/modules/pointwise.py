"""The pointwise family: a reward model regressed onto absolute scores."""

from collections.abc import Callable
from typing import Literal

import torch
from torch import Tensor

from rmexp.data.pointwise_dataset import SCORE_KEYS
from rmexp.errors import UserError
from rmexp.losses.pointwise import mean_squared_error
from rmexp.metrics.correlation import pearson, spearman
from rmexp.metrics.ranking import grouped_pair_accuracy
from rmexp.modules.base import RewardModule

ScoreLoss = Callable[[Tensor, Tensor], Tensor]


class PointwiseRewardModule(RewardModule):
    """Regresses r(x, y) onto the score, raw or z-scored over the data set or per annotator.

    Pairwise accuracy on pairs derived from the scores (same prompt, different score) and against
    gold makes a pointwise run comparable with a pairwise one.
    """

    view = "pointwise"

    def __init__(
        self,
        model,
        optimizer,
        scheduler=None,
        loss_fn: ScoreLoss = mean_squared_error,
        score_normalization: Literal["none", "dataset", "annotator"] = "none",
        **reg,
    ):
        super().__init__(model, optimizer, scheduler, **reg)
        if score_normalization not in SCORE_KEYS:
            raise UserError(f"loss.score_normalization={score_normalization!r}: expected one of {list(SCORE_KEYS)}")
        self.loss_fn = loss_fn
        self.target_key = SCORE_KEYS[score_normalization]

    def training_loss(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        rewards = self(batch["input_ids"], batch["attention_mask"])
        loss = self.loss_fn(rewards, batch[self.target_key])
        return loss, rewards, {"reward_mean": rewards.detach().mean()}

    def evaluation_outputs(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        return {
            "rewards": self(batch["input_ids"], batch["attention_mask"]),
            "targets": batch[self.target_key],
            "scores": batch["score"],
            "lengths": batch["response_length"],
            "gold": batch["gold"],
            "prompt_id": batch["prompt_id"],
        }

    def evaluation_metrics(self, outputs: dict[str, Tensor]) -> dict[str, Tensor]:
        rewards, targets, scores = outputs["rewards"], outputs["targets"], outputs["scores"]
        metrics = {
            "loss": self.loss_fn(rewards, targets),
            "mse": ((rewards - targets) ** 2).mean(),
            "mae": (rewards - targets).abs().mean(),
            "pearson": pearson(rewards, scores),
            "spearman": spearman(rewards, scores),
            "accuracy": grouped_pair_accuracy(rewards, scores, outputs["prompt_id"]),
            "reward_mean": rewards.mean(),
            "reward_std": rewards.std(),
            "length_corr": pearson(rewards, outputs["lengths"]),
        }
        if not torch.isnan(outputs["gold"]).any():
            metrics["gold_accuracy"] = grouped_pair_accuracy(rewards, outputs["gold"], outputs["prompt_id"])
            metrics["gold_corr"] = pearson(rewards, outputs["gold"])
        return metrics
