"""Each command's --help says what it does, its own keys and an example; the options it lists are conf/'s."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from rmexp import CONFIG_DIR

from .conftest import REPO_ROOT

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

MODULES = {"train": "rmexp.train", "eval": "rmexp.evaluate", "score": "rmexp.score", "bon": "rmexp.bon.command"}


def help_text(command: str) -> str:
    result = subprocess.run([sys.executable, "-m", MODULES[command], "--help"], capture_output=True, text=True,
                            cwd=REPO_ROOT, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def helps() -> dict[str, str]:
    return {command: help_text(command) for command in MODULES}


@pytest.mark.parametrize("command", MODULES)
def test_help_names_the_command_its_keys_and_an_example(helps, command):
    text = helps[command]
    assert text.startswith(f"rmexp-{command}: ")
    assert f"usage: rmexp-{command}" in text
    assert re.search(rf"Examples?:\n\s+rmexp-{command} ", text)
    assert "powered by Hydra" not in text
    assert "bench_mode" not in text  # a group this command does not use


def test_the_train_help_lists_exactly_the_options_of_each_group(helps):
    listed = re.search(r"Config groups \(group=option\):\n(.*?)\n\n", helps["train"], re.S).group(1)
    for line in listed.splitlines():
        group, options = line.split(None, 1)
        if group == "experiment":  # named by its folder: experiments/
            continue
        named = {option.strip() for option in re.sub(r"\([^)]*\)", "", options).split(",")}
        files = {path.stem for path in (Path(CONFIG_DIR) / group).glob("*.yaml")}
        assert named == files, f"{group}: the help lists {sorted(named)}, conf/{group} holds {sorted(files)}"
