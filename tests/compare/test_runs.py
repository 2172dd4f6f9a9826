"""Collecting runs: every job folder, its status and seed, and the jobs a sweep planned but never started."""

import pytest
import yaml

from rmexp.compare.runs import collect_runs, planned_jobs
from rmexp.errors import UserError

from .conftest import BASIC_SWEEPER_TARGET, SWEEP


def test_every_planned_job_is_a_run_with_its_status(sweep_dir):
    runs = collect_runs([sweep_dir])
    found = {(run.overrides["loss"], run.seed): run.status for run in runs}
    assert found == {job: status for job, (status, _) in SWEEP.items()}


def test_the_plan_replays_the_sweepers_cartesian_product(sweep_dir):
    plan = planned_jobs(sweep_dir)
    assert len(plan) == 12
    assert plan[0] == {"loss": "bt", "seed": "0", "experiment": "demo", "logger": "none"}
    assert plan[-1]["loss"] == "listwise_pairs" and plan[-1]["seed"] == "3"


def test_only_completed_runs_with_finite_values_are_results(sweep_dir):
    runs = {(run.overrides["loss"], run.seed): run for run in collect_runs([sweep_dir])}
    assert runs["bt", 0].value("test/gold_accuracy") == 0.80
    assert runs["bt", 3].value("test/gold_accuracy") is None  # diverged: NaN
    assert runs["pointwise_mse", 2].error == "ValueError: boom"
    assert "no summary.json" in runs["listwise_pairs", 3].error


def test_a_missing_folder_and_a_folder_without_runs_are_named(tmp_path):
    with pytest.raises(UserError, match=f"{tmp_path / 'nope'}: no such folder"):
        collect_runs([tmp_path / "nope"])
    with pytest.raises(UserError, match="no runs found"):
        collect_runs([tmp_path])


def write_multirun(sweep_dir, sweeper: str, params: dict[str, str], task: list[str]) -> None:
    sweep_dir.mkdir(parents=True, exist_ok=True)
    multirun = {"hydra": {"sweeper": {"_target_": sweeper, "params": params}, "overrides": {"task": task}}}
    (sweep_dir / "multirun.yaml").write_text(yaml.safe_dump(multirun))


def test_the_command_line_replaces_a_param_in_its_place_and_keeps_its_prefix(tmp_path):
    # seed=range(2) from the params is replaced by the command line's 5,6 but stays the second key
    write_multirun(tmp_path, BASIC_SWEEPER_TARGET, {"loss": "bt,hinge", "seed": "range(2)"}, ["seed=5,6", "+data.x=1"])
    assert planned_jobs(tmp_path) == [
        {"loss": loss, "seed": seed, "data.x": "1"} for loss in ("bt", "hinge") for seed in ("5", "6")
    ]


def test_a_sweeper_that_plans_as_it_goes_has_no_plan_and_an_interval_is_named(tmp_path):
    write_multirun(tmp_path, "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper", {"lr": "range(3)"}, [])
    assert planned_jobs(tmp_path) is None
    write_multirun(tmp_path, BASIC_SWEEPER_TARGET, {"lr": "interval(0, 1)"}, [])
    with pytest.raises(UserError, match="multirun.yaml: lr sweeps an interval, which a basic sweep cannot enumerate"):
        planned_jobs(tmp_path)


def test_a_run_whose_config_is_not_yaml_is_listed_with_the_file_and_line(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "summary.json").write_text('{"status": "completed", "metrics": {}}')
    (tmp_path / "run" / "config.yaml").write_text("seed: 0\nmodel: [unclosed\n")
    [run] = collect_runs([tmp_path])
    assert run.status == "unreadable config"
    assert run.error.startswith(f"{tmp_path / 'run' / 'config.yaml'}, line 3: not valid YAML")
