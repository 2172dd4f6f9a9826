"""Each loss family, built from its config, trains on the lab and beats chance against gold on test."""

import pytest
import pytorch_lightning as pl
import torch
from hydra.utils import instantiate

from rmexp.errors import UserError
from rmexp.train import build, train

from ..conftest import LEARNABLE_LAB, SMALL_LAB

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

QUICK = [
    *LEARNABLE_LAB,
    "trainer.max_epochs=3",
    "bootstrap_samples=0",
    "logger=none",
    "callbacks=none",
    "trainer.enable_progress_bar=false",
]


@pytest.mark.parametrize("loss", ["bt", "pointwise_mse", "listwise_pairs", "plackett_luce"])
def test_every_family_learns_the_gold_preferences(compose_train, tmp_path, loss):
    summary = train(compose_train(f"loss={loss}", *QUICK), tmp_path)
    assert summary["metrics"]["test/gold_accuracy"] > 0.75, summary["metrics"]


def test_the_families_are_scored_on_the_same_test_pairs(compose_train):
    """Pairwise test pairs are all C(R, 2) pairs of the test prompts; the other views hold the same responses."""
    sizes = {}
    for loss in ("bt", "pointwise_mse", "listwise_pairs"):
        _, datamodule = build(compose_train(f"loss={loss}", *SMALL_LAB))
        datamodule.setup("test")
        sizes[loss] = len(datamodule.datasets["test"])
    responses_per_prompt = 8
    test_prompts = sizes["listwise_pairs"]  # one list of all responses per test prompt
    assert sizes["pointwise_mse"] == test_prompts * responses_per_prompt
    assert sizes["bt"] == test_prompts * responses_per_prompt * (responses_per_prompt - 1) // 2


def test_regularizers_add_their_weighted_values_to_the_loss(compose_train):
    module, datamodule = build(compose_train("loss.center_coef=0.5", "loss.length_decorrelation_coef=2.0", *SMALL_LAB))
    datamodule.setup("fit")
    batch = next(iter(datamodule.train_dataloader()))
    _, rewards, _ = module.training_loss(batch)
    total, parts = module.regularization(rewards, batch["response_length"])
    assert set(parts) == {"reg_center", "reg_length_decorrelation"}
    assert total.item() == pytest.approx(
        0.5 * parts["reg_center"].item() + 2.0 * parts["reg_length_decorrelation"].item()
    )


def test_a_negative_regularizer_is_refused_naming_the_key(compose_train):
    cfg = compose_train("loss.center_coef=-0.1", *SMALL_LAB)
    with pytest.raises(Exception) as error:
        instantiate(cfg.loss, model=None, optimizer=None)
    assert isinstance(error.value.__cause__, UserError)
    assert "loss.center_coef=-0.1: expected a number >= 0" in str(error.value)


def test_the_same_config_and_seed_give_the_same_metrics(compose_train, tmp_path):
    quick = ["loss=bt", *QUICK, "trainer.max_epochs=1"]
    (tmp_path / "first").mkdir(), (tmp_path / "second").mkdir()
    first = train(compose_train(*quick), tmp_path / "first")
    second = train(compose_train(*quick), tmp_path / "second")
    assert first["metrics"] == second["metrics"]


def test_the_epoch_training_means_weigh_every_pair_once(compose_train):
    """train/loss is the mean over the epoch's pairs of the losses the steps trained on (summed on the device)."""

    class Steps(pl.Callback):
        seen: list[tuple[float, float, int]] = []

        def on_train_batch_end(self, trainer, module, outputs, batch, index):
            pairs = batch["input_ids"].shape[0] // 2
            Steps.seen.append((outputs["loss"].item(), pairs))

    pl.seed_everything(0)
    module, datamodule = build(compose_train(*SMALL_LAB, "data.batch_size=7"))
    trainer = pl.Trainer(max_epochs=1, limit_val_batches=0, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, callbacks=[Steps()])  # fmt: skip
    trainer.fit(module, datamodule=datamodule)
    losses = torch.tensor([loss for loss, _ in Steps.seen])
    pairs = torch.tensor([count for _, count in Steps.seen], dtype=torch.float32)
    expected = (losses * pairs).sum() / pairs.sum()
    assert trainer.callback_metrics["train/loss"].item() == pytest.approx(expected.item(), rel=1e-6)
    assert trainer.callback_metrics["train/loss_step"].item() == pytest.approx(Steps.seen[-1][0])
