"""debug=<option>: a quick look at whether the pipeline runs, learns or is slow, that leaves no export or W&B run."""

import json

import pytest

from .conftest import SMALL_LAB, run_entry_point

pytestmark = pytest.mark.e2e  # a real training run

DEBUG_TRAINER_KEYS = {
    "fast_dev_run": {"fast_dev_run": True},
    "overfit": {"overfit_batches": 3},
    "limit": {"limit_train_batches": 4, "limit_val_batches": 2, "limit_test_batches": 2},
    "profiler": {"max_epochs": 1},
}


@pytest.mark.parametrize("option", DEBUG_TRAINER_KEYS)
def test_each_debug_option_composes_without_export_or_logger(compose_train, option):
    cfg = compose_train(f"debug={option}")
    assert cfg.export is False
    assert not cfg.logger
    assert cfg.task_name == "debug"
    for key, value in DEBUG_TRAINER_KEYS[option].items():
        assert cfg.trainer[key] == value
    assert cfg.callbacks.checkpoint.monitor == "val/loss"  # the default callbacks stay


def test_debug_overrides_an_experiment(compose_train):
    cfg = compose_train("experiment=length_bias_smoke", "debug=limit")
    assert (cfg.task_name, cfg.data.lab.beta_len) == ("debug", 1.0)


def test_fast_dev_run_trains_one_batch_of_each_split_and_exports_nothing(tmp_path):
    code, _ = run_entry_point("train", ["debug=fast_dev_run", *SMALL_LAB, "trainer.enable_progress_bar=false",
                                        f"hydra.run.dir={tmp_path}"])  # fmt: skip
    assert code == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "completed"
    assert summary["steps"] == 1
    assert "test/accuracy" in summary["metrics"]
    assert not (tmp_path / "export").exists()
    assert not (tmp_path / "wandb").exists()


def test_the_profiler_writes_its_table_in_the_run_folder(tmp_path):
    code, _ = run_entry_point("train", ["debug=profiler", *SMALL_LAB, "trainer.enable_progress_bar=false",
                                        f"hydra.run.dir={tmp_path}"])  # fmt: skip
    assert code == 0
    profile = (tmp_path / "fit-profile.txt").read_text()
    assert "run_training_epoch" in profile
    assert not (tmp_path / "export").exists()
