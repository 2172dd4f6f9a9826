"""Export: plain transformers loads the folder and gives the rewards rmexp gives."""

import pytest
import torch
from hydra.utils import instantiate
from safetensors.torch import load_file, save_file
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from rmexp.errors import UserError
from rmexp.export import ExportError, export_reward_model, load_reward_model

PROMPTS = ["explain music", "describe the history of cooking", "review travel"]
RESPONSES = ["the song was loud and good", "a long story", "fine"]


def tiny(compose_train, *overrides):
    cfg = compose_train(*overrides)
    tokenizer = instantiate(cfg.model.tokenizer)
    model = instantiate(cfg.model.reward_model, tokenizer=tokenizer, head_init_std=0.5)
    return model.eval(), tokenizer


def test_plain_transformers_gives_the_checkpoint_rewards(compose_train, tmp_path):
    torch.manual_seed(0)
    model, tokenizer = tiny(compose_train)
    batch = tokenizer(PROMPTS, RESPONSES, padding=True, return_tensors="pt")
    expected = model.score(batch["input_ids"], batch["attention_mask"])
    export_reward_model(model, tokenizer, tmp_path / "rm")

    reloaded = AutoModelForSequenceClassification.from_pretrained(tmp_path / "rm")
    reloaded_tokenizer = AutoTokenizer.from_pretrained(tmp_path / "rm")
    again = reloaded_tokenizer(PROMPTS, RESPONSES, padding=True, return_tensors="pt")
    assert torch.equal(again["input_ids"], batch["input_ids"])
    with torch.no_grad():
        rewards = reloaded(**again).logits.squeeze(-1)
    assert expected.abs().max() > 0.1  # a head that says something, not all zeros
    torch.testing.assert_close(rewards, expected, atol=1e-5, rtol=0)
    assert (tmp_path / "rm" / "model.safetensors").is_file()

    via_loader, _ = load_reward_model(tmp_path / "rm")
    torch.testing.assert_close(via_loader(batch["input_ids"], batch["attention_mask"]), expected, atol=1e-5, rtol=0)


def test_an_encoder_with_mean_pooling_is_refused_naming_the_key(compose_train, tmp_path):
    model, tokenizer = tiny(compose_train, "model.reward_model.architecture=bert", "model.reward_model.pooling=mean")
    with pytest.raises(ExportError, match="model.reward_model.pooling='mean'"):
        export_reward_model(model, tokenizer, tmp_path / "rm")


def test_a_head_bias_that_the_score_layer_cannot_hold_is_refused(compose_train, tmp_path):
    model, tokenizer = tiny(compose_train)
    torch.nn.init.constant_(model.head.bias, 0.25)
    with pytest.raises(ExportError, match="bias of 0.25"):
        export_reward_model(model, tokenizer, tmp_path / "rm")
    assert not (tmp_path / "rm").exists()


def test_an_export_missing_a_weight_or_holding_an_extra_one_is_refused_naming_them(compose_train, tmp_path):
    model, tokenizer = tiny(compose_train)
    folder = export_reward_model(model, tokenizer, tmp_path / "rm")
    weights = load_file(folder / "model.safetensors")
    dropped = sorted(weights)[1]
    weights["extra.weight"] = weights.pop(dropped)
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    # transformers alone would load it, the missing layer left at its random start
    with pytest.raises(UserError) as refused:
        load_reward_model(folder)
    message = str(refused.value)
    assert message.startswith(f"{folder / 'model.safetensors'}: its weights do not fill")
    assert f"missing: {dropped}" in message and "unexpected: extra.weight" in message


def card_code(card: str, folder) -> str:
    """The card's Python block, pointed at `folder`: what a reader would paste."""
    block = card.split("```python\n", 1)[1].split("```", 1)[0]
    return block.replace("<this folder>", str(folder))


def test_the_model_card_s_code_gives_the_reward_rmexp_gives(compose_train, tmp_path):
    torch.manual_seed(0)
    model, tokenizer = tiny(compose_train)
    folder = export_reward_model(model, tokenizer, tmp_path / "rm")
    card = (folder / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: transformers\n")
    assert "Exported outside a training run" in card  # no training record: no metrics are invented

    namespace: dict = {}
    exec(compile(card_code(card, folder), "README.md", "exec"), namespace)  # the test runs the card, rmexp never does
    batch = tokenizer(["What is 2 + 2?"], ["4."], return_tensors="pt")
    expected = model.score(batch["input_ids"], batch["attention_mask"])
    assert expected.abs().max() > 0.01
    torch.testing.assert_close(namespace["reward"], expected, atol=1e-5, rtol=0)
