"""The pairwise family: a reward model trained on (prompt, chosen, rejected)."""

from collections.abc import Callable

from torch import Tensor

from rmexp.losses.pairwise import bradley_terry
from rmexp.metrics.pairwise import pair_accuracy, pairwise_metrics
from rmexp.modules.base import OptimizerFactory, RewardModule, SchedulerFactory

PairLoss = Callable[[Tensor, Tensor], Tensor]


class PairwiseRewardModule(RewardModule):
    """Scores chosen and rejected in one forward pass over a 2B batch, then applies `loss_fn`."""

    view = "pairwise"

    def __init__(
        self,
        model,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None = None,
        loss_fn: PairLoss = bradley_terry,
    ):
        super().__init__(model, optimizer, scheduler)
        self.loss_fn = loss_fn

    def _rewards(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        chosen, rejected = self(batch["input_ids"], batch["attention_mask"]).float().chunk(2)
        return chosen, rejected

    def training_loss(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
        chosen, rejected = self._rewards(batch)
        metrics = {
            "accuracy": pair_accuracy(chosen.detach(), rejected.detach()),
            "reward_mean": (chosen.detach().mean() + rejected.detach().mean()) / 2,
            "margin_mean": (chosen.detach() - rejected.detach()).mean(),
        }
        return self.loss_fn(chosen, rejected), metrics

    def evaluation_outputs(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        chosen, rejected = self._rewards(batch)
        chosen_length, rejected_length = batch["response_length"].chunk(2)
        chosen_gold, rejected_gold = batch["gold"].chunk(2)
        return {
            "chosen": chosen,
            "rejected": rejected,
            "chosen_length": chosen_length,
            "rejected_length": rejected_length,
            "chosen_gold": chosen_gold,
            "rejected_gold": rejected_gold,
        }

    def evaluation_metrics(self, outputs: dict[str, Tensor]) -> dict[str, Tensor]:
        return pairwise_metrics(**outputs)
