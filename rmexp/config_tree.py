"""The composed config as a short tree at the start of a run: which option of each group, and what was changed.

lightning-hydra-template prints the whole config; here that would push the results table out of the
terminal's last screen, so the tree names each group's option and the keys the command line set, and
`rmexp-train --cfg job` (or `<run>/config.yaml`) holds the rest. `print_config=false` turns it off.
"""

from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig
from pytorch_lightning.utilities import rank_zero_only
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree


def config_tree(cfg: DictConfig, choices: dict[str, Any], overrides: list[str]) -> Tree:
    """A branch per group of `cfg` (its chosen option), with the overrides that fall in it as leaves."""
    tree = Tree("[bold]config[/] (all of it: rmexp-train --cfg job)")
    plain = [f"{key}={value}" for key, value in cfg.items() if key not in choices and not isinstance(value, DictConfig)]
    tree.add(escape(" ".join(plain)), style="dim")
    for group in [key for key in cfg if key in choices and key not in ("paths", "hydra")] + ["experiment", "debug"]:
        if choices.get(group) is None:  # an optional group left out
            continue
        branch = tree.add(f"[bold]{group}[/]: {escape(str(choices[group]))}")
        for override in overrides:
            if override.split("=", 1)[0].lstrip("+~").startswith(f"{group}."):
                branch.add(escape(override))
    return tree


@rank_zero_only
def print_config_tree(cfg: DictConfig) -> None:
    """The tree in the terminal, where `print_config` is on and Hydra composed the run (not a test's compose)."""
    if not cfg.get("print_config", True) or not HydraConfig.initialized():
        return
    runtime = HydraConfig.get()
    Console(soft_wrap=True).print(config_tree(cfg, dict(runtime.runtime.choices), list(runtime.overrides.task)))
