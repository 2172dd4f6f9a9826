"""What every command does around its work, so that training, evaluation and best-of-n end the same way.

A job gets its run folder, then does its work under one SIGTERM policy. However it ends, the user
reads one line: a mistake (exit 2), a stopped run (its status and code), or the traceback of a bug.
In a sweep, a job that fails leaves the other jobs going, its `summary.json` saying why; a user
who stops the sweep (Ctrl-C or SIGTERM) stops all of it.
"""

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig
from rich.console import Console
from rich.markup import escape

from rmexp.errors import describe_user_error
from rmexp.loggers import quiet_console

Result = TypeVar("Result")
INTERRUPTED = "interrupted"


class RunStopped(Exception):
    """A job ended without completing; its `summary.json` already says why."""

    def __init__(self, status: str, message: str, exit_code: int):
        super().__init__(message)
        self.status, self.exit_code = status, exit_code


class Terminated(BaseException):
    """SIGTERM while no other handler is in place (set-up, scoring, between fit and test).

    A BaseException, as KeyboardInterrupt is, so that no `except Exception` on the way swallows it.
    """


@contextmanager
def sigterm_stops_the_run() -> Iterator[None]:
    """SIGTERM raises `Terminated` in the block, so that one during set-up still ends the run `interrupted`.

    Lightning installs its own handler for fit and test, which marks the trainer and stops after the
    batch, and then calls the handler it found: that call, while Lightning's is in place, does nothing.
    The handler found on entry is put back on exit.
    """
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        if signal.getsignal(signal.SIGTERM) is terminate:  # otherwise Lightning's handler is in place
            raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interruption(error: BaseException) -> RunStopped | None:
    """SIGTERM or Ctrl-C outside training, as the stop it is; None for anything else."""
    if isinstance(error, Terminated):
        return RunStopped(INTERRUPTED, "stopped by SIGTERM", 143)
    if isinstance(error, KeyboardInterrupt):
        return RunStopped(INTERRUPTED, "stopped by Ctrl-C", 130)
    return None


def as_stop(error: BaseException) -> RunStopped | None:
    """How a job that raised `error` ends: a stop to report in one line, or None for a bug."""
    if isinstance(error, RunStopped):
        return error
    if stop := interruption(error):
        return stop
    message = describe_user_error(error) if isinstance(error, Exception) else None
    return None if message is None else RunStopped("failed", message, 2)


def run_job(cfg: DictConfig, work: Callable[[DictConfig, Path], Result]) -> Result | None:
    """`work(cfg, run folder)` as a command's job; None for a job of a sweep that did not complete."""
    quiet_console()
    in_sweep = HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN
    try:
        with sigterm_stops_the_run():
            output_dir = Path(cfg.paths.output_dir)
            output_dir.mkdir(parents=True, exist_ok=True)
            return work(cfg, output_dir)
    except BaseException as error:
        if isinstance(error, SystemExit):
            raise
        stop = as_stop(error)
        if stop is None:
            raise  # a bug: its traceback is what a developer needs
        label = "error" if stop.exit_code == 2 else stop.status
        Console(stderr=True, soft_wrap=True).print(f"[bold red]{label}:[/] {escape(str(stop))}", highlight=False)
        if in_sweep and stop.status != INTERRUPTED:
            return None  # summary.json records this job's end; the other jobs go on
        sys.exit(stop.exit_code)
