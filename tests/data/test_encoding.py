"""(prompt, response) to ids: the prompt is cut from the left, the response kept, a group's prompt cut once."""

from rmexp.data.encoding import encode_responses

PROMPT = "the cat sat on the mat"


def tokens(tokenizer, encoded):
    return [tokenizer.convert_ids_to_tokens(item.input_ids) for item in encoded]


def test_a_long_prompt_loses_its_oldest_words(word_tokenizer):
    # 3 special tokens leave 6 of max_length 9: the response's 1 word and the prompt's last 5
    (encoded,) = encode_responses(word_tokenizer, [PROMPT], ["yes"], max_length=9)
    assert tokens(word_tokenizer, [encoded]) == [["[BOS]", "cat", "sat", "on", "the", "[UNK]", "[SEP]", "yes", "[EOS]"]]
    assert (encoded.response_tokens, encoded.truncated) == (1, True)


def test_a_short_pair_is_left_whole(word_tokenizer):
    (encoded,) = encode_responses(word_tokenizer, ["the cat"], ["yes"], max_length=9)
    assert tokens(word_tokenizer, [encoded]) == [["[BOS]", "the", "cat", "[SEP]", "yes", "[EOS]"]]
    assert not encoded.truncated


def test_a_pair_reads_one_prompt_cut_for_its_longer_response(word_tokenizer):
    # the longer response has 4 words, so both keep the prompt's last 2 of 6 budget tokens
    encoded = encode_responses(word_tokenizer, [PROMPT] * 2, ["yes", "no it did not"], max_length=9, group_size=2)
    assert tokens(word_tokenizer, encoded) == [
        ["[BOS]", "the", "[UNK]", "[SEP]", "yes", "[EOS]"],
        ["[BOS]", "the", "[UNK]", "[SEP]", "no", "it", "did", "not", "[EOS]"],
    ]
    assert [item.truncated for item in encoded] == [True, True]
    # without the group, the short response would have kept more of the prompt
    assert len(encode_responses(word_tokenizer, [PROMPT], ["yes"], max_length=9)[0].input_ids) == 9


def test_a_response_longer_than_the_budget_keeps_its_start_and_a_prompt_token(word_tokenizer):
    (encoded,) = encode_responses(word_tokenizer, ["the cat sat"], ["the cat sat on the mat again"], max_length=9)
    assert tokens(word_tokenizer, [encoded]) == [["[BOS]", "sat", "[SEP]", "the", "cat", "sat", "on", "the", "[EOS]"]]
    assert (encoded.response_tokens, encoded.truncated) == (5, True)
