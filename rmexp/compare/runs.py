"""The runs under one or more folders: each job's overrides, seed, status and metrics, as a training run left them.

A job folder is one Hydra made (it holds `.hydra/overrides.yaml`) or one rmexp-train finished in
(`summary.json`). A job whose folder has no summary died too hard to write one (killed, out of
memory) or is still running; a job the sweep planned but never started has no folder at all, and
is found by replaying the sweep's plan from its `multirun.yaml`. Every one of them is kept as a
`Run` with its status, so a table can list it instead of silently averaging over fewer seeds.
"""

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException

from rmexp.errors import UserError
from rmexp.run_folder import read_yaml

COMPLETED = "completed"
NO_SUMMARY = "no summary"  # the folder exists, summary.json does not
NOT_STARTED = "not started"  # planned by the sweep, no folder
# The class Hydra's multirun.yaml names as its sweeper; matched by name, not by module path, which is private
BASIC_SWEEPER = "BasicSweeper"


@dataclass
class Run:
    folder: Path
    overrides: dict[str, str]
    status: str
    seed: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""
    config: dict[str, Any] = field(default_factory=dict)

    def value(self, metric: str) -> float | None:
        """The metric of a completed run where it is a finite number; None means "not a result"."""
        value = self.metrics.get(metric)
        if self.status != COMPLETED or value is None or not math.isfinite(value):
            return None
        return value


def seed_values(runs: list[Run], metric: str) -> list[float]:
    """The metric of each run that is a result: what a mean over seeds is taken of."""
    return [value for value in (run.value(metric) for run in runs) if value is not None]


def parse_overrides(overrides: list[str]) -> dict[str, str]:
    """`["loss=bt", "+data.x=1"]` -> {"loss": "bt", "data.x": "1"}: the key without Hydra's +/~ prefix."""
    parsed = {}
    for override in overrides:
        key, _, value = override.partition("=")
        parsed[key.lstrip("+~")] = value
    return parsed


def read_run(folder: Path, seed_key: str = "seed") -> Run:
    """One job folder as a Run; an unreadable summary or config is a status of the run, not a reason to stop."""
    overrides_file, config_file = folder / ".hydra" / "overrides.yaml", folder / "config.yaml"
    try:
        overrides = read_yaml(overrides_file) if overrides_file.is_file() else None
        config = (read_yaml(config_file) or {}) if config_file.is_file() else {}
    except UserError as error:
        return Run(folder=folder, overrides={}, status="unreadable config", error=str(error))
    summary_file = folder / "summary.json"
    run = Run(folder=folder, overrides={}, status=NO_SUMMARY, config=config)
    if summary_file.is_file():
        try:
            summary = json.loads(summary_file.read_text())
            run.status = str(summary.get("status", "unknown"))
            run.metrics = {key: float(value) for key, value in summary.get("metrics", {}).items()}
            run.error = str(summary.get("error") or "")
            run.seed = summary.get("seed")
            overrides = overrides if overrides is not None else summary.get("overrides")
        except (ValueError, TypeError, AttributeError) as error:
            run.status, run.error = "unreadable summary", f"{summary_file}: {error}"
    else:
        run.error = "no summary.json: the job died before writing one, or is still running"
    run.overrides = parse_overrides(overrides or [])
    if run.seed is None:
        seed = run.overrides.get(seed_key, config.get(seed_key))
        run.seed = int(seed) if seed is not None else None
    return run


def job_folders(root: Path) -> list[Path]:
    """Every job folder at or under `root`, in job order: folder 10 after folder 9."""
    marks = [*root.rglob("summary.json"), *root.rglob(".hydra/overrides.yaml")]
    folders = {mark.parent if mark.name == "summary.json" else mark.parent.parent for mark in marks}
    return sorted(
        folders, key=lambda folder: [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in folder.parts]
    )


def planned_jobs(sweep_dir: Path) -> list[dict[str, str]] | None:
    """The overrides of every job a basic-sweeper multirun planned, replayed from its multirun.yaml.

    What Hydra's BasicSweeper does (the joblib and SLURM launchers run the jobs it plans), through
    Hydra's public override parser: its `hydra.sweeper.params`, then the command line's overrides, a
    later value of a key replacing an earlier one; each sweep expanded to its values; their cartesian
    product in that key order. Other sweepers (Optuna) choose their jobs as they go: None, no plan.
    """
    multirun_file = sweep_dir / "multirun.yaml"
    config = yaml.safe_load(multirun_file.read_text()) or {}
    hydra = config.get("hydra", {})
    sweeper = hydra.get("sweeper", {})
    if str(sweeper.get("_target_", "")).rpartition(".")[2] != BASIC_SWEEPER:
        return None
    params = [f"{key}={value}" for key, value in (sweeper.get("params") or {}).items()]
    command_line = hydra.get("overrides", {}).get("task", [])
    choices: dict[str, list[str]] = {}
    try:
        for override in OverridesParser.create().parse_overrides([*params, *command_line]):
            key = override.get_key_element()
            if not override.is_sweep_override():
                values = [override.get_value_element_as_str()]
            elif override.is_discrete_sweep():
                values = list(override.sweep_string_iterator())
            else:
                raise UserError(f"{multirun_file}: {key} sweeps an interval, which a basic sweep cannot enumerate")
            choices[key] = [f"{key}={value}" for value in values]
    except HydraException as error:
        raise UserError(f"{multirun_file}: its sweep overrides do not parse: {error}") from error
    return [parse_overrides(list(job)) for job in itertools.product(*choices.values())]


def collect_runs(roots: list[Path], seed_key: str = "seed") -> list[Run]:
    """Every run under `roots` in job order, then a NOT_STARTED run for each planned job that has no folder."""
    runs: list[Run] = []
    for root in roots:
        if not root.is_dir():
            raise UserError(f"{root}: no such folder; expected a multirun folder, a run folder or a folder of them")
        found = [read_run(folder, seed_key) for folder in job_folders(root)]
        if not found:
            raise UserError(
                f"{root}: no runs found; expected job folders holding summary.json or .hydra/overrides.yaml "
                "(a multirun folder such as multirun/<task>/<date_time>)"
            )
        runs += found
        for sweep_dir in sorted(path.parent for path in root.rglob("multirun.yaml")):
            started = [run.overrides for run in found if sweep_dir in run.folder.parents]
            runs += [
                Run(
                    folder=sweep_dir,
                    overrides=job,
                    status=NOT_STARTED,
                    seed=int(job[seed_key]) if seed_key in job else None,
                    error="planned by the sweep, never started (the sweep stopped or is still running)",
                )
                for job in planned_jobs(sweep_dir) or []
                if job not in started
            ]
    return runs
