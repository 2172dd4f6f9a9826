"""The listwise family: K ranked responses per prompt, kept together in one batch element."""

from collections.abc import Callable

import torch
from torch import Tensor

from rmexp.losses.listwise import listwise_pairs
from rmexp.metrics.pairwise import diagnostics
from rmexp.metrics.ranking import kendall_tau, pair_agreement
from rmexp.modules.base import RewardModule
from rmexp.modules.pairwise import freeze_head_bias

ListLoss = Callable[[Tensor, Tensor], Tensor]


def within_list_pairs(values: Tensor) -> tuple[Tensor, Tensor]:
    """[B, K] -> (v_i, v_j) of every pair i < j of each list, flattened."""
    k = values.shape[1]
    first, second = torch.triu_indices(k, k, offset=1, device=values.device)
    return values[:, first].flatten(), values[:, second].flatten()


def within_list_gaps(values: Tensor) -> Tensor:
    """[B, K] -> the gaps v_i - v_j of every pair i < j of each list, flattened."""
    first, second = within_list_pairs(values)
    return first - second


class ListwiseRewardModule(RewardModule):
    """Scores the B x K responses in one forward pass and applies `loss_fn` to the [B, K] rewards."""

    view = "listwise"

    def __init__(self, model, optimizer, scheduler=None, loss_fn: ListLoss = listwise_pairs, **reg):
        super().__init__(model, optimizer, scheduler, **reg)
        freeze_head_bias(model)  # the listwise losses, too, see only reward differences
        self.loss_fn = loss_fn

    def _rewards(self, batch: dict[str, Tensor]) -> Tensor:
        lists, size = batch["ranks"].shape  # rows hold each list's K responses in turn
        groups = torch.arange(lists * size, device=batch["input_ids"].device).view(lists, size)
        return self.grouped_rewards(batch, groups).view(lists, size)

    def training_loss(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        rewards = self._rewards(batch)
        loss = self.loss_fn(rewards, batch["ranks"])
        metrics = {"kendall_tau": kendall_tau(rewards.detach(), batch["ranks"]), "reward_mean": rewards.detach().mean()}
        return loss, rewards.flatten(), metrics

    def evaluation_outputs(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        return {
            "rewards": self._rewards(batch),
            "ranks": batch["ranks"],
            "lengths": batch["response_length"],
            "gold": batch["gold"],
            "prompt_id": batch["prompt_id"],
        }

    def response_table(self, outputs: dict[str, Tensor]) -> dict[str, Tensor]:
        """One row per response: its reward, length in tokens and gold reward (for plots and W&B)."""
        return {
            "reward": outputs["rewards"].flatten(),
            "length": outputs["lengths"].flatten(),
            "gold": outputs["gold"].flatten(),
        }

    def preferred_gaps(self, outputs: dict[str, Tensor]) -> Tensor:
        """r_better - r_worse over every pair of a list that the ranking orders (calibration)."""
        reward_gap, preference_gap = within_list_gaps(outputs["rewards"]), -within_list_gaps(outputs["ranks"].float())
        decided = preference_gap != 0
        return reward_gap[decided] * preference_gap[decided].sign()

    def evaluation_metrics(self, outputs: dict[str, Tensor]) -> dict[str, Tensor]:
        rewards, ranks, gold = outputs["rewards"], outputs["ranks"], outputs["gold"]
        # rank 0 is best, so the target gap of (i, j) is rank_j - rank_i
        preference_gap = -within_list_gaps(ranks.float())
        metrics = {
            "loss": self.loss_fn(rewards, ranks),
            "kendall_tau": kendall_tau(rewards, ranks),
            "accuracy": pair_agreement(within_list_gaps(rewards), preference_gap),
            "reward_mean": rewards.mean(),
            "reward_std": rewards.std(),
        }
        table = self.response_table(outputs)
        metrics |= diagnostics(
            table["reward"],
            table["length"],
            within_list_gaps(rewards),
            preference_gap,
            within_list_pairs(outputs["lengths"].float()),
            table["gold"],
            within_list_gaps(gold),
        )
        if not torch.isnan(gold).any():
            metrics["gold_accuracy"] = pair_agreement(within_list_gaps(rewards), within_list_gaps(gold))
        return metrics
