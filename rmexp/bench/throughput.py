"""Training speed of a model config on this machine: what a backbone, LoRA or a precision costs per pair.

python -m rmexp.bench.throughput data=hh_rlhf model=minilm +trainer.limit_train_batches=12
python -m rmexp.bench.throughput data=hh_rlhf model=minilm trainer.precision=bf16-mixed +trainer.limit_train_batches=12

It builds exactly what rmexp-train builds from the same overrides and trains one epoch without
validation, logging or checkpoints, timed by `make bench`'s clock (rmexp/bench/timing.py): the first
steps (allocation, kernel selection) are not timed.
Budgets for real runs follow from it: pairs per second times the seconds you can spend.
"""

import hydra
import pytorch_lightning as pl
from hydra.utils import instantiate
from omegaconf import DictConfig
from rich.console import Console

from rmexp import CONFIG_DIR
from rmexp.bench.rmexp_runner import LightningStepClock
from rmexp.bench.timing import StepClock
from rmexp.errors import UserError, exit_on_user_error
from rmexp.train import build

WARMUP_STEPS = 2


def measure(cfg: DictConfig) -> dict[str, float]:
    """One epoch of what rmexp-train builds from `cfg`, timed by the bench's clock after its warm-up steps."""
    pl.seed_everything(cfg.seed, workers=True)
    module, datamodule = build(cfg)
    if module.view != "pairwise":
        raise UserError(f"loss: the throughput tool times pairwise losses; this one trains on the {module.view} view")
    clock = StepClock(WARMUP_STEPS)
    trainer: pl.Trainer = instantiate(cfg.trainer, logger=False, callbacks=[LightningStepClock(clock)], max_epochs=1,
                                      limit_val_batches=0, enable_checkpointing=False)  # fmt: skip
    clock.device = trainer.strategy.root_device
    trainer.fit(module, datamodule=datamodule)
    if len(clock.step_ends) <= WARMUP_STEPS:
        raise UserError(f"trainer.limit_train_batches: time at least {WARMUP_STEPS + 1} steps ({WARMUP_STEPS} warm up)")
    timed = clock.summary()
    return {
        "precision": str(cfg.trainer.precision),
        "timed_steps": timed["timed_steps"],
        "seconds_per_step": timed["seconds"] / timed["timed_steps"],
        "pairs_per_second": timed["pairs_per_second"],
        "tokens_per_second": timed["tokens_per_second"],
        "trainable_parameters": sum(p.numel() for p in module.parameters() if p.requires_grad),
    }


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def main(cfg: DictConfig) -> dict[str, float]:
    result = exit_on_user_error(measure, cfg)
    Console().print(" ".join(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
                             for key, value in result.items()))  # fmt: skip
    return result


if __name__ == "__main__":
    main()
