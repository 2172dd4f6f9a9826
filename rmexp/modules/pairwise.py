"""The pairwise family: a reward model trained on (prompt, chosen, rejected)."""

import inspect
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from rmexp.errors import UserError
from rmexp.losses.bootstrap import bootstrap_counts, resampled_member_loss
from rmexp.losses.pairwise import bradley_terry
from rmexp.metrics.disagreement import ensemble_metrics
from rmexp.metrics.pairwise import pair_accuracy, pairwise_metrics
from rmexp.models.ensemble import EnsembleRewardModel
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


# the per-pair numbers every pairwise batch carries (rmexp/data/pairwise_dataset.py's collate)
PAIR_FIELDS = ("margin", "probability")
# what pairwise_metrics reads of the evaluation outputs (the rest: subsets, an ensemble's members)
PAIRWISE_METRIC_INPUTS = ("chosen", "rejected", "chosen_length", "rejected_length", "chosen_gold", "rejected_gold")


def check_pair_fields(loss_fn: PairLoss, pair_fields: tuple[str, ...]) -> None:
    """Each field must be one the batch carries and a keyword the loss takes: refused at the config, not mid-step."""
    parameters = inspect.signature(loss_fn).parameters
    for name in pair_fields:
        if name not in PAIR_FIELDS:
            raise UserError(f"loss.pair_fields: {name!r} is not a per-pair field of the data; expected one of "
                            f"{list(PAIR_FIELDS)}")  # fmt: skip
        if name not in parameters:
            loss_name = getattr(getattr(loss_fn, "func", loss_fn), "__name__", str(loss_fn))
            raise UserError(f"loss.pair_fields: {name!r} is not a keyword of loss.loss_fn ({loss_name})")


class PairwiseRewardModule(RewardModule):
    """Scores chosen and rejected in one forward pass over a 2B batch, then applies `loss_fn`.

    `pair_fields` names the per-pair numbers of the batch the loss reads besides the two rewards, each
    passed as the keyword of the same name: `[margin]` for BT-margin (the chosen reward must win by
    at least the data's margin), `[probability]` for soft-label BT. A new per-pair input is a loss
    function with that keyword, its config, and the field in the data format (README, Extending rmexp).
    """

    view = "pairwise"

    def __init__(self, model, optimizer, scheduler=None, loss_fn: PairLoss = bradley_terry,
                 pair_fields: Sequence[str] = (), **reg):  # fmt: skip
        super().__init__(model, optimizer, scheduler, **reg)
        freeze_head_bias(model)
        self.loss_fn = loss_fn
        self.pair_fields = tuple(pair_fields)
        check_pair_fields(loss_fn, self.pair_fields)

    @staticmethod
    def _pair_groups(batch: dict[str, Tensor]) -> Tensor:
        """[B, 2]: pair i's two rows, i (chosen) and B + i (rejected)."""
        pairs = batch["input_ids"].shape[0] // 2
        rows = torch.arange(pairs, device=batch["input_ids"].device)
        return torch.stack([rows, rows + pairs], dim=1)

    def _rewards(self, batch: dict[str, Tensor]) -> Tensor:
        """[2B]: the B chosen rows, then the B rejected rows, pair i's two in rows i and B + i."""
        return self.grouped_rewards(batch, self._pair_groups(batch))

    def _member_rewards(self, batch: dict[str, Tensor]) -> Tensor:
        """[2B, K]: every ensemble member's rewards, rows as in `_rewards`."""
        return self.model.grouped_members(batch["input_ids"], batch["attention_mask"], self._pair_groups(batch)).float()

    def _ensemble_loss(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        """The members' mean loss, each member on its bootstrap resample of the pairs; the rewards [2B, K]."""
        members = self._member_rewards(batch)
        chosen, rejected = members.chunk(2)
        settings = self.model.ensemble
        if settings.bootstrap:
            counts = bootstrap_counts(settings.seed, settings.members, batch["pair_index"])
        else:  # every member on every pair: the members differ by their heads' random start alone
            counts = torch.ones_like(chosen, dtype=torch.long)
        fields = {name: batch[name] for name in self.pair_fields}
        return resampled_member_loss(self.loss_fn, chosen, rejected, counts, **fields), members

    def training_loss(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        if isinstance(self.model, EnsembleRewardModel):
            # the regularizers act on the members' mean reward; accuracy is the aggregate's
            loss, members = self._ensemble_loss(batch)
            rewards = members.mean(-1)
            chosen, rejected = self.model.aggregate(members.detach()).chunk(2)
        else:
            rewards = self._rewards(batch)
            chosen, rejected = rewards.chunk(2)
            loss = self.loss_fn(chosen, rejected, **{name: batch[name] for name in self.pair_fields})
        metrics = {
            "accuracy": pair_accuracy(chosen.detach(), rejected.detach()),
            "reward_mean": rewards.detach().mean(),
            "margin_mean": (chosen.detach() - rejected.detach()).mean(),
        }
        return loss, rewards, metrics

    def evaluation_outputs(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        chosen_length, rejected_length = batch["response_length"].chunk(2)
        chosen_gold, rejected_gold = batch["gold"].chunk(2)
        if isinstance(self.model, EnsembleRewardModel):
            chosen_members, rejected_members = self._member_rewards(batch).chunk(2)
            chosen, rejected = self.model.aggregate(chosen_members), self.model.aggregate(rejected_members)
            members = {"chosen_members": chosen_members, "rejected_members": rejected_members}
        else:
            chosen, rejected = self._rewards(batch).chunk(2)
            members = {}
        return {
            **members,
            "chosen": chosen,
            "rejected": rejected,
            "chosen_length": chosen_length,
            "rejected_length": rejected_length,
            "chosen_gold": chosen_gold,
            "rejected_gold": rejected_gold,
            "subset": batch["subset"],
            "prompt_id": batch["prompt_id"],
            **{name: batch[name] for name in self.pair_fields},
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
        metrics = pairwise_metrics(**{key: value for key, value in outputs.items() if key in PAIRWISE_METRIC_INPUTS})
        if "chosen_members" in outputs:
            members = (outputs["chosen_members"], outputs["rejected_members"])
            aggregate = (outputs["chosen"], outputs["rejected"])
            metrics |= ensemble_metrics(*members, *aggregate, outputs["chosen_gold"], outputs["rejected_gold"])
        fields = {name: outputs[name] for name in self.pair_fields}
        return metrics | {"loss": self.loss_fn(outputs["chosen"], outputs["rejected"], **fields)}
