"""A prompt shared by its responses gives the rewards and gradients of scoring each response alone."""

import pytest
import torch
from hydra.errors import InstantiationException

from rmexp.data.length_batching import packed_length
from rmexp.data.padding import pad_sequences
from rmexp.models.shared_prefix import PAD_SEGMENT, common_prefix_lengths, pack_groups, packed_widths
from tests.models.conftest import build


def test_pack_groups_by_hand():
    # pair 0: [5 6 7 | 8] and [5 6 7 | 9 9]; pair 1 shares nothing: [1 2] and [3]
    input_ids, mask = pad_sequences([[5, 6, 7, 8], [1, 2], [5, 6, 7, 9, 9], [3]], pad_token_id=0)
    packed = pack_groups(input_ids, mask, torch.tensor([[0, 2], [1, 3]]))
    assert packed.input_ids.tolist() == [[5, 6, 7, 8, 9, 9], [1, 2, 3, 0, 0, 0]]
    assert packed.position_ids.tolist() == [[0, 1, 2, 3, 3, 4], [0, 1, 0, 0, 0, 0]]
    assert packed.segments.tolist() == [[0, 0, 0, 1, 2, 2], [1, 1, 2, *[PAD_SEGMENT] * 3]]
    assert packed.ends.tolist() == [[3, 5], [1, 2]]
    assert packed_widths(input_ids, mask, torch.tensor([[0, 2], [1, 3]])).tolist() == [6, 3]
    allowed = packed.attention_allowed()[0, 0].int().tolist()
    assert allowed[4] == [1, 1, 1, 0, 1, 0]  # the rejected response's first token: prefix and itself, not chosen
    assert allowed[3] == [1, 1, 1, 1, 0, 0]  # the chosen response's token reads the prefix, causally
    assert packed.attention_allowed()[1, 0, 4].int().tolist() == [0, 0, 0, 0, 1, 0]  # padding reads itself


def test_identical_responses_keep_a_token_each():
    input_ids, mask = pad_sequences([[4, 5, 6], [4, 5, 6]], pad_token_id=0)
    assert common_prefix_lengths(input_ids, mask, torch.tensor([[0, 1]])).tolist() == [2]


def batch_of(tokenizer, prompts, responses_per_prompt):
    """Rows grouped member by member, as the pairwise collate lays them out (all first responses, then all second)."""
    rows = [
        tokenizer(prompt, responses[member])["input_ids"]
        for member in range(len(responses_per_prompt[0]))
        for prompt, responses in zip(prompts, responses_per_prompt, strict=True)
    ]
    input_ids, mask = pad_sequences(rows, tokenizer.pad_token_id)
    count, size = len(prompts), len(responses_per_prompt[0])
    groups = torch.arange(count * size).view(size, count).T
    return input_ids, mask, groups


PROMPTS = ["the cat sat on the mat and looked", "why is the sky blue", "tell me"]
RESPONSES = [["out of the window", "at me"], ["because of light", "it is not blue at all today"], ["no", "yes"]]


def test_tiny_decoder_shares_and_matches_separate_rows():
    model, tokenizer = build("tiny")
    assert model.share_prefix  # a causal decoder read at its last token: on by default
    model.eval()
    input_ids, mask, groups = batch_of(tokenizer, PROMPTS, RESPONSES)
    separate = model(input_ids, mask)
    shared = model.grouped(input_ids, mask, groups)
    torch.testing.assert_close(shared, separate, atol=1e-5, rtol=1e-5)
    separate.sum().backward()
    expected = [parameter.grad.clone() for parameter in model.parameters() if parameter.grad is not None]
    model.zero_grad()
    model.grouped(input_ids, mask, groups).sum().backward()
    actual = [parameter.grad for parameter in model.parameters() if parameter.grad is not None]
    for want, got in zip(expected, actual, strict=True):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)


def test_groups_of_four_match_separate_rows():
    model, tokenizer = build("tiny")
    model.eval()
    responses = [["a", "b c", "d e f", "g"], ["one two", "three", "four five six", "seven"]]
    input_ids, mask, groups = batch_of(tokenizer, PROMPTS[:2], responses)
    torch.testing.assert_close(model.grouped(input_ids, mask, groups), model(input_ids, mask), atol=1e-5, rtol=1e-5)


def test_eager_attention_gets_an_additive_mask():
    model, tokenizer = build("tiny")
    model.backbone.config._attn_implementation = "eager"
    model.eval()
    input_ids, mask, groups = batch_of(tokenizer, PROMPTS, RESPONSES)
    torch.testing.assert_close(model.grouped(input_ids, mask, groups), model(input_ids, mask), atol=1e-5, rtol=1e-5)


def test_encoder_does_not_share_and_refuses_when_asked():
    model, _ = build("tiny", "model.reward_model.architecture=bert", "model.reward_model.pooling=first")
    assert not model.share_prefix
    with pytest.raises(InstantiationException, match=r"model.reward_model.share_prefix=true: bert with pooling=first"):
        build(
            "tiny",
            "model.reward_model.architecture=bert",
            "model.reward_model.pooling=first",
            "model.reward_model.share_prefix=true",
        )


def test_smollm2_shares_its_prompt_exactly():
    model, tokenizer = build("smollm2")
    assert model.share_prefix
    model.eval()
    input_ids, mask, groups = batch_of(tokenizer, PROMPTS, RESPONSES)
    with torch.no_grad():
        torch.testing.assert_close(model.grouped(input_ids, mask, groups), model(input_ids, mask), atol=1e-4, rtol=1e-4)


def test_packed_length_counts_the_prefix_once():
    assert packed_length([[5, 6, 7, 8], [5, 6, 7, 9, 9]]) == 3 + 1 + 2
    assert packed_length([[1, 2], [3]]) == 3
    assert packed_length([[4, 5, 6], [4, 5, 6], [4, 5]]) == 1 + 2 + 2 + 1  # each keeps a token of its own


def test_the_bench_clock_counts_the_packed_rows_without_packing_them():
    from rmexp.bench.rmexp_runner import computed_mask

    model, tokenizer = build("tiny")
    input_ids, mask, groups = batch_of(tokenizer, PROMPTS, RESPONSES)
    packed = pack_groups(input_ids, mask, groups)
    counted = computed_mask(model, {"input_ids": input_ids, "attention_mask": mask})
    assert counted.tolist() == (packed.segments != PAD_SEGMENT).tolist()
