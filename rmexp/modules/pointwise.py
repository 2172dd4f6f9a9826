"""The pointwise family: a reward model regressed onto absolute scores."""

from collections.abc import Callable
from typing import Literal

import torch
from scipy.stats import kendalltau
from torch import Tensor

from rmexp.data.pointwise_dataset import SCORE_KEYS
from rmexp.errors import UserError
from rmexp.losses.pointwise import mean_squared_error
from rmexp.metrics.correlation import pearson, spearman
from rmexp.metrics.pairwise import diagnostics
from rmexp.metrics.ranking import grouped_pair_accuracy, within_group_pairs
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

    def response_table(self, outputs: dict[str, Tensor]) -> dict[str, Tensor]:
        """One row per response: its reward, length in tokens and gold reward (for plots and W&B)."""
        return {"reward": outputs["rewards"], "length": outputs["lengths"], "gold": outputs["gold"]}

    def preferred_gaps(self, outputs: dict[str, Tensor]) -> Tensor:
        """r_better - r_worse over every pair of responses to one prompt with different scores."""
        first, second = within_group_pairs(outputs["prompt_id"])
        preference_gap = outputs["scores"][first] - outputs["scores"][second]
        decided = preference_gap != 0
        reward_gap = outputs["rewards"][first] - outputs["rewards"][second]
        return reward_gap[decided] * preference_gap[decided].sign()

    def evaluation_metrics(self, outputs: dict[str, Tensor]) -> dict[str, Tensor]:
        rewards, targets, scores = outputs["rewards"], outputs["targets"], outputs["scores"]
        first, second = within_group_pairs(outputs["prompt_id"])
        kendall = kendalltau(rewards.detach().cpu(), scores.cpu()).statistic  # scipy's, on the host
        metrics = {
            "loss": self.loss_fn(rewards, targets),
            "mse": ((rewards - targets) ** 2).mean(),
            "mae": (rewards - targets).abs().mean(),
            "pearson": pearson(rewards, scores),
            "spearman": spearman(rewards, scores),
            # tau-b, which corrects for the many ties of 1-10 ratings
            "kendall": rewards.new_tensor(kendall, dtype=torch.float32),
            "accuracy": grouped_pair_accuracy(rewards, scores, outputs["prompt_id"]),
            "reward_mean": rewards.mean(),
            "reward_std": rewards.std(),
        }
        metrics |= diagnostics(
            rewards,
            outputs["lengths"],
            rewards[first] - rewards[second],
            scores[first] - scores[second],
            (outputs["lengths"][first], outputs["lengths"][second]),
            outputs["gold"],
            outputs["gold"][first] - outputs["gold"][second],
        )
        if not torch.isnan(outputs["gold"]).any():
            metrics["gold_accuracy"] = grouped_pair_accuracy(rewards, outputs["gold"], outputs["prompt_id"])
        return metrics
