"""Each command's --help says what it does, its own keys and an example; the options it lists are conf/'s."""

import importlib
import io
import re
import sys
from pathlib import Path

import pytest
from hydra.core.global_hydra import GlobalHydra

from rmexp import CONFIG_DIR

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

MODULES = {"train": "rmexp.train", "eval": "rmexp.evaluate", "score": "rmexp.score", "bon": "rmexp.bon.command"}


def help_text(command: str) -> str:
    """`rmexp-<command> --help`'s text, from the command's own entry point run in this process."""
    saved_argv, saved_stdout = sys.argv, sys.stdout
    sys.argv, sys.stdout = [f"rmexp-{command}", "--help"], io.StringIO()
    GlobalHydra.instance().clear()
    try:
        with pytest.raises(SystemExit) as exit_:
            importlib.import_module(MODULES[command]).main()
        text = sys.stdout.getvalue()
    finally:
        sys.argv, sys.stdout = saved_argv, saved_stdout
        GlobalHydra.instance().clear()
    assert exit_.value.code in (0, None), text[-2000:]
    return text


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
