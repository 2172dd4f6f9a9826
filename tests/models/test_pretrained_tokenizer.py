"""Pretrained tokenizers get a distinct pad, an eos that closes every pair, and no truncation of their own."""

import pytest
from tokenizers import Tokenizer, pre_tokenizers
from tokenizers.models import WordLevel
from transformers import AutoConfig, AutoModel, PreTrainedTokenizerFast

from rmexp.models.packaged import minilm_folder, smollm2_folder
from rmexp.models.pretrained_tokenizer import NEW_EOS, NEW_PAD, pretrained_tokenizer

from .conftest import needs


def test_smollm2_pads_with_endoftext_not_its_eos(compose_train):
    needs("smollm2", "gguf")
    tokenizer = pretrained_tokenizer(smollm2_folder(compose_train("model=smollm2").model.cache_dir))
    assert (tokenizer.eos_token, tokenizer.pad_token) == ("<|im_end|>", "<|endoftext|>")
    ids = tokenizer("Human: hi\n\nAssistant:", "Hello!")["input_ids"]
    # no separator of its own: the prompt ends with its "Assistant:" cue, the response with the end of turn
    assert tokenizer.convert_ids_to_tokens(ids)[-3:] == ["Hello", "!", "<|im_end|>"]
    assert tokenizer.num_special_tokens_to_add(pair=True) == 1


def test_minilm_closes_pairs_with_sep_and_keeps_long_texts_whole():
    needs("minilm")
    tokenizer = pretrained_tokenizer(minilm_folder())
    assert (tokenizer.eos_token, tokenizer.pad_token) == ("[SEP]", "[PAD]")
    encoded = tokenizer("a question", " ".join(["word"] * 300))
    # the packaged tokenizer.json truncates at 128; rmexp truncates prompts itself, from the left
    assert len(encoded["input_ids"]) == 1 + 2 + 1 + 300 + 1
    assert encoded.keys() == {"input_ids", "attention_mask"}


def test_a_tokenizer_without_eos_pad_or_unk_gets_new_ones_and_the_model_grows_to_fit(build_model, tmp_path):
    bare = Tokenizer(WordLevel({"hello": 0, "world": 1}))  # no special token at all
    bare.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=bare).save_pretrained(tmp_path)
    config = AutoConfig.for_model("llama", vocab_size=2, hidden_size=16, num_hidden_layers=1, num_attention_heads=2)
    AutoModel.from_config(config).save_pretrained(tmp_path)
    tokenizer = pretrained_tokenizer(str(tmp_path))
    assert (tokenizer.eos_token, tokenizer.pad_token) == (NEW_EOS, NEW_PAD)
    assert tokenizer("hello", "world")["input_ids"] == [0, 1, tokenizer.eos_token_id]

    reward_model, tokenizer = build_model("hf", f"model.name_or_path={tmp_path}")
    assert reward_model.backbone.get_input_embeddings().num_embeddings == 4
    batch = tokenizer(["hello", "hello world"], ["world", "hello"], padding=True, return_tensors="pt")
    assert reward_model.score(**batch).shape == (2,)


@pytest.mark.parametrize(("unk", "pad"), [("[UNK]", "[UNK]"), (None, NEW_PAD)])
def test_pad_is_unk_when_there_is_a_distinct_one(tmp_path, unk, pad):
    vocabulary = {"hello": 0, "</s>": 1, **({unk: 2} if unk else {})}
    backend = Tokenizer(WordLevel(vocabulary, unk_token=unk))
    PreTrainedTokenizerFast(
        tokenizer_object=backend, eos_token="</s>", pad_token="</s>", unk_token=unk
    ).save_pretrained(tmp_path)
    assert pretrained_tokenizer(str(tmp_path)).pad_token == pad
