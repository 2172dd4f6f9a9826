"""callbacks=early_stopping: the default callbacks, and a run that stops once val/loss stalls."""

import pytest

from .conftest import QUICK, SMALL_LAB

pytestmark = pytest.mark.e2e  # a real training run


def test_early_stopping_composes_with_the_default_callbacks(compose_train):
    callbacks = compose_train("callbacks=early_stopping").callbacks
    assert callbacks.checkpoint.monitor == callbacks.early_stopping.monitor == "val/loss"
    assert callbacks.early_stopping.patience == 2
    assert {"progress_bar", "model_summary", "learning_rate"} <= set(callbacks)


def test_a_run_whose_val_loss_does_not_improve_stops_before_max_epochs(compose_train, tmp_path):
    """No epoch improves val/loss by 100, so the run stops `patience` epochs after the first."""
    from rmexp.train import train

    cfg = compose_train(*SMALL_LAB, *QUICK, "callbacks=early_stopping", "callbacks.early_stopping.patience=1",
                        "callbacks.early_stopping.min_delta=100", "trainer.max_epochs=6")  # fmt: skip
    summary = train(cfg, tmp_path)
    assert summary["status"] == "completed"
    assert summary["epochs"] == 2
    assert summary["best_checkpoint"]  # the best checkpoint is still the one tested
