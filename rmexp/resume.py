"""Resume an interrupted run in its own folder: `rmexp-train resume=<run folder>`.

The run's saved `config.yaml` is the config, so nothing has to be repeated; plain keys given beside
`resume` change it (`trainer.max_epochs=8` trains on). Training restarts from `checkpoints/last.ckpt`,
written at the end of every epoch, and continues the same W&B run. The part of an epoch done before
the interruption is done again: in deterministic mode the resumed run ends with the metrics the
uninterrupted run would have had, whatever instant it was killed at.

A resume writes only into the folder it is given. The saved config is resolved, so its paths name the
folder the run started in; a run folder that was copied or moved has each of them (and the paths kept
in its checkpoint's state) rebuilt under its new place, never the old one. A key the checkpoint fixes
(the optimizer's hyper-parameters, restored with its state; the model; the data) is refused with the
reason instead of being silently ignored.
"""

import json
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from rmexp.errors import UserError

# Keys a resume cannot honour, with the reason: the checkpoint, or the saved config being resolved,
# fixes them. A key inside one of these is refused too (`optimizer` refuses `optimizer.lr`).
FIXED_BY_THE_CHECKPOINT = {
    "optimizer": "the optimizer's hyper-parameters are restored with its state from the checkpoint, "
    "so a new value would be ignored",
    "scheduler": "the learning-rate schedule continues from the state saved in the checkpoint",
    "model": "the checkpoint holds the weights of the saved model",
    "loss": "the checkpoint was trained on the saved loss; a new one would make one run of two objectives",
    "data": "the checkpoint was trained on the saved data, split and batched as saved",
    "seed": "the random state is restored from the checkpoint",
    "callbacks.checkpoint": "the checkpoints kept so far, and which is best, are restored from the checkpoint",
    "paths": "a resumed run stays in its folder, and the saved config's paths are already resolved",
}
# Inside those, keys that change nothing the checkpoint holds.
HONOURED_INSIDE_FIXED = ("data.num_workers", "data.eval_batch_size")


def resumed_config(cfg: DictConfig, overrides: list[str]) -> tuple[DictConfig, Path]:
    """The saved config of the run `cfg.resume` names, moved to that folder, `overrides` on top; its last checkpoint."""
    run_dir = Path(cfg.resume).absolute()
    saved, checkpoint = run_dir / "config.yaml", run_dir / "checkpoints" / "last.ckpt"
    if not saved.is_file():
        raise UserError(f"resume={cfg.resume}: {saved} does not exist; expected the folder of an rmexp-train run")
    if not checkpoint.is_file():
        raise UserError(
            f"resume={cfg.resume}: {checkpoint} does not exist; the run stopped before its first epoch ended, "
            "so there is nothing to resume: start it again"
        )
    config = OmegaConf.load(saved)
    started_in = OmegaConf.select(config, "paths.output_dir")
    resumed = OmegaConf.create(moved(OmegaConf.to_container(config), started_in or str(run_dir), str(run_dir)))
    for override in OverridesParser.create().parse_overrides(overrides):
        if override.key_or_group != "resume":
            OmegaConf.update(resumed, override.key_or_group, honoured_value(override, resumed, saved))
    resumed.resume = str(run_dir)
    checkpoint_dir = OmegaConf.select(resumed, "callbacks.checkpoint.dirpath")
    if checkpoint_dir is not None and Path(checkpoint_dir) != checkpoint.parent:
        raise UserError(
            f"{saved}: callbacks.checkpoint.dirpath is {checkpoint_dir}; a resume reads {checkpoint} and writes "
            "its checkpoints beside it, so a run that kept them elsewhere cannot be resumed: start it again"
        )
    return resumed, checkpoint


def honoured_value(override: Any, resumed: DictConfig, saved: Path) -> Any:
    """The value of one override beside `resume=`, parsed as Hydra parses it; UserError if a resume cannot honour it."""
    key, current = override.key_or_group, OmegaConf.select(resumed, override.key_or_group, default=KeyError)
    if override.is_delete() or override.is_add() or current is KeyError or OmegaConf.is_dict(current):
        raise UserError(
            f"{override.input_line}: a resumed run keeps its saved config ({saved}); beside resume= only its "
            "existing keys can change (e.g. trainer.max_epochs=8), not config groups or new keys"
        )
    fixed = [prefix for prefix in FIXED_BY_THE_CHECKPOINT if key == prefix or key.startswith(prefix + ".")]
    if fixed and key not in HONOURED_INSIDE_FIXED:
        raise UserError(
            f"{override.input_line}: a resume cannot change {key}: {FIXED_BY_THE_CHECKPOINT[fixed[0]]}; "
            "start a new run to change it"
        )
    value, run_dir = override.value(), saved.parent
    if not same_kind(value, current):
        raise UserError(f"{override.input_line}: expected a {kind(current)}, as the saved {key}={current} ({saved})")
    if isinstance(current, str) and is_inside(current, run_dir) and not is_inside(str(value), run_dir):
        raise UserError(f"{override.input_line}: {key} is {current}; a resume writes only inside its folder {run_dir}")
    return value


def same_kind(value: Any, current: Any) -> bool:
    """Whether `value` can stand where the saved config has `current`: a number for a number, a list for a list."""
    if value is None or current is None:
        return True
    if isinstance(current, bool) or isinstance(value, bool):
        return isinstance(current, bool) and isinstance(value, bool)
    if isinstance(current, float):
        return isinstance(value, int | float)
    return isinstance(value, list) if OmegaConf.is_list(current) else isinstance(value, type(current))


def kind(value: Any) -> str:
    names = {bool: "boolean (true or false)", int: "whole number", float: "number", str: "string"}
    return "list" if OmegaConf.is_list(value) else names.get(type(value), type(value).__name__)


def moved(value: Any, old_dir: str, new_dir: str) -> Any:
    """`value` (a config or a checkpoint callback's state) with each path inside `old_dir` rebuilt inside `new_dir`.

    Dictionary keys too: a checkpoint callback keys its best checkpoints by their paths.
    """
    if isinstance(value, dict):
        return {moved(key, old_dir, new_dir): moved(item, old_dir, new_dir) for key, item in value.items()}
    if isinstance(value, list):
        return [moved(item, old_dir, new_dir) for item in value]
    if isinstance(value, str) and is_inside(value, Path(old_dir)):
        return new_dir + value[len(old_dir.rstrip("/")) :]
    return value


def is_inside(path: str, folder: Path) -> bool:
    return path == str(folder) or path.startswith(str(folder).rstrip("/") + "/")


class MovedRunFolder(pl.Callback):
    """Points the checkpoint callback's restored state (its best and last checkpoints) at this run folder.

    Lightning keeps a checkpoint callback's state only when its folder is unchanged, and keeps the best
    checkpoint's path even then: a copied run would forget its best checkpoint's score and report the
    original folder's file as its best. Called before that state is loaded (`restore_callbacks`).
    """

    def on_load_checkpoint(self, trainer: pl.Trainer, module: pl.LightningModule, checkpoint: dict[str, Any]) -> None:
        states = checkpoint.get("callbacks") or {}
        for callback in trainer.checkpoint_callbacks:
            state = states.get(callback.state_key)
            if state and callback.dirpath and state.get("dirpath") not in (None, callback.dirpath):
                states[callback.state_key] = moved(state, state["dirpath"], callback.dirpath)


def previous_summary(run_dir: Path) -> dict[str, Any]:
    """The summary the run folder holds, its paths moved there with the folder; empty if it has none."""
    path = run_dir / "summary.json"
    summary = json.loads(path.read_text()) if path.is_file() else {}
    return moved(summary, summary.get("output_dir") or str(run_dir), str(run_dir))
