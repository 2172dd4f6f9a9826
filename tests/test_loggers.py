"""The W&B run's job type fits W&B's limit, a single run has no group, and its name no trailing space;
several loggers at once, each under its option's name."""

import csv

import pytest
from omegaconf import OmegaConf

from rmexp.logger_options import logger_configs
from rmexp.loggers import JOB_TYPE_LIMIT, fitting_job_type, wandb_logger

from .conftest import SMALL_LAB


def test_a_variant_within_the_limit_is_the_job_type_as_it_is():
    assert fitting_job_type("loss=bt,data.lab.beta_len=1") == "loss=bt,data.lab.beta_len=1"


def test_a_long_variant_is_cut_to_the_limit_and_kept_apart_from_its_neighbours():
    first = "data.lab.beta_len=0,data.lab.num_prompts=300,trainer.max_epochs=2"  # 65 characters
    second = "data.lab.beta_len=0,data.lab.num_prompts=300,trainer.max_epochs=3"
    assert len(first) == 65
    assert len(fitting_job_type(first)) == JOB_TYPE_LIMIT
    assert fitting_job_type(first).startswith("data.lab.beta_len=0,data.lab.num_prompts=300,trainer.")
    assert fitting_job_type(first) != fitting_job_type(second)


def test_a_single_run_has_no_group_and_a_clean_name(tmp_path):
    logger = wandb_logger(str(tmp_path), group="multirun/train/2026-12-01_00-00-00", job_type="", name="seed=0 ")
    try:
        assert logger.experiment.group in (None, "")
        assert logger.experiment.name == "seed=0"
        assert logger.experiment.job_type in (None, "")
    finally:
        logger.experiment.finish()


def test_a_list_of_logger_options_composes_into_one_config_each(compose_train):
    cfg = compose_train("logger=[wandb,csv]")
    assert sorted(cfg.logger) == ["csv", "wandb"]
    assert [config._target_ for config in logger_configs(cfg.logger)] == [
        "rmexp.loggers.wandb_logger",
        "pytorch_lightning.loggers.CSVLogger",
    ]
    assert logger_configs(compose_train("logger=none").logger) == []


def test_a_run_folder_from_before_the_options_were_named_still_gives_its_logger():
    old = OmegaConf.create({"_target_": "pytorch_lightning.loggers.CSVLogger", "save_dir": "run"})
    assert logger_configs(old) == [old]
    assert logger_configs(OmegaConf.create({"wandb": None, "csv": {"_target_": "x"}})) == [{"_target_": "x"}]


@pytest.mark.e2e
def test_two_loggers_each_get_the_run_and_the_learning_rate_as_scheduled(compose_train, tmp_path):
    """Constant after no warm-up: every logged step holds optimizer.lr itself; W&B keeps its offline run beside."""
    from rmexp.train import train

    cfg = compose_train(*SMALL_LAB, "logger=[csv,wandb]", "scheduler=constant", "optimizer.lr=0.002",
                        "trainer.max_epochs=1", "trainer.log_every_n_steps=1", "trainer.enable_progress_bar=false",
                        "export=false", "bootstrap_samples=0")  # fmt: skip
    assert train(cfg, tmp_path)["status"] == "completed"
    with next(tmp_path.glob("csv/*/metrics.csv")).open() as file:
        logged = [float(row["lr-AdamW"]) for row in csv.DictReader(file) if row.get("lr-AdamW")]
    assert logged and all(value == pytest.approx(0.002) for value in logged)
    assert list(tmp_path.glob("wandb/offline-run-*/run-*.wandb"))


@pytest.mark.e2e
@pytest.mark.parametrize(("option", "written"), [("tensorboard", "tensorboard/events.out.tfevents.*"),
                                                 ("mlflow", "mlruns/*/*/metrics/train/loss")])  # fmt: skip
def test_tensorboard_and_mlflow_write_their_files_in_the_run_folder(compose_train, tmp_path, option, written):
    pytest.importorskip(option, reason=f'logger={option} needs pip install -e ".[tracking]"')
    from rmexp.train import train

    cfg = compose_train(*SMALL_LAB, f"logger={option}", "trainer.max_epochs=1", "trainer.log_every_n_steps=1",
                        "trainer.enable_progress_bar=false", "export=false", "bootstrap_samples=0")  # fmt: skip
    assert train(cfg, tmp_path)["status"] == "completed"
    assert list(tmp_path.glob(written)), sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*"))


@pytest.mark.e2e
def test_the_export_is_logged_as_a_model_artifact_of_the_w_and_b_run(compose_train, tmp_path):
    from rmexp.train import train

    cfg = compose_train(*SMALL_LAB, "logger=wandb", "export_artifact=true", "trainer.max_epochs=1",
                        "trainer.enable_progress_bar=false", "bootstrap_samples=0")  # fmt: skip
    summary = train(cfg, tmp_path)
    run_id = (tmp_path / "wandb_run_id").read_text()
    assert summary["artifacts"]["export_artifact"].startswith(f"reward-model-{run_id}")
    assert "export_artifact" not in summary["after_training_errors"]
    record = next(tmp_path.glob(f"wandb/offline-run-*-{run_id}/run-{run_id}.wandb")).read_bytes()
    assert f"reward-model-{run_id}".encode() in record and b"model.safetensors" in record
