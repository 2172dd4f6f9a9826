"""Train a reward model: compose the config, build each part with `_target_`, fit, test, summarise.

rmexp-train                                  # the default: BT on the synthetic lab, tiny model
rmexp-train loss=bt data.lab.beta_len=1.0    # any key can be overridden
rmexp-train --multirun seed=0,1,2            # a sweep over seeds
"""

import logging
import time
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from pytorch_lightning.loggers import WandbLogger
from rich.console import Console
from rich.markup import escape

from rmexp import CONFIG_DIR
from rmexp.errors import UserError, exit_on_user_error
from rmexp.evaluate import report_split
from rmexp.export import export_reward_model
from rmexp.summary import print_results_table, write_json_atomic

log = logging.getLogger(__name__)


def build(cfg: DictConfig) -> tuple[pl.LightningModule, pl.LightningDataModule]:
    """The model, its LightningModule (chosen by `loss`) and the data view that loss asks for."""
    tokenizer = instantiate(cfg.model.tokenizer)
    model = instantiate(cfg.model.reward_model, tokenizer=tokenizer)
    module = instantiate(
        cfg.loss,
        model=model,
        optimizer=instantiate(cfg.optimizer),
        scheduler=instantiate(cfg.scheduler) if cfg.get("scheduler") else None,
    )
    datamodule = instantiate(cfg.data, tokenizer=tokenizer, view=module.view)
    return module, datamodule


def train(cfg: DictConfig, output_dir: Path) -> dict[str, Any]:
    """Fit on train, select by validation, evaluate the best checkpoint on test; return the summary."""
    started = time.time()
    pl.seed_everything(cfg.seed, workers=True)
    module, datamodule = build(cfg)
    logger = instantiate(cfg.logger) if cfg.get("logger") else False
    callbacks = [instantiate(callback) for callback in (cfg.get("callbacks") or {}).values() if callback]
    trainer: pl.Trainer = instantiate(cfg.trainer, logger=logger, callbacks=callbacks)
    if logger:
        logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))

    trainer.fit(module, datamodule=datamodule)
    metrics = {name: float(value) for name, value in trainer.callback_metrics.items()}
    checkpoint = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
    trainer.test(module, datamodule=datamodule, ckpt_path=checkpoint or None, verbose=False)
    metrics.update({name: float(value) for name, value in trainer.callback_metrics.items()})

    summary = {
        "status": "completed",
        "seed": cfg.seed,
        "overrides": list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else [],
        "metrics": metrics,
        "best_checkpoint": checkpoint,
        "epochs": trainer.current_epoch,
        "steps": trainer.global_step,
        "train_pairs_truncated": getattr(datamodule.datasets.get("train"), "truncated", None),
        "data_report": getattr(datamodule, "report", None),
        "wall_time_s": round(time.time() - started, 1),
        "output_dir": str(output_dir),
    }
    write_json_atomic(output_dir / "summary.json", summary)
    summary |= after_training(cfg, module, datamodule, logger, output_dir)
    write_json_atomic(output_dir / "summary.json", summary)
    if isinstance(logger, WandbLogger):
        logger.experiment.finish()  # each run of a sweep gets its own W&B run, even in one process
    return summary


def after_training(
    cfg: DictConfig, module: pl.LightningModule, datamodule: pl.LightningDataModule, logger: Any, output_dir: Path
) -> dict[str, Any]:
    """The test report (plots, W&B table) and the export, each on its own: one failing skips only itself.

    The checkpoint and summary.json are already on disk; a failure here is listed in the summary
    under `after_training_errors` and shown in the terminal, never raised.
    """
    steps = {"report": lambda: report_split(module, datamodule.test_dataloader(), "test", output_dir, logger)["plots"]}
    if cfg.get("export", True):
        steps["export"] = lambda: str(export_reward_model(module.model, datamodule.tokenizer, output_dir / "export"))
    artifacts, errors = {}, {}
    for name, step in steps.items():
        try:
            artifacts[name] = step()
        except Exception as error:  # reported, and the run's results are kept
            log.warning("after training, %s failed: %s", name, error, exc_info=not isinstance(error, UserError))
            errors[name] = f"{type(error).__name__}: {error}"
    return {"artifacts": artifacts, "after_training_errors": errors}


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def main(cfg: DictConfig) -> dict[str, Any]:
    output_dir = Path(cfg.paths.output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    summary = exit_on_user_error(train, cfg, output_dir)
    print_results_table(summary["metrics"])
    for step, message in summary.get("after_training_errors", {}).items():
        Console(stderr=True, soft_wrap=True).print(f"[yellow]{step} skipped:[/] {escape(message)}", highlight=False)
    Console().print(f"run folder: {output_dir}")
    return summary


if __name__ == "__main__":
    main()
