"""Evaluate a trained reward model on any data config and write the report a training run writes.

rmexp-eval reward_model=outputs/train/<run>                        # the lab's test split, BT metrics
rmexp-eval reward_model=exported/ loss=plackett_luce split=val      # the loss picks the view and metrics

The report is the same everywhere: the family's metrics (with the length-bias and calibration
diagnostics) in `summary.json` and the terminal table, the plots as PNG, and, where a W&B logger is
given, the same scalars, plots and a table of per-response rewards and lengths. A model from a
training run is judged on that run's data and seed unless `data` keys say otherwise, which a warning
then names (rmexp/judged_data.py): for the lab, its test split is then the one training held out.
"""

import time
from pathlib import Path
from typing import Any

import hydra
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from omegaconf import DictConfig
from pytorch_lightning import LightningDataModule
from pytorch_lightning.callbacks import RichProgressBar
from pytorch_lightning.loggers import Logger
from rich.console import Console
from torch.utils.data import DataLoader

from rmexp import CONFIG_DIR
from rmexp.config_checks import check_eval_config
from rmexp.data.splits import SPLITS
from rmexp.devices import resolve_device
from rmexp.errors import UserError, composed_or_exit_2
from rmexp.export import load_reward_model
from rmexp.judged_data import with_the_runs_data
from rmexp.lifecycle import run_job
from rmexp.loggers import build_loggers, finish_wandb, log_final_metrics, wandb_of
from rmexp.metrics.pairwise import subset_accuracy
from rmexp.metrics.prompt_bootstrap import prompt_bootstrap_intervals
from rmexp.modules.base import RewardModule
from rmexp.plots import plot_reliability_diagram, plot_reward_against_length
from rmexp.summary import print_results_table, write_config, write_json_atomic


def scored_split(
    module: RewardModule, dataloader: DataLoader, device: torch.device, progress_bar: bool = True
) -> dict[str, torch.Tensor]:
    """The family's per-example tensors over a whole split, from Lightning's test loop on `device`: the very
    epoch a training run ends with (its progress bar, its device placement), whichever split it reads."""
    accelerator = {"cuda": "gpu"}.get(device.type, device.type)
    devices = [device.index] if device.type == "cuda" and device.index is not None else 1
    callbacks = [RichProgressBar()] if progress_bar else []
    trainer = pl.Trainer(accelerator=accelerator, devices=devices, logger=False, enable_checkpointing=False,
                         enable_model_summary=False, enable_progress_bar=progress_bar, callbacks=callbacks)  # fmt: skip
    trainer.test(module, dataloaders=dataloader, verbose=False)
    return module.split_outputs["test"]


def report_split(
    module: RewardModule,
    outputs: dict[str, torch.Tensor],
    split: str,
    output_dir: Path,
    loggers: list[Logger] = (),
    subset_names: list[str] | None = None,
    bootstrap_samples: int = 0,
) -> dict[str, Any]:
    """Metrics of one split's outputs with their prompt-bootstrap intervals, its plots in `output_dir/plots`,
    and the same in W&B where a logger is given.

    `outputs` are the family's evaluation outputs over the whole split: those a test epoch gathered
    (`RewardModule.split_outputs`), or `scored_split` for a model evaluated outside training.
    """

    def metrics_of(outputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        metrics = module.evaluation_metrics(outputs)
        if subset_names:
            metrics |= subset_accuracy(outputs["chosen"], outputs["rejected"], outputs["subset"], subset_names)
        return metrics

    metrics = {f"{split}/{name}": float(value) for name, value in metrics_of(outputs).items()}
    with torch.no_grad():
        intervals = prompt_bootstrap_intervals(metrics_of, outputs, bootstrap_samples)
    intervals = {f"{split}/{name}": interval for name, interval in intervals.items()}
    table = module.response_table(outputs)
    plots = {
        "reward_vs_length": plot_reward_against_length(
            table["reward"], table["length"], output_dir / "plots" / f"{split}_reward_vs_length.png", split
        ),
        "reliability": plot_reliability_diagram(
            module.preferred_gaps(outputs), output_dir / "plots" / f"{split}_reliability.png", title=split
        ),
    }
    if (wandb_logger := wandb_of(loggers)) is not None:
        import wandb

        wandb_logger.experiment.log({f"{split}/{name}_plot": wandb.Image(str(path)) for name, path in plots.items()})
        wandb_logger.log_table(
            key=f"{split}/responses",
            columns=list(table),
            data=torch.stack([column.float() for column in table.values()], dim=1).tolist(),
        )
    return {"metrics": metrics, "intervals": intervals, "plots": {name: str(path) for name, path in plots.items()}}


def evaluate(cfg: DictConfig, output_dir: Path, overrides: list[str] | None = None) -> dict[str, Any]:
    """Load the model, build the family and the data (the run's, `overrides` on top), report one split."""
    started = time.time()
    check_eval_config(cfg)
    if cfg.split not in SPLITS:
        raise UserError(f"split={cfg.split!r}: expected one of {list(SPLITS)}")
    device = resolve_device(cfg.device)
    cfg, judged_on = with_the_runs_data(cfg, overrides)
    model, tokenizer = load_reward_model(cfg.reward_model)
    module: RewardModule = instantiate(cfg.loss, model=model, optimizer=None)
    datamodule: LightningDataModule = instantiate(cfg.data, tokenizer=tokenizer, view=module.view)
    datamodule.setup("test" if cfg.split == "test" else "fit")
    dataloader = getattr(datamodule, f"{cfg.split}_dataloader")()
    loggers = build_loggers(cfg.get("logger"))
    subset_names = getattr(dataloader.dataset, "subset_names", None)
    outputs = scored_split(module, dataloader, device, cfg.progress_bar)
    report = report_split(module, outputs, cfg.split, output_dir, loggers, subset_names, cfg.bootstrap_samples)
    summary = {
        "status": "completed",
        "reward_model": str(cfg.reward_model),
        "judged_on": judged_on,
        **report,
        "wall_time_s": round(time.time() - started, 1),
        "output_dir": str(output_dir),
    }
    write_json_atomic(output_dir / "summary.json", summary)
    log_final_metrics(loggers, report["metrics"])
    finish_wandb(loggers)
    return summary


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="eval")
def main(cfg: DictConfig) -> dict[str, Any] | None:
    """As every command (rmexp/lifecycle.py): a mistake is one line and exit 2."""
    return run_job(cfg, evaluation_job)


def evaluation_job(cfg: DictConfig, output_dir: Path) -> dict[str, Any]:
    write_config(output_dir, cfg)
    summary = evaluate(cfg, output_dir)
    print_results_table(summary["metrics"], splits=(cfg.split,), intervals=summary["intervals"])
    Console().print(f"report: {output_dir}")
    return summary


cli = composed_or_exit_2(main)  # the installed command (pyproject.toml)

if __name__ == "__main__":
    cli()
