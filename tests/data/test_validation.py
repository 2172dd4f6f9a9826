"""A bad row stops the run with the file, line and field and what was expected; skip mode counts it instead."""

import math
import re

import pytest

from rmexp.data.formats.listwise import PairLabelledLists, RankedFields
from rmexp.data.formats.pairwise import HHTranscripts, PairwiseFields
from rmexp.data.formats.pointwise import RatedFields
from rmexp.data.readers import read_splits
from rmexp.data.validation import parse_rows
from rmexp.errors import UserError

from .conftest import write_jsonl

GOOD_PAIR = {"prompt": "Why is the sky blue?", "chosen": "Scattering.", "rejected": "Paint."}
GOOD_RATING = {"prompt": "p", "response": "r", "score": 3}
GOOD_LIST = {"prompt": "p", "responses": ["a", "b", "c"], "ranking": [2, 0, 1]}
GOOD_LABELS = {"prompt": "p", "responses": ["a", "b", "c"], "preference": [1, 2, 0]}
RATED = RatedFields(score_min=1, score_max=5)
HH_PROMPT = "\n\nHuman: Hi\n\nAssistant:"

HH_EMPTY = {"chosen": HH_PROMPT + " Hello.", "rejected": HH_PROMPT + " "}
HH_APART = {"chosen": HH_PROMPT + " Hello.", "rejected": "\n\nHuman: Yo\n\nAssistant: Hey."}
BAD_ROWS = [
    # (format, bad row, field, "expected ..., got ...", reason): the message after "<file>, line 2: "
    (
        PairwiseFields(),
        {"prompt": "p", "chosen": "a"},
        "rejected",
        "a value (the row has ['chosen', 'prompt']), got None",
        "missing field",
    ),
    (PairwiseFields(), GOOD_PAIR | {"chosen": 5}, "chosen", "a string, got 5", "wrong type"),
    (PairwiseFields(), GOOD_PAIR | {"chosen": "  "}, "chosen", "non-empty text, got '  '", "empty text"),
    (
        PairwiseFields(),
        GOOD_PAIR | {"rejected": "Scattering."},
        "rejected",
        "an answer different from 'chosen', got 'Scattering.'",
        "chosen identical to rejected",
    ),
    (RATED, GOOD_RATING | {"score": math.nan}, "score", "a finite number, got nan", "score is NaN or infinite"),
    (RATED, GOOD_RATING | {"score": 7}, "score", "a number in [1.0, 5.0], got 7", "score out of range"),
    (RATED, GOOD_RATING | {"score": "high"}, "score", "a number, got 'high'", "wrong type"),
    (
        RankedFields(),
        GOOD_LIST | {"ranking": [0, 0, 2]},
        "ranking",
        "a permutation of 0..2 (answer indices, best first), got [0, 0, 2]",
        "ranking not a permutation",
    ),
    (
        PairLabelledLists(),
        GOOD_LABELS | {"preference": [1, 3, 0]},
        "preference",
        "3 labels, one per pair of the 3 answers, each 0 (tie), 1 or 2, got [1, 3, 0]",
        "bad pair label",
    ),
    (
        HHTranscripts(),
        HH_EMPTY,
        "rejected",
        r"an answer after the last '\n\nAssistant:', got '...\n\nHuman: Hi\n\nAssistant: '",
        "empty text",
    ),
    (
        HHTranscripts(),
        HH_APART,
        "rejected",
        r"the conversation of 'chosen' up to its last '\n\nAssistant:', got '...Yo\n\nAssistant:'",
        "conversations differ before the answer",
    ),
]


def good_row(row_format) -> dict:
    return {
        PairwiseFields: GOOD_PAIR,
        RatedFields: GOOD_RATING,
        RankedFields: GOOD_LIST,
        PairLabelledLists: GOOD_LABELS,
        HHTranscripts: {"chosen": HH_PROMPT + " Hello.", "rejected": HH_PROMPT + " Go away."},
    }[type(row_format)]


def parse_file(path, row_format, on_error="raise"):
    return parse_rows(read_splits(path)["all"], row_format.parse, str(path), on_error)


@pytest.mark.parametrize(("row_format", "bad_row", "field", "expected", "reason"), BAD_ROWS)
def test_a_bad_row_names_file_line_field_and_expectation(tmp_path, row_format, bad_row, field, expected, reason):
    path = write_jsonl(tmp_path / "data.jsonl", [good_row(row_format), bad_row, good_row(row_format)])
    with pytest.raises(UserError) as error:
        parse_file(path, row_format)
    message = f"{path}, line 2: field '{field}': expected {expected} ({reason}). Fix the row, or set data.on_error=skip"
    assert str(error.value).startswith(message)


def test_a_malformed_json_line_is_reported_and_the_rows_after_it_still_read(tmp_path):
    path = write_jsonl(tmp_path / "data.jsonl", [GOOD_PAIR, '{"prompt": "p",, }', GOOD_PAIR])
    with pytest.raises(UserError, match=re.escape(f"{path}, line 2: not valid JSON (Expecting property name")):
        parse_file(path, PairwiseFields())
    records, dropped = parse_file(path, PairwiseFields(), on_error="skip")
    assert len(records) == 2 and dropped == {"unreadable row": 1}


def test_a_bad_record_of_a_csv_file_is_located_by_its_index(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("prompt,response,score\np,good,3\np,bad,9\n")
    with pytest.raises(UserError, match=re.escape(f"{path}, record 1: field 'score': expected a number in [1.0, 5.0]")):
        parse_file(path, RATED)


def test_skip_mode_drops_bad_rows_and_counts_them_by_reason(tmp_path):
    rows = [
        GOOD_PAIR,
        GOOD_PAIR | {"chosen": ""},
        GOOD_PAIR | {"rejected": ""},
        GOOD_PAIR | {"rejected": GOOD_PAIR["chosen"]},
        {"prompt": "p", "chosen": "a"},
        "not json",
        GOOD_PAIR | {"prompt": "Another prompt"},
    ]
    records, dropped = parse_file(write_jsonl(tmp_path / "data.jsonl", rows), PairwiseFields(), on_error="skip")
    assert [record.prompt for record in records] == ["Why is the sky blue?", "Another prompt"]
    assert dropped == {"empty text": 2, "chosen identical to rejected": 1, "missing field": 1, "unreadable row": 1}
