"""Resume an interrupted run in its own folder: `rmexp-train resume=<run folder>`.

The run's saved `config.yaml` is the config, so nothing has to be repeated; plain keys given beside
`resume` change it (`trainer.max_epochs=8` trains on). Training restarts from `checkpoints/last.ckpt`,
written at the end of every epoch, and continues the same W&B run. The part of an epoch done before
the interruption is done again: in deterministic mode the resumed run ends with the metrics the
uninterrupted run would have had, whatever instant it was killed at.
"""

import json
from pathlib import Path

import yaml
from omegaconf import DictConfig, OmegaConf

from rmexp.errors import UserError

RESUME_KEYS = ("resume", "+resume", "++resume")


def resumed_config(cfg: DictConfig, overrides: list[str]) -> tuple[DictConfig, Path]:
    """The saved config of the run `cfg.resume` names, with `overrides` on top, and its last checkpoint."""
    run_dir = Path(cfg.resume)
    saved, checkpoint = run_dir / "config.yaml", run_dir / "checkpoints" / "last.ckpt"
    if not saved.is_file():
        raise UserError(f"resume={cfg.resume}: {saved} does not exist; expected the folder of an rmexp-train run")
    if not checkpoint.is_file():
        raise UserError(
            f"resume={cfg.resume}: {checkpoint} does not exist; the run stopped before its first epoch ended, "
            "so there is nothing to resume: start it again"
        )
    resumed = OmegaConf.load(saved)
    for override in overrides:
        key, _, value = override.partition("=")
        if key in RESUME_KEYS:
            continue
        current = OmegaConf.select(resumed, key, default=KeyError)
        if current is KeyError or OmegaConf.is_config(current):
            raise UserError(
                f"{override}: a resumed run keeps its saved config ({saved}); beside resume= only its existing "
                "keys can change (e.g. trainer.max_epochs=8), not config groups or new keys"
            )
        OmegaConf.update(resumed, key, yaml.safe_load(value))
    resumed.resume = str(run_dir)
    resumed.paths.output_dir = str(run_dir)
    return resumed, checkpoint


def previous_overrides(run_dir: Path) -> list[str]:
    """The overrides the run was started with, as its first summary recorded them."""
    summary = run_dir / "summary.json"
    return json.loads(summary.read_text()).get("overrides", []) if summary.is_file() else []
