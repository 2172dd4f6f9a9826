"""Weights & Biases through Lightning, offline unless the user's environment asks for online.

A run must never fail for want of a W&B account or a network: offline needs neither, and an online
start that fails (no API key, no route) falls back to offline with a warning. `wandb sync` uploads
an offline run later.
"""

import logging
import os

from pytorch_lightning.loggers import WandbLogger

log = logging.getLogger(__name__)


def wandb_logger(save_dir: str, project: str = "rmexp", mode: str | None = None, **init_kwargs) -> WandbLogger:
    mode = mode or os.environ.get("WANDB_MODE", "offline")
    logger = WandbLogger(save_dir=save_dir, project=project, mode=mode, **init_kwargs)
    try:
        logger.experiment  # noqa: B018 -- starts the run now, so a failure is caught here, not mid-training
    except Exception as error:
        if mode == "offline":
            raise
        log.warning("W&B could not start in %s mode (%s); logging offline instead.", mode, error)
        logger = WandbLogger(save_dir=save_dir, project=project, mode="offline", **init_kwargs)
        logger.experiment  # noqa: B018
    return logger
