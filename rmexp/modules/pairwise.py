"""The pairwise family: a reward model trained on (prompt, chosen, rejected)."""

from collections.abc import Callable

import torch
from torch import Tensor

from rmexp.losses.pairwise import bradley_terry
from rmexp.metrics.pairwise import pair_accuracy, pairwise_metrics
from rmexp.models.reward_model import RewardModel
from rmexp.modules.base import RewardModule

PairLoss = Callable[..., Tensor]


def freeze_head_bias(model: RewardModel) -> None:
    """Hold the reward head's bias at its zero start, for losses that only see reward differences.

    Such a loss gives the bias a gradient of pure round-off, which Adam scales up into a random drift;
    frozen, the bias stays 0, the rewards lose nothing, and the model exports exactly (rmexp/export.py).
    """
    if isinstance(model, RewardModel):  # not an already exported model being evaluated
        model.head.bias.requires_grad_(False)


class PairwiseRewardModule(RewardModule):
    """Scores chosen and rejected in one forward pass over a 2B batch, then applies `loss_fn`.

    With `use_margin`, the data's per-pair margin (a score gap, a preference strength) is passed to
    the loss as `margin`: BT-margin asks the chosen reward to win by at least that much.
    """

    view = "pairwise"

    def __init__(self, model, optimizer, scheduler=None, loss_fn: PairLoss = bradley_terry, use_margin=False, **reg):
        super().__init__(model, optimizer, scheduler, **reg)
        freeze_head_bias(model)
        self.loss_fn = loss_fn
        self.use_margin = use_margin

    def _rewards(self, batch: dict[str, Tensor]) -> Tensor:
        """[2B]: the B chosen rows, then the B rejected rows, pair i's two in rows i and B + i."""
        pairs = batch["input_ids"].shape[0] // 2
        rows = torch.arange(pairs, device=batch["input_ids"].device)
        return self.grouped_rewards(batch, torch.stack([rows, rows + pairs], dim=1))

    def training_loss(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        rewards = self._rewards(batch)
        chosen, rejected = rewards.chunk(2)
        loss = (
            self.loss_fn(chosen, rejected, margin=batch["margin"])
            if self.use_margin
            else self.loss_fn(chosen, rejected)
        )
        metrics = {
            "accuracy": pair_accuracy(chosen.detach(), rejected.detach()),
            "reward_mean": rewards.detach().mean(),
            "margin_mean": (chosen.detach() - rejected.detach()).mean(),
        }
        return loss, rewards, metrics

    def evaluation_outputs(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        chosen, rejected = self._rewards(batch).chunk(2)
        chosen_length, rejected_length = batch["response_length"].chunk(2)
        chosen_gold, rejected_gold = batch["gold"].chunk(2)
        return {
            "chosen": chosen,
            "rejected": rejected,
            "chosen_length": chosen_length,
            "rejected_length": rejected_length,
            "chosen_gold": chosen_gold,
            "rejected_gold": rejected_gold,
            "subset": batch["subset"],
        }

    def response_table(self, outputs: dict[str, Tensor]) -> dict[str, Tensor]:
        """One row per response, chosen ones first: reward, length in tokens, gold (for plots and W&B)."""
        return {
            "reward": torch.cat([outputs["chosen"], outputs["rejected"]]),
            "length": torch.cat([outputs["chosen_length"], outputs["rejected_length"]]),
            "gold": torch.cat([outputs["chosen_gold"], outputs["rejected_gold"]]),
        }

    def preferred_gaps(self, outputs: dict[str, Tensor]) -> Tensor:
        """r_chosen - r_rejected of each pair (calibration)."""
        return outputs["chosen"] - outputs["rejected"]

    def evaluation_metrics(self, outputs: dict[str, Tensor]) -> dict[str, Tensor]:
        return pairwise_metrics(**{key: value for key, value in outputs.items() if key != "subset"})
