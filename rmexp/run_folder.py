"""A run folder read without trusting it: its `config.yaml`, built only from rmexp's own targets, and `summary.json`.

Scoring or evaluating a folder someone sent you must not run their code. `hydra.utils.instantiate`
calls whatever `_target_` names, so a config.yaml whose `model.tokenizer._target_` is `builtins.open`
(or `os.system`) would run it. A run's config may therefore only name the targets that rmexp's own
config tree (conf/, experiments included) names: the list is read from conf/, so it cannot drift
from it, and a new component is allowed by adding its YAML file, as any option is. rmexp saves a
run's config resolved, so an interpolation (`${oc.env:...}`) in it is refused as well.
"""

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf

from rmexp import CONFIG_DIR
from rmexp.errors import UserError


@cache
def config_tree_targets() -> frozenset[str]:
    """Every `_target_` that a YAML file of conf/ names: the only ones a run folder's config may build."""
    targets = set()
    for file in sorted(Path(CONFIG_DIR).rglob("*.yaml")):
        for key, value in walk(yaml.safe_load(file.read_text())):
            if is_target(key) and isinstance(value, str):
                targets.add(value)
    return frozenset(targets)


def is_target(key: str) -> bool:
    return key.rsplit(".", 1)[-1] == "_target_"


def walk(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of every leaf of plain YAML data, lists indexed as `key.0`."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else None
    if items is None:
        yield prefix, node
        return
    for key, value in items:
        yield from walk(value, f"{prefix}.{key}" if prefix else str(key))


def read_yaml(path: Path) -> Any:
    """A YAML file's content; a UserError naming the file and the line where it is not YAML."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise UserError(f"{path}{where}: not valid YAML ({getattr(error, 'problem', None) or error})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot be read ({error})") from None


def load_run_config(path: Path) -> DictConfig:
    """A run's saved config.yaml, refused unless it is a mapping that builds only rmexp's own targets."""
    loaded = read_yaml(path)
    if not isinstance(loaded, dict):
        raise UserError(f"{path}: expected a mapping of config keys (the config.yaml rmexp saved)")
    allowed = config_tree_targets()
    for key, value in walk(loaded):
        if is_target(key) and value not in allowed:
            raise UserError(
                f"{path}: {key}={value!r} is not built from a run folder; only the targets of rmexp's config "
                f"tree ({CONFIG_DIR}) are, so that a folder from elsewhere runs no code of its own"
            )
        if isinstance(value, str) and "${" in value:
            raise UserError(
                f"{path}: {key}={value!r} is an interpolation; rmexp saves a run's config resolved, "
                "and a run folder's config is not resolved against this machine"
            )
    return OmegaConf.create(loaded)


def run_config_file(reward_model: Path) -> Path | None:
    """The config.yaml of the run a model comes from: a run folder, `<run>/checkpoints/x.ckpt` or `<run>/export`."""
    if reward_model.is_dir():
        run_dir = reward_model.parent if reward_model.name == "export" else reward_model
    else:
        run_dir = reward_model.parent.parent
    return run_dir / "config.yaml" if (run_dir / "config.yaml").is_file() else None


def read_summary(run_dir: Path) -> dict[str, Any]:
    """The run's summary.json, or {} when it has none; a broken one is named, not a traceback."""
    summary = run_dir / "summary.json"
    if not summary.is_file():
        return {}
    try:
        loaded = json.loads(summary.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise UserError(
            f"{summary}, line {error.lineno}: not valid JSON ({error.msg} at column {error.colno}); "
            "expected the summary rmexp wrote"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{summary}: cannot be read ({error})") from None
    if not isinstance(loaded, dict):
        raise UserError(f"{summary}: expected a JSON object (the summary rmexp wrote), got {loaded!r:.60}")
    return loaded
