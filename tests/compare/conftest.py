"""A multirun folder as rmexp-train leaves one, written by hand so that every number in it is known.

Three losses x seeds 0-3 of experiment `demo`; test/gold_accuracy per job (see SWEEP). Some jobs did
not give a result: bt seed 3 diverged, listwise_pairs seed 3 died without a summary, pointwise_mse
seed 2 failed and seed 3 never started (its folder is missing).
"""

import json
from pathlib import Path

import pytest
import yaml

NO_SUMMARY = "no summary"
NOT_STARTED = "not started"
# (loss, seed) -> the job's status and test/gold_accuracy, in the sweep's job order
SWEEP = {
    ("bt", 0): ("completed", 0.80),
    ("bt", 1): ("completed", 0.82),
    ("bt", 2): ("completed", 0.84),
    ("bt", 3): ("diverged", float("nan")),
    ("pointwise_mse", 0): ("completed", 0.70),
    ("pointwise_mse", 1): ("completed", 0.74),
    ("pointwise_mse", 2): ("failed", None),
    ("pointwise_mse", 3): (NOT_STARTED, None),
    ("listwise_pairs", 0): ("completed", 0.83),
    ("listwise_pairs", 1): ("completed", 0.86),
    ("listwise_pairs", 2): ("completed", 0.86),
    ("listwise_pairs", 3): (NO_SUMMARY, None),
}
CLI_OVERRIDES = ["experiment=demo", "logger=none"]
# The sweeper's class as Hydra 1.3 writes it in multirun.yaml
BASIC_SWEEPER_TARGET = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def write_job(folder: Path, overrides: list[str], status: str, accuracy: float | None, seed: int) -> None:
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    config = {"seed": seed, "compare": {"metrics": ["test/gold_accuracy"], "baseline": ["loss=bt"]}}
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    if status == NO_SUMMARY:
        return
    summary = {"status": status, "seed": seed, "overrides": overrides, "metrics": {}}
    if accuracy is not None:
        summary["metrics"] = {"test/gold_accuracy": accuracy, "test/length_corr": 0.1}
    if status == "failed":
        summary["error"] = "ValueError: boom"
    (folder / "summary.json").write_text(json.dumps(summary))


def write_completed_sweep(folder: Path, accuracies: dict[tuple[str, ...], list[float]]) -> Path:
    """A sweep without multirun.yaml whose jobs all completed: variant overrides -> accuracy of seed 0, 1, ..."""
    jobs = [
        (overrides, seed, accuracy) for overrides, values in accuracies.items() for seed, accuracy in enumerate(values)
    ]
    for number, (overrides, seed, accuracy) in enumerate(jobs):
        write_job(folder / str(number), [*overrides, f"seed={seed}"], "completed", accuracy, seed)
    return folder


def write_sweep(sweep_dir: Path) -> Path:
    params = {"loss": "bt,pointwise_mse,listwise_pairs", "seed": "range(4)"}
    multirun = {
        "hydra": {
            "sweeper": {"_target_": BASIC_SWEEPER_TARGET, "params": params},
            "overrides": {"task": CLI_OVERRIDES},
        }
    }
    sweep_dir.mkdir(parents=True)
    (sweep_dir / "multirun.yaml").write_text(yaml.safe_dump(multirun))
    for number, ((loss, seed), (status, accuracy)) in enumerate(SWEEP.items()):
        if status != NOT_STARTED:
            write_job(sweep_dir / str(number), [f"loss={loss}", f"seed={seed}", *CLI_OVERRIDES], status, accuracy, seed)
    return sweep_dir


@pytest.fixture
def sweep_dir(tmp_path) -> Path:
    return write_sweep(tmp_path / "multirun" / "demo" / "2025-01-01_00-00-00")
