"""Training speed of a model config on this machine: what a backbone, LoRA or a precision costs per pair.

python -m rmexp.bench.throughput data=hh_rlhf model=minilm +trainer.limit_train_batches=12
python -m rmexp.bench.throughput data=hh_rlhf model=minilm trainer.precision=bf16-mixed +trainer.limit_train_batches=12

It builds exactly what rmexp-train builds from the same overrides and trains one epoch without
validation, logging or checkpoints; the first steps (allocation, kernel selection) are not timed.
Budgets for real runs follow from it: pairs per second times the seconds you can spend.
"""

import time
from typing import Any

import hydra
import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig
from rich.console import Console

from rmexp import CONFIG_DIR
from rmexp.errors import UserError, exit_on_user_error
from rmexp.train import build

WARMUP_STEPS = 2


class StepTimer(pl.Callback):
    """Wall time, sequences and tokens of the training steps after the warm-up ones."""

    def __init__(self, warmup_steps: int = WARMUP_STEPS):
        self.warmup_steps = warmup_steps
        self.seconds, self.sequences, self.tokens, self.steps = 0.0, 0, 0, 0
        self._started = 0.0

    def on_train_batch_start(self, trainer: pl.Trainer, module: pl.LightningModule, batch: Any, index: int) -> None:
        self._started = time.perf_counter()

    def on_train_batch_end(self, trainer: pl.Trainer, module: pl.LightningModule, outputs: Any, batch: Any, index: int):
        if index < self.warmup_steps:
            return
        self.seconds += time.perf_counter() - self._started
        self.sequences += batch["input_ids"].shape[0]
        self.tokens += int(batch["attention_mask"].sum())
        self.steps += 1


def measure(cfg: DictConfig) -> dict[str, float]:
    pl.seed_everything(cfg.seed, workers=True)
    module, datamodule = build(cfg)
    timer = StepTimer()
    trainer: pl.Trainer = instantiate(
        cfg.trainer, logger=False, callbacks=[timer], max_epochs=1, limit_val_batches=0, enable_checkpointing=False
    )
    trainer.fit(module, datamodule=datamodule)
    if not timer.steps:
        raise UserError(f"trainer.limit_train_batches: time at least {WARMUP_STEPS + 1} steps ({WARMUP_STEPS} warm up)")
    pairwise = module.view == "pairwise"  # a pairwise batch holds a chosen and a rejected row per pair
    trainable = sum(parameter.numel() for parameter in module.parameters() if parameter.requires_grad)
    return {
        "precision": str(cfg.trainer.precision),
        "timed_steps": timer.steps,
        "seconds_per_step": timer.seconds / timer.steps,
        "pairs_per_second" if pairwise else "examples_per_second": timer.sequences
        / (2 if pairwise else 1)
        / timer.seconds,
        "tokens_per_second": timer.tokens / timer.seconds,
        "trainable_parameters": trainable,
    }


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def main(cfg: DictConfig) -> dict[str, float]:
    result = exit_on_user_error(measure, cfg)
    Console().print(" ".join(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
                             for key, value in result.items()))  # fmt: skip
    return result


if __name__ == "__main__":
    main()
