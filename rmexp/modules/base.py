"""What every loss family shares: the reward model, the optimiser, the regularizers, evaluation.

A family says which data view it needs (`view`), how a batch becomes rewards and a loss
(`training_loss`) and what an evaluation split reports (`evaluation_metrics`). Regularizers act on
every reward of a batch, whatever the family, so any of them composes with any loss. Evaluation
metrics are computed once per epoch over the whole split, not averaged over batches, so accuracy
and correlations are exact.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import torch
from pytorch_lightning import LightningModule
from torch import Tensor

from rmexp.errors import TrainingDiverged, UserError
from rmexp.losses.regularizers import length_decorrelation, pair_centering, reward_centering, reward_magnitude
from rmexp.metrics.correlation import pearson
from rmexp.models.odin_head import DisentangledRewardModel
from rmexp.models.reward_model import RewardModel
from rmexp.modules.distributed import gather_split
from rmexp.modules.odin import check_odin, odin_terms

# what the progress bar shows of a validation epoch; every metric still goes to the logger and summary
PROGRESS_BAR_METRICS = ("loss", "accuracy", "gold_accuracy")
OptimizerFactory = Callable[[Iterable[torch.nn.Parameter]], torch.optim.Optimizer]
SchedulerFactory = Callable[..., torch.optim.lr_scheduler.LRScheduler]


class RewardModule(LightningModule):
    view: ClassVar[str]

    def __init__(
        self,
        model: RewardModel,
        optimizer: OptimizerFactory,
        scheduler: SchedulerFactory | None = None,
        center_coef: float = 0.0,
        l2_coef: float = 0.0,
        length_decorrelation_coef: float = 0.0,
        pair_center_coef: float = 0.0,
        odin_length_coef: float = 0.0,
        odin_quality_coef: float = 0.0,
        odin_orthogonality_coef: float = 0.0,
    ):
        super().__init__()
        coefficients = {
            "center_coef": center_coef,
            "l2_coef": l2_coef,
            "length_decorrelation_coef": length_decorrelation_coef,
            "pair_center_coef": pair_center_coef,
            "odin_length_coef": odin_length_coef,
            "odin_quality_coef": odin_quality_coef,
            "odin_orthogonality_coef": odin_orthogonality_coef,
        }
        for key, value in coefficients.items():
            if not isinstance(value, int | float) or value < 0:
                raise UserError(f"loss.{key}={value!r}: expected a number >= 0")
        if pair_center_coef and self.view != "pairwise":
            raise UserError(
                f"loss.pair_center_coef={pair_center_coef}: TRL's centering is over (chosen, rejected) pairs, which "
                f"the {self.view} family does not train on; loss.center_coef centres any batch of rewards"
            )
        check_odin(model, self.view, coefficients)
        self.model = model
        # ODIN's two heads (rmexp/modules/odin.py): (quality, length-head) rewards of the last grouped pass
        self.head_rewards: tuple[Tensor, Tensor] | None = None
        self._length_head_outputs: dict[str, list[dict[str, Tensor]]] = defaultdict(list)
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.coefficients = coefficients
        self._eval_outputs: dict[str, list[dict[str, Tensor]]] = defaultdict(list)
        # the last evaluation epoch's outputs over each whole split, on the host: the test report draws from them
        self.split_outputs: dict[str, dict[str, Tensor]] = {}
        self._train_totals: dict[str, Tensor | int] = {}

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        return self.model(input_ids, attention_mask).float()

    def grouped_rewards(self, batch: dict[str, Tensor], groups: Tensor) -> Tensor:
        """Every row's reward; `groups` [G, K] lists the rows that answer one prompt, which a reward model
        that shares their prompt (rmexp/models/shared_prefix.py) scores in one packed row.

        A two-head model (ODIN) is fit on the sum of its heads in training and scores with its quality head."""
        if isinstance(self.model, DisentangledRewardModel):
            quality, length_rewards = self.model.grouped_heads(batch["input_ids"], batch["attention_mask"], groups)
            self.head_rewards = (quality.float(), length_rewards.float())
            return (quality + length_rewards if self.training else quality).float()
        if isinstance(self.model, RewardModel):  # not an exported transformers model being evaluated
            return self.model.grouped(batch["input_ids"], batch["attention_mask"], groups).float()
        return self(batch["input_ids"], batch["attention_mask"])

    # -- what a family defines ------------------------------------------------------------------
    # A family is `view` (the data view it trains on, rmexp/data/views.py) and these five methods.
    # Training calls `training_loss`; evaluation (validation and test epochs, rmexp-eval) calls
    # `evaluation_outputs` per batch, then `evaluation_metrics` on the split's concatenated outputs;
    # the report (plots, W&B table) reads `response_table` and `preferred_gaps` of the same outputs.
    def training_loss(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
        """The family's loss, every reward of the batch (flat, in `response_length` order), batch metrics."""
        raise NotImplementedError

    def evaluation_outputs(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        """Per-example tensors of one batch, first dimension per example; concatenated over the split."""
        raise NotImplementedError

    def evaluation_metrics(self, outputs: dict[str, Tensor]) -> dict[str, Tensor]:
        """The split's metrics: `loss`, `accuracy`, and `diagnostics` (metrics/).

        `loss` picks the checkpoint, by one rule for every family: the configured `loss.loss_fn` over the
        whole split, regularizers left out (they are not what the data says of the model). Pairwise runs
        also report `bt_log_loss`, the plain BT loss, to compare runs trained with different losses.
        """
        raise NotImplementedError

    def response_table(self, outputs: dict[str, Tensor]) -> dict[str, Tensor]:
        """One row per response, as flat columns `reward`, `length` (tokens) and `gold` (NaN where unknown)."""
        raise NotImplementedError

    def preferred_gaps(self, outputs: dict[str, Tensor]) -> Tensor:
        """r_preferred - r_other over every pair the labels order: the calibration plot's input."""
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------------------------
    def regularization(self, rewards: Tensor, lengths: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """The weighted sum of the active regularizers, and each one's raw value for the logs.

        With ODIN's two heads, `rewards` is their sum; the regularizers act on the quality head, the reward
        that scores, and ODIN's terms join them.
        """
        terms = {}
        if self.head_rewards is not None:
            (rewards, length_rewards), self.head_rewards = self.head_rewards, None
            terms |= odin_terms(self.model, rewards, length_rewards, lengths, self.coefficients)
        if self.coefficients["center_coef"]:
            terms["center"] = (self.coefficients["center_coef"], reward_centering(rewards))
        if self.coefficients["l2_coef"]:
            terms["l2"] = (self.coefficients["l2_coef"], reward_magnitude(rewards))
        if self.coefficients["pair_center_coef"]:  # the pairwise family's rewards: chosen rows, then rejected
            terms["pair_center"] = (self.coefficients["pair_center_coef"], pair_centering(*rewards.chunk(2)))
        if self.coefficients["length_decorrelation_coef"]:
            terms["length_decorrelation"] = (
                self.coefficients["length_decorrelation_coef"],
                length_decorrelation(rewards, lengths),
            )
        total = sum((coef * value for coef, value in terms.values()), rewards.new_zeros(()))
        return total, {f"reg_{name}": value.detach() for name, (_, value) in terms.items()}

    def training_step(self, batch: dict[str, Tensor], batch_index: int) -> Tensor:
        main_loss, rewards, metrics = self.training_loss(batch)
        penalty, penalties = self.regularization(rewards, batch["response_length"].flatten())
        loss = main_loss + penalty
        if not torch.isfinite(loss):  # stop before the step: the last checkpoint stays the last good one
            raise TrainingDiverged(
                f"the training loss is {loss.item()} at step {self.global_step} "
                f"(epoch {self.current_epoch}, batch {batch_index})"
            )
        batch_size = batch["input_ids"].shape[0]
        # Only the loss goes through Lightning's logging each step (the progress bar, the logger's curve):
        # every log call walks all logged results, 1 ms a call on a CPU, a fifth of a small model's step.
        # The epoch means are summed here, on the device, and logged once (on_train_epoch_end).
        self.log("train/loss_step", loss, prog_bar=True, on_step=True, on_epoch=False, batch_size=batch_size)
        for name, value in {"loss": loss, "main_loss": main_loss, **metrics, **penalties}.items():
            total = value.detach() * batch_size
            self._train_totals[name] = self._train_totals[name] + total if name in self._train_totals else total
        self._train_totals["examples"] = self._train_totals.get("examples", 0) + batch_size
        return loss

    def on_train_epoch_start(self) -> None:
        self._train_totals = {}

    def on_train_epoch_end(self) -> None:
        """The epoch's training means over every example, of every process in a distributed run."""
        totals = {name: torch.as_tensor(value, dtype=torch.float32, device=self.device)
                  for name, value in self._train_totals.items()}  # fmt: skip
        if not totals:
            return
        distributed = self.trainer.world_size > 1
        if distributed:
            totals = {name: self.trainer.strategy.reduce(value, reduce_op="sum") for name, value in totals.items()}
        examples = totals.pop("examples")
        # as in _log_split: every process holds the same means; max returns them exactly
        self.log_dict({f"train/{name}": total / examples for name, total in totals.items()},
                      sync_dist=distributed, reduce_fx="max" if distributed else "mean")  # fmt: skip

    def validation_step(self, batch: dict[str, Tensor], batch_index: int) -> None:
        self._eval_outputs["val"].append(self.evaluation_outputs(batch))
        self._keep_length_head_outputs("val", batch)

    def test_step(self, batch: dict[str, Tensor], batch_index: int) -> None:
        self._eval_outputs["test"].append(self.evaluation_outputs(batch))
        self._keep_length_head_outputs("test", batch)

    def _keep_length_head_outputs(self, split: str, batch: dict[str, Tensor]) -> None:
        """A two-head model's length-head rewards of the batch just scored, for `length_head_length_corr`."""
        if self.head_rewards is not None:
            (_, length_rewards), self.head_rewards = self.head_rewards, None
            self._length_head_outputs[split].append(
                {"length_rewards": length_rewards, "lengths": batch["response_length"].flatten().float()}
            )

    def _length_head_metrics(self, split: str) -> dict[str, Tensor]:
        """corr(length-head reward, length) over the split: how much of length the length head took up."""
        batches = self._length_head_outputs.pop(split, [])
        if not batches:
            return {}
        rows = {key: torch.cat([batch[key] for batch in batches]) for key in batches[0]}
        if self.trainer.world_size > 1:  # every rank's rows (the sampler's few padded repeats included)
            rows = {key: self.all_gather(value).flatten() for key, value in rows.items()}
        return {"length_head_length_corr": pearson(rows["length_rewards"], rows["lengths"])}

    def on_validation_epoch_end(self) -> None:
        self._log_split("val")

    def on_test_epoch_end(self) -> None:
        self._log_split("test")

    def _log_split(self, split: str) -> None:
        batches = self._eval_outputs.pop(split, [])
        if not batches:
            return
        outputs = {key: torch.cat([batch[key] for batch in batches]) for key in batches[0]}
        outputs = gather_split(self, outputs, split)
        self.split_outputs[split] = {key: value.detach().cpu() for key, value in outputs.items()}
        metrics = self.evaluation_metrics(outputs) | self._length_head_metrics(split)
        # Every process now holds the metrics of the whole split: nothing to average across them. A
        # distributed run still syncs, by max, which returns that shared value exactly (a mean may round).
        distributed = self.trainer.world_size > 1
        for in_progress_bar in (True, False):  # the bar shows the headline numbers; the logger gets all
            self.log_dict(
                {f"{split}/{name}": value for name, value in metrics.items()
                 if (split == "val" and name in PROGRESS_BAR_METRICS) == in_progress_bar},
                prog_bar=in_progress_bar,
                sync_dist=distributed,
                reduce_fx="max" if distributed else "mean",
            )  # fmt: skip

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Keep the RNG, so that dropout after a resume draws what it would have drawn without the interruption."""
        checkpoint["torch_rng_state"] = torch.get_rng_state()
        if torch.cuda.is_available():  # dropout on a GPU draws from the GPU's generators
            checkpoint["cuda_rng_states"] = torch.cuda.get_rng_state_all()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if "torch_rng_state" in checkpoint:
            torch.set_rng_state(checkpoint["torch_rng_state"])
        if "cuda_rng_states" in checkpoint and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(checkpoint["cuda_rng_states"])

    def configure_optimizers(self) -> Any:
        optimizer = self.optimizer_factory(self.parameters())
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer, num_training_steps=self.trainer.estimated_stepping_batches)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
