"""The data a trained reward model is judged on: its training run's by default, so the test split is the one held out.

rmexp-eval and rmexp-bon take a run folder, a checkpoint in one or an export. Where the training
run's config.yaml is found (`<run>`, `<run>/checkpoints/x.ckpt`, `<run>/export`), its `data` section
and `seed` replace the command's defaults, and the `data.*` and `seed` keys given on the command line
go on top (`data=<option>` picks a data config anew). A key that then differs from the run's is named
in a warning: a lab drawn with other settings or another seed has another test split, whose prompts
training may have seen. Where no run config is found (an export copied elsewhere), the data config
as given is used, and the warning lists it. `summary.json` records the data used either way.
"""

import copy
import logging
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

from rmexp.errors import UserError
from rmexp.run_folder import is_target, load_run_config, run_config_file, walk

log = logging.getLogger(__name__)
MAX_LISTED = 8


def command_line_overrides() -> list[str]:
    """The overrides this Hydra job was given; none outside a Hydra job (a test, a notebook)."""
    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


def with_the_runs_data(cfg: DictConfig, overrides: list[str] | None = None) -> tuple[DictConfig, dict[str, Any]]:
    """A copy of `cfg` whose data and seed are those `cfg.reward_model` was trained on, `overrides` on top;
    and the summary's record of them. `overrides`: the command line's (None: this Hydra job's)."""
    reward_model = Path(cfg.reward_model)
    run_config = run_config_file(reward_model)
    if run_config is None:
        settings = ", ".join(f"data.{key}={value}" for key, value in leaves(cfg.data) if not is_target(key))
        log.warning("%s: no training run config.yaml beside it, so it is judged on the data given: %s, seed=%s",
                    reward_model, settings, cfg.seed)  # fmt: skip
        return cfg, {"from": "the command line (no run config found)", **record(cfg)}
    run = load_run_config(run_config)
    if not isinstance(run.get("data"), DictConfig) or "seed" not in run:
        raise UserError(f"{run_config}: expected the `data` section and `seed` of the run that trained {reward_model}")
    overrides = command_line_overrides() if overrides is None else overrides
    given = {override.key_or_group for override in OverridesParser.create().parse_overrides(overrides)
             if not override.is_delete()}  # fmt: skip
    judged = copy.deepcopy(cfg)
    if "data" not in given:
        data = copy.deepcopy(run.data)
        for key in data_keys_given(cfg, given):
            OmegaConf.update(data, key, OmegaConf.select(cfg.data, key), merge=False, force_add=True)
        judged.data = data
    judged.seed = cfg.seed if "seed" in given else run.seed
    differ = differences(judged, run)
    if differ:
        more = f" and {len(differ) - MAX_LISTED} more" if len(differ) > MAX_LISTED else ""
        log.warning("%s is judged on data other than its training run's (%s): %s; its test split is not the one "
                    "training held out", reward_model, run_config, ", ".join(differ[:MAX_LISTED]) + more)  # fmt: skip
    return judged, {"from": str(run_config), **record(judged), "differs_from_run": differ}


def data_keys_given(cfg: DictConfig, given: set[str]) -> list[str]:
    """The `data` keys the command line sets: by name (`data.lab.beta_len`) or through an interpolation (`${seed}`)."""
    keys = [key.removeprefix("data.") for key in given if key.startswith("data.")]
    others = [key for key in given if not key.startswith("data")]
    for key, value in walk(OmegaConf.to_container(cfg.data, resolve=False)):
        if isinstance(value, str) and any(f"${{{name}}}" in value for name in others):
            keys.append(key)
    return keys


def differences(judged: DictConfig, run: DictConfig) -> list[str]:
    """`data.<key>=<value> (trained: <value>)` for each key where the judged data or seed differs from the run's."""
    here = {f"data.{key}": value for key, value in leaves(judged.data)} | {"seed": judged.seed}
    trained = {f"data.{key}": value for key, value in leaves(run.data)} | {"seed": run.seed}
    return [f"{key}={here.get(key, '(absent)')} (trained: {trained.get(key, '(absent)')})"
            for key in sorted(here.keys() | trained.keys()) if here.get(key) != trained.get(key)]  # fmt: skip


def leaves(data: DictConfig) -> list[tuple[str, Any]]:
    return list(walk(OmegaConf.to_container(data, resolve=True)))


def record(cfg: DictConfig) -> dict[str, Any]:
    return {"seed": cfg.seed, "data": OmegaConf.to_container(cfg.data, resolve=True)}
