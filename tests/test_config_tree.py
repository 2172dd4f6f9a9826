"""The config tree at the start of a run: each group's option and the overrides under it, short, and switchable."""

import pytest
from rich.console import Console

from rmexp.config_tree import config_tree

from .conftest import QUICK, SMALL_LAB, run_entry_point


def rendered(tree) -> str:
    console = Console(width=120, record=True, color_system=None)
    console.print(tree)
    return console.export_text()


def test_each_group_shows_its_option_and_the_overrides_that_fall_in_it(compose_train):
    cfg = compose_train("loss=hinge", "optimizer.lr=0.01")
    choices = {"data": "synthetic", "model": "tiny", "loss": "hinge", "optimizer": "adamw", "scheduler": "cosine",
               "trainer": "cpu", "logger": "wandb", "callbacks": "default", "paths": "default",
               "experiment": "margin", "debug": None}  # fmt: skip
    text = rendered(config_tree(cfg, choices, ["loss=hinge", "optimizer.lr=0.01"]))
    lines = text.splitlines()
    assert "├── loss: hinge" in lines
    assert lines[lines.index("├── optimizer: adamw") + 1].endswith("└── optimizer.lr=0.01")
    assert "└── experiment: margin" in lines
    assert "seed=0 " in lines[1] and "debug" not in text and "paths" not in text
    assert len(lines) < 20


@pytest.mark.e2e
@pytest.mark.parametrize("print_config", [True, False])
def test_a_run_prints_the_tree_first_unless_told_not_to(tmp_path, capfd, print_config):
    args = [*SMALL_LAB, *QUICK, "debug=fast_dev_run", f"print_config={print_config}", f"hydra.run.dir={tmp_path}"]
    code, _ = run_entry_point("train", args)
    stdout = capfd.readouterr().out
    assert code == 0
    assert ("debug: fast_dev_run" in stdout) is print_config
    if print_config:
        assert stdout.splitlines()[0].startswith("config ")
