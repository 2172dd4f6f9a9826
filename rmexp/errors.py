"""Mistakes a user can make, reported as one readable message instead of a traceback."""

import errno
import functools
import sys
from collections.abc import Callable
from typing import TypeVar

from hydra.errors import InstantiationException
from omegaconf.errors import MissingMandatoryValue
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

Result = TypeVar("Result")

# File-system refusals the user, not the code, can fix, with what to do; an OSError of these names its file
# (rmexp/atomic_write.py) and is reported in one line instead of a traceback.
STORAGE_ERRORS = {
    errno.ENOSPC: "free some space, or write to another folder",
    errno.EDQUOT: "free some of your quota, or write to another folder",
    errno.EFBIG: "the file is larger than this process may write (ulimit -f)",
    errno.EROFS: "the folder is read-only: write to another folder",
    errno.EACCES: "change its permissions, or use another folder",
    errno.EPERM: "change its permissions, or use another folder",
}


class UserError(Exception):
    """Bad configuration, data or arguments: the message says what and where, and what was expected."""


class TrainingDiverged(Exception):
    """The loss became NaN or infinite; the message names the step and the batch where it did."""


def describe_user_error(error: Exception) -> str | None:
    """The message of a mistake the user can fix, or None for a bug that deserves its traceback.

    Hydra wraps what a `_target_` raises and appends the config key it was building (`full_key`);
    a pydantic error lists each bad field, so together they name the exact key and what it expects.
    """
    cause = error
    while isinstance(cause, InstantiationException) and cause.__cause__ is not None:
        cause = cause.__cause__
    if isinstance(cause, UserError):
        return str(cause)
    if isinstance(cause, OSError) and cause.errno in STORAGE_ERRORS and cause.filename:
        return f"{cause.filename}: {cause.strerror}; {STORAGE_ERRORS[cause.errno]}"
    if isinstance(cause, MissingMandatoryValue):  # a `???` in the config that the command line did not fill
        return f"{cause.full_key} is required: give it on the command line, e.g. {cause.full_key}=<value>"
    text = str(error)
    config_key = text.rsplit("full_key:", 1)[-1].strip() if "full_key:" in text else "config"
    # Lightning's word for a bad Trainer argument, matched by name: importing Lightning here would cost
    # the entry points that never train (score, compare) seconds of start-up
    if any(kind.__name__ == "MisconfigurationException" for kind in type(cause).__mro__):
        return f"{config_key}: {cause}"
    if isinstance(cause, ValidationError):
        return "\n".join(
            f"{config_key}.{'.'.join(map(str, issue['loc']))}: {issue['msg']} (got {issue['input']!r})"
            if issue["loc"]
            else f"{config_key}: {issue['msg']}"
            for issue in cause.errors()
        )
    return None


def exit_on_user_error(job: Callable[..., Result], *args) -> Result:
    """Run an entry point's job; a user's mistake prints one line on stderr and exits 2, a bug keeps its traceback."""
    try:
        return job(*args)
    except Exception as error:
        message = describe_user_error(error)
        if message is None:
            raise
        Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False)
        sys.exit(2)


def composed_or_exit_2(hydra_main: Callable[[], Result]) -> Callable[[], Result]:
    """The installed entry point: Hydra's main, where a command line that does not compose exits 2.

    Hydra prints why (an unknown option with the available ones, a key the config lacks, a malformed
    override) and exits 1, the code of a crash. Before any job has started nothing else exits that
    way, so there it is the user's mistake, and exits as every other one does.
    """

    @functools.wraps(hydra_main)
    def entry() -> Result:
        try:
            return hydra_main()
        except SystemExit as stop:
            from hydra.core.hydra_config import HydraConfig  # the config of a job that started

            if stop.code == 1 and not HydraConfig.initialized():
                raise SystemExit(2) from None
            raise

    return entry


def first_line(error: Exception) -> str:
    """The first line of an error from a library, whose messages may run on over many lines."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
