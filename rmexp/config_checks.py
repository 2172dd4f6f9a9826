"""The composed config checked before anything is built: each group's plain keys against what they expect.

Objects of rmexp check their own arguments when Hydra builds them (pydantic `validate_call`), naming the
key. Other libraries' objects do not, or only late: torch's AdamW refuses `lr=-1` with a bare ValueError,
Lightning's Trainer compares `max_epochs='abc'` with a number inside `fit`, and accepts a negative
`gradient_clip_val` without a word. The models here say what each such key expects; a run checks them
on the composed config, so a mistake is one line, `key=value: expected ...`, before any data is drawn.
A key that the group's `_target_` does not take at all (`+trainer.max_epoch=2`) is refused by name too.
"""

import difflib
import inspect
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from hydra.utils import get_object
from omegaconf import DictConfig, OmegaConf
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rmexp.data.encoding import MaxLength
from rmexp.errors import UserError
from rmexp.hub import check_repo_id
from rmexp.logger_options import logger_configs

# Strict: a quoted number or a boolean is a mistake, not a number (`optimizer.lr=abc` arrives as text).
SETTINGS = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)
WholeNumber = Annotated[int, Field(strict=True)]
Beta = Annotated[float, Field(strict=True, ge=0, lt=1)]
# Lightning 2's precision values (lightning_fabric.connector._PRECISION_INPUT), listed here so that
# scoring need not import Lightning to check a config; a test keeps the two equal.
Precision = Literal[
    64, 32, 16, "64", "32", "16", "bf16", "transformer-engine", "transformer-engine-float16",
    "16-true", "16-mixed", "bf16-true", "bf16-mixed", "32-true", "64-true",
]  # fmt: skip
HYDRA_KEYS = {"_target_", "_partial_", "_convert_", "_recursive_", "_args_"}


class RunSettings(BaseModel):
    model_config = SETTINGS
    seed: WholeNumber = Field(0, description="a whole number")
    bootstrap_samples: Annotated[int, Field(strict=True, ge=0)] = Field(
        1000, description="a whole number of prompt resamples >= 0 (0: no intervals)"
    )


class EvalSettings(RunSettings):
    progress_bar: bool = Field(True, description="true or false")


class OptimizerSettings(BaseModel):
    model_config = SETTINGS
    lr: float = Field(1e-3, gt=0, description="a finite number > 0")
    betas: tuple[Beta, Beta] = Field((0.9, 0.999), strict=False, description="two numbers in [0, 1), e.g. [0.9,0.999]")
    weight_decay: float = Field(0.0, ge=0, description="a finite number >= 0")
    eps: float = Field(1e-8, gt=0, description="a finite number > 0")


class SchedulerSettings(BaseModel):
    model_config = SETTINGS
    warmup_fraction: float = Field(0.0, ge=0, le=1, description="a fraction of the training steps, in [0, 1]")


class TrainerSettings(BaseModel):
    """The Trainer arguments that Lightning accepts unchecked, or checks only once training starts."""

    model_config = SETTINGS
    max_epochs: Literal[-1] | Annotated[int, Field(ge=1)] | None = Field(
        None, description="a whole number >= 1, or -1 for no limit"
    )
    min_epochs: Annotated[int, Field(ge=0)] | None = Field(None, description="a whole number >= 0")
    max_steps: Literal[-1] | Annotated[int, Field(ge=1)] = Field(-1, description="a whole number >= 1, or -1")
    gradient_clip_val: Annotated[float, Field(ge=0)] | None = Field(
        None, description="a finite number >= 0, or null for no clipping"
    )
    precision: Precision = Field("32-true", description=f"one of Lightning's precisions: {Precision.__args__}")
    devices: (
        Literal[-1]
        | Annotated[int, Field(ge=1)]
        | list[Annotated[int, Field(ge=0)]]
        | Annotated[str, Field(pattern=r"^(auto|-1|\d+(,\d+)*,?)$")]
    ) = Field("auto", description="a number of devices >= 1, -1 (all), a list of device indices, or auto")
    log_every_n_steps: Annotated[int, Field(ge=1)] | None = Field(None, description="a whole number >= 1")
    accumulate_grad_batches: Annotated[int, Field(ge=1)] = Field(1, description="a whole number >= 1")
    num_sanity_val_steps: Annotated[int, Field(ge=-1)] | None = Field(
        None, description="a whole number >= 0, or -1 for the whole validation split"
    )
    check_val_every_n_epoch: Annotated[int, Field(ge=1)] | None = Field(None, description="a whole number >= 1")
    val_check_interval: Annotated[float, Field(gt=0, le=1)] | Annotated[int, Field(ge=1)] | None = Field(
        None, description="a fraction of an epoch in (0, 1], or a whole number of batches >= 1"
    )
    deterministic: bool | Literal["warn"] | None = Field(None, description="true, false or warn")


class BonSettings(BaseModel):
    model_config = SETTINGS
    batch_size: Annotated[int, Field(ge=1)] = Field(256, description="a whole number >= 1")


class ScoreSettings(BaseModel):
    model_config = SETTINGS
    batch_size: Annotated[int, Field(ge=1)] = Field(32, description="a whole number >= 1")
    max_length: MaxLength = Field(512, description="a whole number of tokens > 4, room for a response")


class DataSettings(BaseModel):
    """What best-of-n reads of the data config when it scores with a trained model and builds no datamodule."""

    model_config = SETTINGS
    max_length: MaxLength = Field(128, description="a whole number of tokens > 4, room for a response")


def check_train_config(cfg: DictConfig) -> None:
    """Every group a training run builds from, before any of it is built."""
    check_targets(cfg)
    check_settings(cfg, RunSettings, "")
    check_settings(cfg.get("optimizer"), OptimizerSettings, "optimizer.")
    check_settings(cfg.get("scheduler"), SchedulerSettings, "scheduler.")
    check_settings(cfg.get("trainer"), TrainerSettings, "trainer.")
    check_ensemble_family(cfg)
    check_export_artifact(cfg)
    check_push(cfg)


def check_export_artifact(cfg: DictConfig) -> None:
    """An export artifact needs an export to log and a W&B run to log it to."""
    if not cfg.get("export_artifact"):
        return
    targets = [str(config.get("_target_", "")) for config in logger_configs(cfg.get("logger"))]
    if not cfg.get("export", True) or not any(target.endswith("wandb_logger") for target in targets):
        raise UserError("export_artifact=true logs the export to W&B: it needs export=true and a W&B logger "
                        "(logger=wandb, or logger=[wandb,csv])")  # fmt: skip


def check_push(cfg: DictConfig) -> None:
    """A push needs an export to push and a repository id the hub accepts."""
    repo_id = cfg.get("push_to_hub")
    if repo_id is None:
        return
    check_repo_id(repo_id)
    if not cfg.get("export", True):
        raise UserError(f"push_to_hub={repo_id} with export=false: the push uploads the export; set export=true")


def check_ensemble_family(cfg: DictConfig) -> None:
    """An ensemble's members train on bootstrap resamples of pairs (rmexp/losses/bootstrap.py): pairwise losses only."""
    members = OmegaConf.select(cfg, "model.reward_model.ensemble.members", default=1)
    target = OmegaConf.select(cfg, "loss._target_")
    if isinstance(members, int) and members > 1 and target:
        view = getattr(get_object(target), "view", "pairwise")
        if view != "pairwise":
            raise UserError(
                f"model.reward_model.ensemble.members={members} with a {view} loss: ensemble members train on "
                "bootstrap resamples of pairs, so only the pairwise losses (bt, bt_margin, hinge, bt_smooth, "
                "bt_soft) train an ensemble"
            )


def check_eval_config(cfg: DictConfig) -> None:
    check_targets(cfg)
    check_settings(cfg, EvalSettings, "")


def check_bon_config(cfg: DictConfig) -> None:
    """Best-of-n's own keys and the training config's, before training: a bad bon key must not cost a run."""
    check_train_config(cfg)
    check_settings(cfg.bon, BonSettings, "bon.")
    check_settings(cfg.data, DataSettings, "data.")


def check_score_config(cfg: DictConfig, output_path: Path) -> None:
    """Before the model loads; an output folder that does not exist would fail only after every row is scored."""
    check_settings(cfg, ScoreSettings, "")
    if not output_path.parent.is_dir():
        raise UserError(f"output={output_path}: the folder {output_path.parent} does not exist; create it first")


def check_settings(node: DictConfig | None, settings: type[BaseModel], prefix: str) -> None:
    """One line `<prefix><key>=<value>: expected ...` per bad key of `node`; keys the model does not name pass."""
    if not node:
        return
    values = {name: _plain(node[name]) for name in settings.model_fields if name in node}
    try:
        settings.model_validate(values)
    except ValidationError as error:
        names = dict.fromkeys(issue["loc"][0] for issue in error.errors())  # a union reports each of its arms
        raise UserError(
            "\n".join(
                f"{prefix}{name}={values[name]!r}: expected {settings.model_fields[name].description}" for name in names
            )
        ) from None


def _plain(value: Any) -> Any:
    return OmegaConf.to_container(value, resolve=True) if OmegaConf.is_config(value) else value


def check_targets(cfg: DictConfig) -> None:
    """Refuse a key that its node's `_target_` has no argument for, naming the closest one it has.

    Only targets with a fixed signature are checked: one that takes `**kwargs` passes its keys on to
    something else, which checks them itself.
    """
    problems = [*_unknown_target_keys(OmegaConf.to_container(cfg, resolve=False), "")]
    if problems:
        raise UserError("\n".join(problems))


def _unknown_target_keys(node: Any, path: str) -> Iterator[str]:
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _unknown_target_keys(item, f"{path}[{index}]")
        return
    if not isinstance(node, Mapping):
        return
    prefix = f"{path}." if path else ""
    if isinstance(node.get("_target_"), str):
        accepted = _accepted_arguments(node["_target_"])
        for key in node if accepted is not None else ():
            if key not in accepted and key not in HYDRA_KEYS:
                close = difflib.get_close_matches(key, accepted, n=1)
                hint = f"; did you mean {prefix}{close[0]}?" if close else f"; it takes {sorted(accepted)}"
                yield f"{prefix}{key}={node[key]!r}: {node['_target_']} has no such argument{hint}"
    for key, value in node.items():
        yield from _unknown_target_keys(value, f"{prefix}{key}")


def _accepted_arguments(target: str) -> list[str] | None:
    """The keyword arguments `target` takes, or None when it takes any (or cannot be found: Hydra says so)."""
    try:
        parameters = inspect.signature(get_object(target)).parameters.values()
    except Exception:  # not importable or no signature: instantiate reports it with the key
        return None
    if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters):
        return None
    return [parameter.name for parameter in parameters if parameter.kind is not inspect.Parameter.VAR_POSITIONAL]
