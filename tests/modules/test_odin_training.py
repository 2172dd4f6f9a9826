"""ODIN trains end to end in the pairwise and listwise families, reports its length head, and exports."""

import pytest
import torch

from rmexp.export import load_reward_model
from rmexp.train import train

from .test_families import QUICK

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

ODIN = [
    "model.reward_model.length_head=true",
    "loss.odin_length_coef=1.0",
    "loss.odin_quality_coef=1.0",
    "loss.odin_orthogonality_coef=1.0",
    "data.lab.beta_len=1.0",
]


@pytest.mark.parametrize("loss", ["bt", "listwise_pairs"])
def test_an_odin_run_logs_its_terms_and_the_length_heads_correlation(compose_train, tmp_path, loss):
    summary = train(compose_train(f"loss={loss}", *ODIN, *QUICK, "export=false"), tmp_path)
    metrics = summary["metrics"]
    assert {"train/reg_odin_length", "train/reg_odin_quality", "train/reg_odin_orthogonality"} <= set(metrics)
    # the length head took length up: its reward tracks length far more than the quality head's does
    assert metrics["test/length_head_length_corr"] > 0.8, metrics
    assert abs(metrics["test/length_corr"]) < metrics["test/length_head_length_corr"]
    assert metrics["test/gold_accuracy"] > 0.7


def test_an_odin_run_exports_its_quality_head(compose_train, tmp_path):
    summary = train(compose_train(*ODIN, *QUICK, "trainer.max_epochs=1"), tmp_path)
    trained, tokenizer = load_reward_model(tmp_path)  # the run's best checkpoint, both heads
    exported, _ = load_reward_model(tmp_path / "export")
    batch = tokenizer(["explain music", "review travel"], ["the song was good", "fine"], padding=True,
                      return_tensors="pt")  # fmt: skip
    with torch.no_grad():
        expected = trained.eval()(batch["input_ids"], batch["attention_mask"])
        rewards = exported(batch["input_ids"], batch["attention_mask"])
    assert summary["status"] == "completed" and summary["after_training_errors"] == {}
    torch.testing.assert_close(rewards, expected, atol=1e-5, rtol=0)
