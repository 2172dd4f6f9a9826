"""Each command's --help says what it does, its own keys and an example; the options it lists are conf/'s."""

import re
from pathlib import Path

import pytest

from rmexp import CONFIG_DIR

from .conftest import run_command

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

COMMANDS = ("train", "eval", "score", "bon")


def help_text(command: str, capfd) -> str:
    """`rmexp-<command> --help`'s text, from the command's own entry point run in this process."""
    code, text, stderr = run_command(command, ["--help"], capfd)
    assert code == 0, stderr[-2000:]
    return text


@pytest.mark.parametrize("command", COMMANDS)
def test_help_names_the_command_its_keys_and_an_example(command, capfd):
    text = help_text(command, capfd)
    assert text.startswith(f"rmexp-{command}: ")
    assert f"usage: rmexp-{command}" in text
    assert re.search(rf"Examples?:\n\s+rmexp-{command} ", text)
    assert "powered by Hydra" not in text
    assert "bench_mode" not in text  # a group this command does not use


def test_the_train_help_lists_exactly_the_options_of_each_group(capfd):
    text = help_text("train", capfd)
    listed = re.search(r"Config groups \(group=option\):\n(.*?)\n\n", text, re.S).group(1)
    for line in listed.splitlines():
        group, options = line.split(None, 1)
        if group == "experiment":  # named by its folder: experiments/
            continue
        named = {option.strip() for option in re.sub(r"\([^)]*\)", "", options).split(",")}
        files = {path.stem for path in (Path(CONFIG_DIR) / group).glob("*.yaml")}
        assert named == files, f"{group}: the help lists {sorted(named)}, conf/{group} holds {sorted(files)}"
