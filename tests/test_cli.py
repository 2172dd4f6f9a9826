"""`rmexp <command>` dispatches to the entry points; an unknown command lists the known ones."""

import subprocess
import sys

import pytest

from .conftest import REPO_ROOT

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out


def rmexp(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rmexp.cli", *args], capture_output=True, text=True, cwd=REPO_ROOT,
                          timeout=300)  # fmt: skip


def test_a_command_runs_its_entry_point_with_the_remaining_arguments():
    result = rmexp("train", "--cfg", "job", "loss=hinge")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "rmexp.losses.pairwise.hinge" in result.stdout


def test_an_unknown_command_is_named_and_the_commands_listed():
    result = rmexp("trian")
    assert result.returncode == 2
    assert "unknown command 'trian'" in result.stderr
    assert all(name in result.stderr for name in ("train", "eval", "score", "compare", "bon"))
    assert "usage: rmexp <command> [arguments]" in result.stderr  # shown as text, not eaten as Rich markup


def test_version_is_the_installed_package_s():
    from importlib.metadata import version

    result = rmexp("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"rmexp {version('rmexp')}"
