"""What trains: LoRA adapters and the head, the head alone, or everything; checkpointing changes no gradient."""

import pytest
import pytorch_lightning as pl
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate

from rmexp.errors import UserError, describe_user_error
from rmexp.models.fine_tuning import LoraSettings, merged_backbone
from rmexp.models.tiny import tiny_reward_model
from rmexp.models.word_tokenizer import word_level_tokenizer
from rmexp.train import build

from ..conftest import SMALL_LAB
from .conftest import build as build_reward_model
from .conftest import needs


def weights_a_short_run_changes(compose_train, *overrides: str) -> tuple[set[str], set[str]]:
    """Train three steps on the small lab as rmexp-train would; the parameter names that moved, and all of them."""
    pl.seed_everything(0)
    module, datamodule = build(compose_train(*SMALL_LAB, *overrides))
    before = {name: value.clone() for name, value in module.model.state_dict().items()}
    trainer = pl.Trainer(max_steps=3, limit_val_batches=0, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False)  # fmt: skip
    trainer.fit(module, datamodule=datamodule)
    after = module.model.state_dict()
    return {name for name in before if not torch.equal(before[name], after[name])}, set(before)


def test_a_lora_run_changes_only_adapter_and_head_weights(compose_train):
    needs("peft")
    changed, names = weights_a_short_run_changes(compose_train, "model.reward_model.lora.rank=4")
    adapters = {name for name in names if ".lora_A." in name or ".lora_B." in name}
    assert len(adapters) == 2 * 7 * 2  # A and B, 7 linear layers per block (q k v o gate up down), 2 blocks
    # the head bias stays at 0: the pairwise loss only sees reward differences
    assert changed == adapters | {"head.weight"}


def test_a_frozen_run_changes_only_the_head(compose_train):
    changed, _ = weights_a_short_run_changes(compose_train, "model.reward_model.freeze_backbone=true")
    assert changed == {"head.weight"}


def test_a_full_run_changes_the_backbone_too(compose_train):
    changed, names = weights_a_short_run_changes(compose_train)
    assert "backbone.layers.0.self_attn.q_proj.weight" in changed
    assert len(changed) > len(names) // 2


def test_gradient_checkpointing_gives_the_same_gradients():
    tokenizer = word_level_tokenizer()
    batch = tokenizer(
        ["explain music", "review travel"], ["the song was loud", "fine"], padding=True, return_tensors="pt"
    )
    gradients = []
    for checkpointing in (False, True):
        torch.manual_seed(0)
        model = tiny_reward_model(tokenizer, head_init_std=0.5, gradient_checkpointing=checkpointing).train()
        model(batch["input_ids"], batch["attention_mask"]).sum().backward()
        gradients.append(model.backbone.layers[0].mlp.up_proj.weight.grad)
    assert gradients[0].abs().max() > 0
    torch.testing.assert_close(gradients[1], gradients[0])


def test_merging_lora_gives_a_plain_model_with_the_same_rewards():
    needs("peft")
    tokenizer = word_level_tokenizer()
    batch = tokenizer(["explain music"], ["the song was loud"], return_tensors="pt")
    torch.manual_seed(0)
    model = tiny_reward_model(tokenizer, head_init_std=0.5, lora=LoraSettings(rank=4, dropout=0.0)).eval()
    for name, parameter in model.named_parameters():
        if "lora_B" in name:  # B starts at zero; a trained adapter does not
            torch.nn.init.normal_(parameter, std=0.5)
    merged = merged_backbone(model.backbone)
    assert not any("lora" in name for name, _ in merged.named_parameters())
    adapted = model.score(batch["input_ids"], batch["attention_mask"])
    plain = model.head(merged(**batch).last_hidden_state[:, -1]).squeeze(-1)
    torch.testing.assert_close(plain, adapted)
    assert any("lora" in name for name, _ in model.named_parameters())  # the trained model keeps its adapters


def test_head_dropout_acts_in_training_only():
    tokenizer = word_level_tokenizer()
    batch = tokenizer(["explain music"] * 8, ["the song was loud"] * 8, return_tensors="pt")
    torch.manual_seed(0)
    model = tiny_reward_model(tokenizer, head_init_std=0.5, head_dropout=0.5)
    training = model.train()(batch["input_ids"], batch["attention_mask"])
    evaluation = model.eval()(batch["input_ids"], batch["attention_mask"])
    assert len(set(training.tolist())) > 1  # the same pair, a different dropout mask each row
    assert len(set(evaluation.tolist())) == 1


def test_freezing_and_lora_together_are_refused_naming_both_keys():
    with pytest.raises(UserError, match="freeze_backbone=true with model.reward_model.lora.rank>0"):
        tiny_reward_model(word_level_tokenizer(), freeze_backbone=True, lora=LoraSettings(rank=4))


def test_a_bad_lora_rank_names_the_key(compose_train):
    cfg = compose_train("model.reward_model.lora.rank=-1")
    with pytest.raises(InstantiationException) as error:
        instantiate(cfg.model.reward_model, tokenizer=word_level_tokenizer())
    assert describe_user_error(error.value) == (
        "model.reward_model.lora.rank: Input should be greater than or equal to 0 (got -1)"
    )


BERT = ("model.reward_model.architecture=bert", "model.reward_model.pooling=first")


def test_the_backbone_trains_without_its_dropout_unless_asked():
    model, tokenizer = build_reward_model("tiny", *BERT)
    batch = tokenizer(["the cat sat", "a dog ran far"], padding=True, return_tensors="pt")
    assert all(module.p == 0.0 for module in model.backbone.modules() if isinstance(module, torch.nn.Dropout))
    model.train()  # dropout layers active, yet at p = 0 a response's reward is the same every time
    torch.testing.assert_close(model(batch["input_ids"], batch["attention_mask"]),
                               model(batch["input_ids"], batch["attention_mask"]), rtol=0, atol=0)  # fmt: skip
    noisy, _ = build_reward_model("tiny", *BERT, "model.reward_model.backbone_dropout=true")
    assert {module.p for module in noisy.backbone.modules() if isinstance(module, torch.nn.Dropout)} == {0.1}


def test_eager_attention_is_chosen_and_scores_as_sdpa_does():
    sdpa, tokenizer = build_reward_model("tiny", *BERT)
    eager, _ = build_reward_model("tiny", *BERT, "model.reward_model.attn_implementation=eager")
    assert (sdpa.backbone.config._attn_implementation, eager.backbone.config._attn_implementation) == ("sdpa", "eager")
    batch = tokenizer(["the cat sat", "a dog ran far"], padding=True, return_tensors="pt")
    torch.testing.assert_close(eager(batch["input_ids"], batch["attention_mask"]),
                               sdpa(batch["input_ids"], batch["attention_mask"]), atol=1e-5, rtol=1e-5)  # fmt: skip
