"""Every model config builds and scores; pooling reads the right token however a batch is padded; exports agree."""

from pathlib import Path

import pytest
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from rmexp.errors import UserError, describe_user_error
from rmexp.export import ExportError, export_reward_model
from rmexp.models.packaged import minilm_folder, smollm2_folder
from rmexp.models.tiny import tiny_reward_model
from rmexp.models.word_tokenizer import word_level_tokenizer

from .conftest import PROMPTS, RESPONSES, needs

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out


def batch_of(tokenizer, padding_side: str = "right") -> dict[str, torch.Tensor]:
    tokenizer.padding_side = padding_side
    return dict(tokenizer(PROMPTS, RESPONSES, padding=True, return_tensors="pt"))


@pytest.mark.parametrize(
    ("model", "pooling"),
    [("tiny", "last"), ("minilm", "pooler"), ("smollm2", "last")],  # minilm: BERT's pooler, which exports
)
def test_each_model_config_builds_and_scores_a_batch(shared_model, model, pooling):
    reward_model, tokenizer = shared_model(model)
    assert reward_model.pooling == pooling
    rewards = reward_model.eval().score(**batch_of(tokenizer))
    assert rewards.shape == (3,)
    assert torch.isfinite(rewards).all()
    assert len(set(rewards.tolist())) == 3  # three responses, three rewards


def test_the_pooler_of_a_decoder_that_has_none_is_refused():
    with pytest.raises(UserError, match="llama has no \\[CLS\\] pooler"):
        tiny_reward_model(word_level_tokenizer(), pooling="pooler")


def test_hf_pools_an_encoder_by_the_mean(build_model):
    needs("minilm")
    assert build_model("hf", f"model.name_or_path={minilm_folder()}")[0].pooling == "mean"


def test_hf_loads_any_local_folder_with_the_rewards_it_was_saved_with(build_model, tmp_path):
    """A tiny Llama saved as a plain folder comes back through model=hf with its weights, tokenizer and rewards."""
    tokenizer = word_level_tokenizer()
    torch.manual_seed(0)
    original = tiny_reward_model(tokenizer).eval()
    original.backbone.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    reloaded, reloaded_tokenizer = build_model("hf", f"model.name_or_path={tmp_path}")
    assert reloaded.pooling == "last"  # auto: a decoder is read at its last token
    batch = batch_of(reloaded_tokenizer)
    assert torch.equal(batch["input_ids"], batch_of(tokenizer)["input_ids"])
    reloaded.head.load_state_dict(original.head.state_dict())
    torch.testing.assert_close(reloaded.eval().score(**batch), original.score(**batch))


@pytest.mark.parametrize(
    ("name_or_path", "message"),
    [
        ("null", "model.name_or_path: expected a local model folder"),
        ("/no/such/model", "model.name_or_path='/no/such/model': cannot load its tokenizer"),
    ],
)
def test_hf_without_a_model_folder_names_the_key(compose_train, name_or_path, message):
    cfg = compose_train("model=hf", f"model.name_or_path={name_or_path}")
    with pytest.raises(InstantiationException) as error:
        instantiate(cfg.model.tokenizer)
    assert message in describe_user_error(error.value)


@pytest.mark.parametrize(
    ("model", "overrides"),
    [("smollm2", []), ("minilm", []), ("minilm", ["model.reward_model.pooling=mean"])],  # last, pooler, mean
)
def test_padding_changes_no_reward(shared_model, model, overrides):
    """Each response scored alone, and in right- and left-padded batches (a decoder's batch may be either)."""
    reward_model, tokenizer = shared_model(model, *overrides)
    reward_model.eval()
    alone = torch.cat(
        [
            reward_model.score(**tokenizer([p], [r], return_tensors="pt"))
            for p, r in zip(PROMPTS, RESPONSES, strict=True)
        ]
    )
    right = batch_of(tokenizer, "right")
    assert (right["attention_mask"] == 0).any()
    torch.testing.assert_close(reward_model.score(**right), alone, atol=1e-4, rtol=0)
    if model == "smollm2":  # rotary positions: shifting a sequence right changes nothing it attends to
        torch.testing.assert_close(reward_model.score(**batch_of(tokenizer, "left")), alone, atol=1e-4, rtol=0)


def exported_rewards(reward_model, tokenizer, folder) -> tuple[torch.Tensor, torch.Tensor]:
    """rmexp's rewards, and plain transformers' on the exported folder, for the same batch."""
    export_reward_model(reward_model, tokenizer, folder)
    classifier = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    batch, exported_batch = batch_of(tokenizer), batch_of(AutoTokenizer.from_pretrained(folder))
    assert exported_batch.keys() == batch.keys()  # no token_type_ids: rmexp's encoders see zeros, so must this
    assert torch.equal(exported_batch["input_ids"], batch["input_ids"])
    with torch.no_grad():
        return reward_model.eval().score(**batch), classifier(**exported_batch).logits.squeeze(-1)


@pytest.mark.slow  # a 540 MB model copied, merged, written and read back
def test_smollm2_with_lora_exports_merged(build_model, tmp_path):
    needs("peft")
    reward_model, tokenizer = build_model("smollm2", "model.reward_model.lora.rank=2")
    for name, parameter in reward_model.named_parameters():
        if "lora_B" in name:  # B starts at zero; a trained adapter does not
            torch.nn.init.normal_(parameter, std=0.02)
    expected, exported = exported_rewards(reward_model, tokenizer, tmp_path / "rm")
    torch.testing.assert_close(exported, expected, atol=1e-4, rtol=0)
    assert AutoTokenizer.from_pretrained(tmp_path / "rm").pad_token == "<|endoftext|>"


def test_minilm_exports_through_berts_pooler_with_its_bias(build_model, tmp_path):
    reward_model, tokenizer = build_model("minilm")
    torch.nn.init.constant_(reward_model.head.bias, 0.25)  # BERT's classifier holds a bias: pointwise runs export
    expected, exported = exported_rewards(reward_model, tokenizer, tmp_path / "rm")
    torch.testing.assert_close(exported, expected, atol=1e-5, rtol=0)


def test_minilm_with_mean_pooling_is_refused_naming_the_exportable_choice(build_model, tmp_path):
    reward_model, tokenizer = build_model("minilm", "model.reward_model.pooling=mean")
    with pytest.raises(ExportError, match="only `last` \\(decoders\\) and `pooler`"):
        export_reward_model(reward_model, tokenizer, tmp_path / "rm")


def test_the_gguf_is_dequantised_once_into_the_configured_cache(compose_train):
    needs("smollm2", "gguf")
    cache_dir = compose_train("model=smollm2").model.cache_dir
    folder = smollm2_folder(cache_dir)  # made by the first smollm2 test, or now
    written = (Path(folder) / "model.safetensors").stat().st_mtime_ns
    assert smollm2_folder(cache_dir) == folder
    assert (Path(folder) / "model.safetensors").stat().st_mtime_ns == written  # found, not written again
    assert "quantization_config" not in (Path(folder) / "config.json").read_text()  # plain float32 weights
