"""An ensemble of K heads on one backbone: aggregation, training from a zero head, export and scoring."""

import copy
import json

import pytest
import torch
from hydra.utils import instantiate
from transformers import AutoModelForSequenceClassification

from rmexp.config_checks import check_train_config
from rmexp.errors import UserError
from rmexp.export import ExportedEnsemble, export_reward_model, load_reward_model
from rmexp.models.ensemble import EnsembleRewardModel, EnsembleSettings, aggregate_members
from rmexp.score import score_file
from rmexp.train import build

from ..conftest import SMALL_LAB

PROMPTS = ["explain music", "explain music", "review travel"]
RESPONSES = ["the song was loud and good", "a long story", "fine"]
ENSEMBLE = "model.reward_model.ensemble.members=3"


def tiny(compose_train, *overrides, head_init_std=0.5):
    torch.manual_seed(0)
    cfg = compose_train(*overrides)
    tokenizer = instantiate(cfg.model.tokenizer)
    return instantiate(cfg.model.reward_model, tokenizer=tokenizer, head_init_std=head_init_std).eval(), tokenizer


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [("mean", 3.0), ("min", 1.0), ("uwo", 3.0 - 0.5 * 14 / 3)],  # variance of (1, 2, 6): (4 + 1 + 9) / 3
)
def test_aggregates_on_hand_values(aggregate, expected):
    members = torch.tensor([[1.0, 2.0, 6.0]])
    assert aggregate_members(members, aggregate, uwo_lambda=0.5).item() == pytest.approx(expected)


@pytest.mark.parametrize("aggregate", ["mean", "min", "uwo"])
def test_an_ensemble_of_identical_members_is_the_single_model(compose_train, aggregate):
    single, tokenizer = tiny(compose_train)
    ensemble = EnsembleRewardModel(copy.deepcopy(single.backbone), EnsembleSettings(members=3, aggregate=aggregate))
    with torch.no_grad():
        ensemble.head.weight.copy_(single.head.weight.expand(3, -1))
    batch = tokenizer(PROMPTS, RESPONSES, padding=True, return_tensors="pt")
    inputs = batch["input_ids"], batch["attention_mask"]
    expected = single.score(*inputs)
    assert expected.abs().max() > 0.1
    torch.testing.assert_close(ensemble.eval().score(*inputs), expected, atol=1e-6, rtol=0)
    groups = torch.tensor([[0, 1]])  # the two answers to one prompt, scored in one packed row
    torch.testing.assert_close(
        ensemble.grouped(*inputs[:1], inputs[1], groups)[:2], single.grouped(*inputs, groups)[:2]
    )


def test_the_model_config_builds_an_ensemble_with_one_head_output_per_member(compose_train):
    model, _ = tiny(compose_train, ENSEMBLE, "model.reward_model.ensemble.aggregate=min")
    assert isinstance(model, EnsembleRewardModel)
    assert model.head.out_features == 3 and model.ensemble.aggregate == "min"
    single, _ = tiny(compose_train)
    assert not isinstance(single, EnsembleRewardModel)


def test_members_from_a_zero_head_part_ways_through_their_resamples(compose_train):
    """A zero head starts every member at the same reward; their bootstrap resamples give them different gradients."""
    module, datamodule = build(compose_train(ENSEMBLE, *SMALL_LAB))
    assert torch.count_nonzero(module.model.head.weight) == 0
    datamodule.setup("fit")
    batch = next(iter(datamodule.train_dataloader()))
    loss, rewards, metrics = module.training_loss(batch)
    assert rewards.shape == (batch["input_ids"].shape[0],) and "accuracy" in metrics
    loss.backward()
    gradient = module.model.head.weight.grad
    assert not torch.allclose(gradient[0], gradient[1]) and not torch.allclose(gradient[1], gradient[2])


def test_without_bootstrap_a_zero_head_is_refused(compose_train):
    cfg = compose_train(ENSEMBLE, "model.reward_model.ensemble.bootstrap=false")
    with pytest.raises(Exception) as error:
        instantiate(cfg.model.reward_model, tokenizer=instantiate(cfg.model.tokenizer))
    assert isinstance(error.value.__cause__, UserError)
    assert "members would stay identical" in str(error.value)


def test_an_ensemble_with_a_listwise_loss_is_refused_at_the_config(compose_train):
    with pytest.raises(UserError, match="ensemble.members=3 with a listwise loss"):
        check_train_config(compose_train(ENSEMBLE, "loss=listwise_pairs"))


def test_an_ensemble_exports_and_scores_its_members_and_aggregate(compose_train, tmp_path):
    model, tokenizer = tiny(compose_train, ENSEMBLE, "model.reward_model.ensemble.aggregate=uwo",
                            "model.reward_model.ensemble.uwo_lambda=0.5")  # fmt: skip
    batch = tokenizer(PROMPTS, RESPONSES, padding=True, return_tensors="pt")
    inputs = batch["input_ids"], batch["attention_mask"]
    members, rewards = model.member_rewards(*inputs).detach(), model.score(*inputs)
    assert (members[:, 0] - members[:, 1]).abs().max() > 0.1  # members that differ, so the aggregate matters
    export_reward_model(model, tokenizer, tmp_path / "rm")

    classifier = AutoModelForSequenceClassification.from_pretrained(tmp_path / "rm")
    assert classifier.config.id2label == {0: "member_0", 1: "member_1", 2: "member_2"}
    with torch.no_grad():
        torch.testing.assert_close(classifier(*inputs[:1], attention_mask=inputs[1]).logits, members, atol=1e-5, rtol=0)
    loaded, _ = load_reward_model(tmp_path / "rm")
    assert isinstance(loaded, ExportedEnsemble)
    torch.testing.assert_close(loaded(*inputs), rewards, atol=1e-5, rtol=0)
    assert "minus 0.5 x their variance" in (tmp_path / "rm" / "README.md").read_text()

    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "".join(json.dumps({"prompt": p, "response": r}) + "\n" for p, r in zip(PROMPTS, RESPONSES, strict=True))
    )
    score_file(loaded, tokenizer, rows, tmp_path / "scored.jsonl", show_progress=False)
    scored = [json.loads(line) for line in (tmp_path / "scored.jsonl").read_text().splitlines()]
    torch.testing.assert_close(torch.tensor([row["member_rewards"] for row in scored]), members, atol=1e-5, rtol=0)
    torch.testing.assert_close(torch.tensor([row["reward"] for row in scored]), rewards, atol=1e-5, rtol=0)


def test_odin_s_length_head_with_an_ensemble_is_refused_naming_both_keys(compose_train):
    with pytest.raises(Exception, match="length_head=true with ensemble.members > 1") as error:
        tiny(compose_train, ENSEMBLE, "model.reward_model.length_head=true")
    assert isinstance(error.value, UserError) or isinstance(error.value.__cause__, UserError)
