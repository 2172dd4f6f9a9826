"""The real CLI, end to end: Hydra composes, Lightning trains, W&B logs offline, the run folder is complete."""

import json
import subprocess
import sys

import pytest

from .conftest import LEARNABLE_LAB, REPO_ROOT

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

# 100 resamples: intervals to check, at a tenth of the default's cost
QUICK_LAB = [*LEARNABLE_LAB, "trainer.max_epochs=3", "bootstrap_samples=100"]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("run")
    result = subprocess.run(
        [sys.executable, "-m", "rmexp.train", *QUICK_LAB, f"hydra.run.dir={run_dir}"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=600,
        env={**__import__("os").environ, "WANDB_MODE": "offline"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return run_dir, result


def test_a_short_run_learns_the_gold_preferences(quick_run):
    run_dir, _ = quick_run
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed"
    assert summary["metrics"]["test/gold_accuracy"] > 0.75  # chance is 0.5
    # the test split is labelled by gold, so label accuracy there is gold accuracy
    assert summary["metrics"]["test/accuracy"] == pytest.approx(summary["metrics"]["test/gold_accuracy"])


def test_the_run_folder_holds_config_checkpoints_and_an_offline_wandb_run(quick_run):
    run_dir, _ = quick_run
    assert "beta_len: 0.1" in (run_dir / "config.yaml").read_text()  # resolved, not interpolated
    assert "${" not in (run_dir / "config.yaml").read_text()
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["best_checkpoint"].endswith(".ckpt")
    offline_runs = list((run_dir / "wandb").glob("offline-run-*"))
    assert len(offline_runs) == 1
    assert list(offline_runs[0].glob("run-*.wandb"))


def test_the_terminal_shows_the_results_table(quick_run):
    _, result = quick_run
    assert "rmexp results" in result.stdout
    assert "accuracy (gold)" in result.stdout
    assert "corr(reward, length)" in result.stdout
    # beside the test column, each metric's interval over resampled prompts, as summary.json has it
    assert "test 95% CI (prompts)" in result.stdout
    summary = json.loads((quick_run[0] / "summary.json").read_text())
    low, high = summary["intervals"]["test/gold_accuracy"]
    assert f"[{low:.4f}, {high:.4f}]" in result.stdout


def test_the_export_s_model_card_reports_the_run(quick_run):
    run_dir, _ = quick_run
    card = (run_dir / "export" / "README.md").read_text()
    summary = json.loads((run_dir / "summary.json").read_text())
    metrics, intervals = summary["metrics"], summary["intervals"]
    assert "| loss | bradley_terry (loss=bt) |" in card
    assert "| base model | none: a randomly initialised llama (" in card and "(model=tiny) |" in card
    assert "| data | the synthetic lab, 400 prompts, seed 0 (data=synthetic) |" in card
    assert "| epochs | 3 |" in card and f"| optimiser steps | {summary['steps']} |" in card
    low, high = intervals["test/gold_accuracy"]
    assert f"| accuracy (gold) | {metrics['test/gold_accuracy']:.4f} | [{low:.4f}, {high:.4f}] |" in card
    assert f"Picking the longer response scores {metrics['test/longer_preferred_rate']:.3f}" in card
    assert f"with length at {metrics['test/length_partial_corr']:.3f} once the gold" in card


def test_the_terminal_ends_with_the_table_and_the_run_folder_keeps_the_whole_log(quick_run):
    run_dir, result = quick_run
    console = (result.stdout + result.stderr).splitlines()
    last = result.stdout.splitlines()[-25:]
    assert any("rmexp results" in line for line in last), "\n".join(console[-40:])
    assert last[-1] == f"run folder: {run_dir}"
    assert "wandb: WARNING" not in result.stderr
    for noise in ("Tip:", "GPU available", "DeprecationWarning", "wandb: Run summary", "val/ece"):
        assert not any(noise in line for line in console), noise
    log = (run_dir / "train.log").read_text()
    assert "`Trainer.fit` stopped: `max_epochs=3` reached." in log  # Lightning's notices go to the file
    assert "results:" in log and "accuracy (gold)" in log  # and the results table as text
