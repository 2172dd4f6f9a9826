"""Each format turns a row of the shape the field publishes into the right record."""

import pytest
from pydantic import ValidationError

from rmexp.data.formats.chat import render_prompt
from rmexp.data.formats.listwise import PairLabelledLists, RankedFields
from rmexp.data.formats.pairwise import HHTranscripts, PairwiseFields
from rmexp.data.formats.pointwise import RatedFields
from rmexp.data.records import PreferencePair, RankedResponses, RatedResponse
from rmexp.data.validation import RowError


def test_pairwise_fields_follow_the_mapping_and_take_the_margin():
    row = {"question": "Why is the sky blue?", "good": "Rayleigh scattering.", "bad": "Paint.", "strength": 2}
    fields = PairwiseFields(prompt="question", chosen="good", rejected="bad", margin="strength")
    assert fields.parse(row) == PreferencePair("Why is the sky blue?", "Rayleigh scattering.", "Paint.", margin=2.0)


def test_pairwise_margin_is_the_score_difference():
    row = {"prompt": "p", "chosen": "a", "rejected": "b", "score_a": 8.5, "score_b": 6}
    assert PairwiseFields(chosen_score="score_a", rejected_score="score_b").parse(row).margin == 2.5


def test_one_score_field_alone_is_a_config_error_that_names_it():
    with pytest.raises(ValidationError, match="chosen_score and rejected_score"):
        PairwiseFields(chosen_score="score_a")
    with pytest.raises(ValidationError, match="promt"):
        PairwiseFields(promt="question")


def test_prompt_template_builds_the_prompt_from_fields():
    row = {"question": "Who wrote Bloom?", "passages": [["Bloom", "An album.", "By Troye Sivan."], ["Other"]]}
    row |= {"chosen": "Troye Sivan.", "rejected": "Nobody."}
    fields = PairwiseFields(prompt_template="{passages}\n\nQuestion: {question}")
    assert fields.parse(row).prompt == "Bloom An album. By Troye Sivan.\n\nOther\n\nQuestion: Who wrote Bloom?"


def test_hh_transcripts_recover_the_shared_conversation_as_prompt():
    conversation = "\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: A pen prank?\n\nAssistant:"
    row = {"chosen": conversation + " Use it as a zipper.", "rejected": conversation + " Draw on an arm."}
    pair = HHTranscripts().parse(row)
    assert pair.prompt == conversation  # up to and including the last "\n\nAssistant:"
    assert (pair.chosen, pair.rejected) == ("Use it as a zipper.", "Draw on an arm.")


def test_chat_messages_use_the_plain_hh_template_without_a_chat_template():
    prompt = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    row = {
        "chosen": [*prompt, {"role": "assistant", "content": "Hello."}],
        "rejected": [*prompt, {"role": "assistant", "content": "Go away."}],
    }
    pair = PairwiseFields().parse(row)
    assert pair.prompt == "\n\nSystem: Be brief.\n\nHuman: Hi\n\nAssistant:"
    assert (pair.chosen, pair.rejected) == ("Hello.", "Go away.")


def test_chat_messages_use_the_tokenizers_chat_template_where_it_has_one(word_tokenizer):
    tokenizer = word_tokenizer.__class__(tokenizer_object=word_tokenizer.backend_tokenizer, pad_token="[PAD]")
    tokenizer.chat_template = (
        "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
        "{% if add_generation_prompt %}<assistant>{% endif %}"
    )
    # TRL's conversational shape: the prompt apart, each answer one assistant turn
    row = {
        "prompt": [{"role": "user", "content": "Hi"}],
        "chosen": [{"role": "assistant", "content": "Hello."}],
        "rejected": [{"role": "assistant", "content": "No."}],
    }
    assert PairwiseFields().parse(row, tokenizer).prompt == "<user>Hi<assistant>"
    assert render_prompt([{"role": "user", "content": "Hi"}]) == "\n\nHuman: Hi\n\nAssistant:"


def test_rated_fields_pick_one_aspect_or_average_them():
    row = {"source": "An article.", "summary": "A summary.", "scores": {"coherence": 2.0, "fluency": 5.0}}
    template = "{source}\n\nSummarise the article above."
    one = RatedFields(prompt_template=template, response="summary", score="scores", aspect="fluency").parse(row)
    mean = RatedFields(prompt_template=template, response="summary", score="scores", aspect="mean").parse(row)
    assert one == RatedResponse("An article.\n\nSummarise the article above.", "A summary.", 5.0)
    assert mean.score == 3.5


def test_ranked_fields_read_an_order_or_ranks():
    row = {"prompt": "p", "responses": ["a", "b", "c"], "ranking": [2, 0, 1]}
    assert RankedFields().parse(row) == RankedResponses("p", ["a", "b", "c"], ranks=[1, 2, 0])
    row["ranking"] = [0, 0, 1]
    assert RankedFields(ranking_kind="ranks").parse(row).ranks == [0, 0, 1]


def test_pair_labelled_lists_read_the_fine_grained_rlhf_shape():
    row = {f"prediction {i}": f"answer {i}" for i in range(1, 5)} | {"question": "q", "preference": [0, 1, 2, 1, 0, 2]}
    fields = PairLabelledLists(prompt_template="{question}", responses=[f"prediction {i}" for i in range(1, 5)])
    compared = fields.parse(row)
    assert compared.responses == ["answer 1", "answer 2", "answer 3", "answer 4"]
    # pairs (1,2) (1,3) (1,4) (2,3) (2,4) (3,4), 0-based; 1 = first preferred, 2 = second, 0 = tie
    assert compared.comparisons == [(0, 1, None), (0, 2, 0), (0, 3, 3), (1, 2, 1), (1, 3, None), (2, 3, 3)]


def test_identical_answers_labelled_as_different_are_a_bad_row():
    row = {"responses": ["same", "same"], "prompt": "p", "preference": [1]}
    with pytest.raises(RowError, match=r"field 'responses\[1\]': expected an answer different from 'responses\[0\]'"):
        PairLabelledLists().parse(row)
    row["preference"] = [0]
    assert PairLabelledLists().parse(row).comparisons == [(0, 1, None)]  # a tie between equals is fine
