"""ODIN in the loss families: trained on the heads' sum, scored by the quality head, its terms logged."""

import pytest
import torch

from rmexp.errors import describe_user_error
from rmexp.losses.odin import head_orthogonality, length_head_alignment, quality_length_independence
from rmexp.losses.regularizers import length_decorrelation
from rmexp.train import build

from ..conftest import SMALL_LAB

ODIN = [
    "model.reward_model.length_head=true",
    "loss.odin_length_coef=1.0",
    "loss.odin_quality_coef=0.5",
    "loss.odin_orthogonality_coef=2.0",
]


def first_batch(compose_train, *overrides):
    module, datamodule = build(compose_train(*overrides, *SMALL_LAB))
    datamodule.setup("fit")
    return module, next(iter(datamodule.train_dataloader()))


@pytest.mark.parametrize("loss", ["bt", "listwise_pairs"])
def test_odin_terms_join_the_regularizers_which_act_on_the_quality_head(compose_train, loss):
    module, batch = first_batch(compose_train, f"loss={loss}", *ODIN, "loss.length_decorrelation_coef=3.0")
    torch.nn.init.normal_(module.model.head.weight, std=0.5)  # a quality head with a direction of its own
    groups = torch.arange(batch["input_ids"].shape[0]).unsqueeze(1)
    quality, length_rewards = module.model.grouped_heads(batch["input_ids"], batch["attention_mask"], groups)
    lengths = batch["response_length"].flatten()

    _, rewards, _ = module.train().training_loss(batch)
    torch.testing.assert_close(rewards, quality + length_rewards)  # the loss is fit to the sum
    total, parts = module.regularization(rewards, lengths)
    expected = {
        "reg_odin_length": length_head_alignment(length_rewards, lengths),
        "reg_odin_quality": quality_length_independence(quality, lengths),
        "reg_odin_orthogonality": head_orthogonality(module.model.head.weight, module.model.length_head.weight),
        "reg_length_decorrelation": length_decorrelation(quality, lengths),  # the quality head's, not the sum's
    }
    assert set(parts) == set(expected)
    for name, value in expected.items():
        assert parts[name].item() == pytest.approx(value.item(), abs=1e-5), name
    weights = {"reg_odin_length": 1.0, "reg_odin_quality": 0.5, "reg_odin_orthogonality": 2.0,
               "reg_length_decorrelation": 3.0}  # fmt: skip
    assert total.item() == pytest.approx(sum(weights[name] * parts[name].item() for name in weights), abs=1e-5)


def test_evaluation_scores_with_the_quality_head(compose_train):
    module, batch = first_batch(compose_train, *ODIN)
    torch.nn.init.normal_(module.model.head.weight, std=0.5)
    module.eval()
    with torch.no_grad():
        outputs = module.evaluation_outputs(batch)
        expected = module.model(batch["input_ids"], batch["attention_mask"])
    torch.testing.assert_close(torch.cat([outputs["chosen"], outputs["rejected"]]), expected)


def refusal(compose_train, *overrides: str) -> str:
    """The one-line message the CLI would print for building this config."""
    with pytest.raises(Exception) as error:
        build(compose_train(*overrides, *SMALL_LAB))
    return describe_user_error(error.value)


def test_odin_terms_without_a_length_head_are_refused_naming_both_keys(compose_train):
    message = refusal(compose_train, "loss.odin_quality_coef=1.0")
    assert message.startswith("loss.odin_quality_coef=1.0: ") and "model.reward_model.length_head=true" in message


def test_a_length_head_with_the_pointwise_family_is_refused(compose_train):
    message = refusal(compose_train, "loss=pointwise_mse", "model.reward_model.length_head=true")
    assert message.startswith("model.reward_model.length_head=true: the pointwise family")


def test_an_odin_coefficient_below_zero_is_refused(compose_train):
    message = refusal(compose_train, *ODIN, "loss.odin_length_coef=-1")
    assert message == "loss.odin_length_coef=-1: expected a number >= 0"
