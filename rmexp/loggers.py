"""The run's loggers: one or several (`logger=[wandb,csv]`), W&B offline unless asked for online, MLflow in a folder.

Each option of the `logger` group sits under its own name (`logger.wandb.project=...`), as in
lightning-hydra-template, so that a list of options composes into several loggers side by side.

A run must never fail for want of a W&B account or a network: offline needs neither, and an online
start that fails (no API key, no route) falls back to offline with a warning. `wandb sync` uploads
an offline run later, and refuses a run whose job type is longer than W&B's limit: a long variant
is cut to fit, with a hash that keeps two variants apart (the whole overrides stay in the config).
"""

import hashlib
import logging
import os
from pathlib import Path

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from hydra.utils import instantiate
from omegaconf import DictConfig
from pytorch_lightning.loggers import Logger, WandbLogger

from rmexp.logger_options import logger_configs

log = logging.getLogger(__name__)

JOB_TYPE_LIMIT = 64  # characters: W&B's limit, enforced by `wandb sync`


def build_loggers(logger_config: DictConfig | None, wandb_id: str | None = None) -> list[Logger]:
    """The configured loggers; `wandb_id` continues that W&B run (a resume) rather than starting a new one."""
    loggers = []
    for config in logger_configs(logger_config):
        is_wandb = str(config.get("_target_", "")).endswith("wandb_logger")
        loggers.append(
            instantiate(config, id=wandb_id, resume="allow") if is_wandb and wandb_id else instantiate(config)
        )
    return loggers


def wandb_of(loggers: list[Logger]) -> WandbLogger | None:
    """The W&B logger among them, which alone takes plots, tables and a run to finish."""
    return next((logger for logger in loggers if isinstance(logger, WandbLogger)), None)


def log_export_artifact(loggers: list[Logger], folder: Path) -> str:
    """The export folder as a W&B model artifact of this run (an offline run keeps it for `wandb sync`); its name."""
    import wandb

    run = wandb_of(loggers).experiment
    description = "rmexp export: AutoModelForSequenceClassification and its model card"
    artifact = wandb.Artifact(name=f"reward-model-{run.id}", type="model", description=description)
    artifact.add_dir(str(folder))
    run.log_artifact(artifact)
    return artifact.name


def log_final_metrics(loggers: list[Logger], metrics: dict[str, float]) -> None:
    """A command's result metrics in every logger, written out now (a CSV or MLflow logger buffers them)."""
    for logger in loggers:
        logger.log_metrics(metrics)
        logger.save()


def finish_wandb(loggers: list[Logger], exit_code: int = 0) -> None:
    """Close this run's W&B run, so each run of a sweep gets its own, even in one process."""
    if (wandb := wandb_of(loggers)) is not None:
        wandb.experiment.finish(exit_code=exit_code)


def fitting_job_type(job_type: str, limit: int = JOB_TYPE_LIMIT) -> str:
    """The variant as it is where it fits; else its start, `~` and 8 hex digits of its hash."""
    if len(job_type) <= limit:
        return job_type
    digest = hashlib.sha1(job_type.encode()).hexdigest()[:8]
    return f"{job_type[: limit - len(digest) - 1]}~{digest}"


def quiet_console() -> None:
    """Python's warnings into the run's log file (conf/hydra/job_logging/rmexp.yaml), W&B's own chatter off.

    W&B prints its run history and summary at every finish, thirty lines above the results table;
    `WANDB_SILENT=false` in the environment brings them back.
    """
    logging.captureWarnings(True)
    os.environ.setdefault("WANDB_SILENT", "true")


def without_anonymous(logger: WandbLogger) -> WandbLogger:
    """Lightning passes `anonymous=None` to wandb.init, which W&B answers with a deprecation warning at every run."""
    init_arguments = getattr(logger, "_wandb_init", {})
    if init_arguments.get("anonymous", False) is None:
        del init_arguments["anonymous"]
    return logger


def in_a_sweep() -> bool:
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def wandb_logger(
    save_dir: str,
    project: str = "rmexp",
    mode: str | None = None,
    group: str | None = None,
    job_type: str = "",
    name: str | None = None,
    **init_kwargs,
) -> WandbLogger:
    """The W&B logger; `group` (the sweep folder) only for the jobs of a sweep, where that folder exists."""
    mode = mode or os.environ.get("WANDB_MODE", "offline")
    init_kwargs |= {
        "group": group if in_a_sweep() else None,
        "job_type": fitting_job_type(job_type) or None,
        "name": name.strip() if name else None,
    }
    logger = without_anonymous(WandbLogger(save_dir=save_dir, project=project, mode=mode, **init_kwargs))
    try:
        logger.experiment  # noqa: B018 -- starts the run now, so a failure is caught here, not mid-training
    except Exception as error:
        if mode == "offline":
            raise
        log.warning("W&B could not start in %s mode (%s); logging offline instead.", mode, error)
        logger = without_anonymous(WandbLogger(save_dir=save_dir, project=project, mode="offline", **init_kwargs))
        logger.experiment  # noqa: B018
    return logger


def mlflow_logger(tracking_uri: str, **kwargs) -> Logger:
    """MLflow's logger; a `file:` tracking URI (a folder, no server) is allowed, as MLflow 3 no longer does by default.

    MLflow 3 refuses its file store unless MLFLOW_ALLOW_FILE_STORE is set, and its database store
    needs SQLAlchemy 2, which the Optuna sweeper's pin excludes; the folder keeps a run self-contained.
    """
    from pytorch_lightning.loggers import MLFlowLogger  # only where MLflow is asked for

    if tracking_uri.startswith("file:"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return MLFlowLogger(tracking_uri=tracking_uri, **kwargs)
