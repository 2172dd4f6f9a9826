"""The last lines of a sweep: how many of its jobs completed, and the command that compares them.

A Hydra callback (`hydra.callbacks` in conf/hydra/default.yaml), so every command that sweeps
(rmexp-train -m, rmexp-bon -m) ends the same way, whichever launcher ran the jobs.
"""

from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig
from rich.console import Console

from rmexp.compare.runs import COMPLETED, collect_runs
from rmexp.errors import UserError


def sweep_summary(sweep_dir: Path) -> str:
    """'N/M completed (k failed, j not finished)' and the rmexp-compare command for the sweep's folder."""
    try:
        runs = collect_runs([sweep_dir])
    except UserError as error:
        return f"sweep: no job left a run ({error})"
    completed = sum(run.status == COMPLETED for run in runs)
    failed = sum(run.status in ("failed", "diverged") for run in runs)
    other = len(runs) - completed - failed
    unfinished = f", {other} interrupted or not finished" if other else ""
    return (
        f"sweep: {completed}/{len(runs)} completed ({failed} failed{unfinished}) in {sweep_dir}\n"
        f"compare them: rmexp-compare {sweep_dir}"
    )


class SweepSummary(Callback):
    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        Console(soft_wrap=True).print(sweep_summary(Path(config.hydra.sweep.dir)), highlight=False)
