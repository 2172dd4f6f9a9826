"""Train a reward model: compose the config, build each part with `_target_`, fit, test, summarise.

rmexp-train                                  # the default: BT on the synthetic lab, tiny model
rmexp-train loss=bt data.lab.beta_len=1.0    # any key can be overridden
rmexp-train --multirun seed=0,1,2            # a sweep over seeds
rmexp-train resume=outputs/train/<run>       # an interrupted run, on from its last epoch

`summary.json` in the run folder always says how the run stands: `running` from the start, then
`completed`, or `failed` / `diverged` / `interrupted` with an `error` and the metrics reached. In a
sweep a job that stops that way does not stop the others; `rmexp-compare` lists it. The validation
and test metrics are both those of the best checkpoint, the one the run keeps and exports.
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
from pytorch_lightning.callbacks import LearningRateMonitor, ProgressBar
from pytorch_lightning.loggers import Logger
from pytorch_lightning.trainer.states import TrainerStatus
from pytorch_lightning.utilities import rank_zero_only
from rich.console import Console
from rich.markup import escape

from rmexp import CONFIG_DIR
from rmexp.config_checks import check_train_config
from rmexp.config_tree import print_config_tree
from rmexp.devices import check_accelerator, slow_precision
from rmexp.errors import TrainingDiverged, UserError, composed_or_exit_2, describe_user_error
from rmexp.evaluate import report_split
from rmexp.export import export_reward_model
from rmexp.hub import push_export
from rmexp.lifecycle import RunStopped, Terminated, run_job, sigterm_stops_the_run
from rmexp.logger_options import logger_configs
from rmexp.loggers import build_loggers, finish_wandb, log_export_artifact, wandb_of
from rmexp.model_card import training_record
from rmexp.resume import MovedRunFolder, previous_summary, resumed_config
from rmexp.summary import print_results_table, write_config, write_json_atomic

log = logging.getLogger(__name__)
WANDB_ID_FILE = "wandb_run_id"


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
    # data grouped by length groups a model that packs each prompt's responses by the packed width
    datamodule = instantiate(cfg.data, tokenizer=tokenizer, view=module.view, shared_prefix=model.share_prefix)
    return module, datamodule


def run_loggers(cfg: DictConfig, output_dir: Path) -> list[Logger]:
    """The configured loggers; a W&B run's id is kept in the run folder so that a resume continues it."""
    id_file = output_dir / WANDB_ID_FILE
    resumed_id = id_file.read_text().strip() if cfg.get("resume") and id_file.is_file() else None
    loggers = build_loggers(cfg.get("logger"), resumed_id)
    if (wandb := wandb_of(loggers)) is not None and rank_zero_only.rank == 0:  # other DDP processes hold no W&B run
        id_file.write_text(wandb.experiment.id)
    return loggers


def build_callbacks(cfg: DictConfig) -> list[pl.Callback]:
    """The configured callbacks, less a progress bar the trainer is told not to show, or a monitor with no logger."""
    callbacks = [instantiate(callback) for callback in (cfg.get("callbacks") or {}).values() if callback]
    if not cfg.trainer.get("enable_progress_bar", True):
        callbacks = [callback for callback in callbacks if not isinstance(callback, ProgressBar)]
    if not logger_configs(cfg.get("logger")):  # Lightning refuses a learning-rate monitor with nothing to log to
        callbacks = [callback for callback in callbacks if not isinstance(callback, LearningRateMonitor)]
    return callbacks


def train(cfg: DictConfig, output_dir: Path, checkpoint: Path | None = None) -> dict[str, Any]:
    """Fit on train, select by validation, evaluate the best checkpoint on val and test; return the summary.

    `checkpoint` resumes training from it. Whatever stops the run, `summary.json` says so before
    `RunStopped` (or the error of a bug) is raised, and the checkpoints stay. A resume writes nothing
    until its config has built the model, the data and the trainer: a refused one leaves the run as it was.
    """
    started = time.time()
    previous = previous_summary(output_dir) if checkpoint else {}
    summary: dict[str, Any] = {
        "status": "running",
        "seed": cfg.seed,
        "overrides": previous.get("overrides", []) if checkpoint else task_overrides(),
        "metrics": {},
        "output_dir": str(output_dir),
    }
    if previous:  # what the run had reached, kept whatever becomes of the resume
        summary["before_resume"] = {key: value for key, value in previous.items() if key != "before_resume"}
    trainer, loggers, recording = None, [], False
    with sigterm_stops_the_run():
        try:
            if checkpoint is None:
                recording = start_record(cfg, output_dir, summary)
            check_train_config(cfg)
            check_accelerator(cfg.trainer.get("accelerator", "cpu"))
            if warning := slow_precision(cfg.trainer.get("accelerator", "cpu"), cfg.trainer.get("precision")):
                log.warning(warning)
            pl.seed_everything(cfg.seed, workers=True)
            module, datamodule = build(cfg)
            loggers = run_loggers(cfg, output_dir)
            callbacks = [*build_callbacks(cfg), *([MovedRunFolder()] if checkpoint else [])]
            trainer = instantiate(cfg.trainer, logger=loggers or False, callbacks=callbacks)
            if checkpoint is not None:  # the resumed config is sound: from here on the run folder changes
                recording = start_record(cfg, output_dir, summary)
            for logger in loggers:
                logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))
            trainer.fit(module, datamodule=datamodule, ckpt_path=checkpoint)
            summary["metrics"] = callback_metrics(trainer)
            best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
            if best:  # validation of the checkpoint that is tested, not of the last epoch
                trainer.validate(module, datamodule=datamodule, ckpt_path=best, verbose=False)
                summary["metrics"] |= callback_metrics(trainer)
            trainer.test(module, datamodule=datamodule, ckpt_path=best or None, verbose=False)
            summary["metrics"] |= callback_metrics(trainer)
            if trainer.is_global_zero:  # under DDP the first process writes the summary, the report and the export
                summary |= {
                    "status": "completed",
                    "best_checkpoint": best,
                    "epochs": trainer.current_epoch,
                    "steps": trainer.global_step,
                    "train_pairs_truncated": getattr(datamodule.datasets.get("train"), "truncated", None),
                    "data_report": getattr(datamodule, "report", None),
                    "wall_time_s": round(time.time() - started, 1),
                }
                write_json_atomic(output_dir / "summary.json", summary)
        except BaseException as error:
            status, message, exit_code = stop_reason(error, trainer)
            if recording:  # a refused resume leaves the summary as it was
                if trainer is not None:
                    summary["metrics"] |= callback_metrics(trainer)
                summary |= {"status": status, "error": message, "steps": trainer.global_step if trainer else 0}
                summary |= {
                    "last_checkpoint": last_checkpoint(output_dir),
                    "wall_time_s": round(time.time() - started, 1),
                }
                message += record_failure(output_dir / "summary.json", summary)
            finish_wandb(loggers, exit_code)
            if status == "failed" and describe_user_error(error) is None and not isinstance(error, SystemExit):
                raise  # a bug: its traceback is what a developer needs
            raise RunStopped(status, message, exit_code) from error

    if not trainer.is_global_zero:
        return summary
    summary |= after_training(cfg, module, datamodule, loggers, output_dir, summary)
    write_json_atomic(output_dir / "summary.json", summary)
    finish_wandb(loggers)
    return summary


def task_overrides() -> list[str]:
    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


def start_record(cfg: DictConfig, output_dir: Path, summary: dict[str, Any]) -> bool:
    """Write the run's config and its `running` summary: as a run starts, or once a resume's config proved sound."""
    write_config(output_dir, cfg)
    write_json_atomic(output_dir / "summary.json", summary)
    return True


def record_failure(path: Path, summary: dict[str, Any]) -> str:
    """Write the summary of a run that stopped; what to add to its message when even that fails (a full disk)."""
    try:
        write_json_atomic(path, summary)
    except OSError as error:
        return f"; and {path} could not be updated ({error.strerror}), so it does not say so"
    return ""


def callback_metrics(trainer: pl.Trainer) -> dict[str, float]:
    return {name: float(value) for name, value in trainer.callback_metrics.items()}


def stop_reason(error: BaseException, trainer: pl.Trainer | None) -> tuple[str, str, int]:
    """(status, message, exit code) of a run that did not complete."""
    if isinstance(error, TrainingDiverged):
        saved = trainer is not None and getattr(trainer.checkpoint_callback, "best_model_path", "")
        kept = "the last good checkpoint is kept" if saved else "no checkpoint was saved before it"
        return "diverged", f"{error}; {kept}", 1
    sigterm = isinstance(error, Terminated) or (trainer is not None and trainer.received_sigterm)
    # Lightning turns Ctrl-C into sys.exit(1) after marking the trainer interrupted
    ctrl_c = not sigterm and (
        isinstance(error, KeyboardInterrupt)
        or (isinstance(error, SystemExit) and trainer is not None and trainer.state.status == TrainerStatus.INTERRUPTED)
    )
    if sigterm or ctrl_c:
        how = "SIGTERM" if sigterm else "Ctrl-C"
        return "interrupted", f"stopped by {how}; resume with resume=<this run folder>", 130 if ctrl_c else 143
    message = describe_user_error(error) if isinstance(error, Exception) else None
    if message is not None:
        return "failed", message, 2
    return "failed", f"{type(error).__name__}: {error}", 1


def last_checkpoint(output_dir: Path) -> str | None:
    last = output_dir / "checkpoints" / "last.ckpt"
    return str(last) if last.is_file() else None


def after_training(
    cfg: DictConfig,
    module: pl.LightningModule,
    datamodule: pl.LightningDataModule,
    loggers: list[Logger],
    output_dir: Path,
    summary: dict[str, Any],
) -> dict[str, Any]:
    """The test report (plots, W&B table), the export with its model card and its push to the hub, each on
    its own: one failing skips only itself (and a push, the export it would upload).

    The checkpoint and summary.json are already on disk; a failure here is listed in the summary
    under `after_training_errors` and shown in the terminal, never raised.
    """
    # the test epoch's own outputs: plots and intervals from the rewards the test metrics came from, scored once
    test_outputs = module.split_outputs["test"]
    steps = {"report": lambda: report_split(module, test_outputs, "test", output_dir, loggers,
                                            bootstrap_samples=cfg.bootstrap_samples)}  # fmt: skip
    artifacts, errors = {}, {}

    def export() -> str:
        intervals = artifacts.get("report", {}).get("intervals", {})
        record = training_record(cfg, module.model.backbone, summary, intervals)
        return str(export_reward_model(module.model, datamodule.tokenizer, output_dir / "export", record))

    def push() -> str:
        if "export" not in artifacts:
            raise UserError(f"push_to_hub={cfg.push_to_hub}: nothing to push, the export failed")
        return push_export(Path(artifacts["export"]), cfg.push_to_hub, cfg.get("hub_private", True))

    if cfg.get("export", True):
        steps["export"] = export
    if cfg.get("push_to_hub"):
        steps["push_to_hub"] = push
    if cfg.get("export_artifact") and "export" in steps:
        steps["export_artifact"] = lambda: log_export_artifact(loggers, output_dir / "export")
    for name, step in steps.items():
        try:
            artifacts[name] = step()
        except Exception as error:  # reported, and the run's results are kept
            log.warning("after training, %s failed: %s", name, error, exc_info=not isinstance(error, UserError))
            errors[name] = f"{type(error).__name__}: {error}"
    report = artifacts.pop("report", {})
    if report:
        artifacts["report"] = report["plots"]
    return {"artifacts": artifacts, "intervals": report.get("intervals", {}), "after_training_errors": errors}


def run(cfg: DictConfig, output_dir: Path) -> dict[str, Any]:
    """One run, resumed or new, in its run folder (a resumed run's own); its results table at the end."""
    checkpoint = None
    if cfg.get("resume"):
        cfg, checkpoint = resumed_config(cfg, list(HydraConfig.get().overrides.task))
        output_dir = Path(cfg.paths.output_dir)
    print_config_tree(cfg)
    summary = train(cfg, output_dir, checkpoint)
    print_results_table(summary["metrics"], intervals=summary.get("intervals"))
    for step, message in summary.get("after_training_errors", {}).items():
        Console(stderr=True, soft_wrap=True).print(f"[yellow]{step} skipped:[/] {escape(message)}", highlight=False)
    Console().print(f"run folder: {output_dir}")
    objective = cfg.get("optimized_metric")
    if objective and objective not in summary["metrics"]:
        raise UserError(
            f"optimized_metric={objective!r}: the run has no such metric; it has {sorted(summary['metrics'])}"
        )
    return summary


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="train")
def main(cfg: DictConfig) -> dict[str, Any] | float | None:
    """The summary; or, for a hyper-parameter search (`optimized_metric` set), the number the sweeper optimises.

    The job's lifecycle (rmexp/lifecycle.py): a stopped run exits non-zero unless it is one job of a sweep.
    """
    summary = run_job(cfg, run)
    objective = cfg.get("optimized_metric")
    if not objective:
        return summary
    return float("nan") if summary is None else summary["metrics"][objective]


cli = composed_or_exit_2(main)  # the installed command (pyproject.toml)

if __name__ == "__main__":
    cli()
