"""The tokenization cache: an entry is JSON, and every view's dataset comes back from it as it was built."""

import math

import torch

from rmexp.data import cache
from rmexp.data.records import PreferencePair, RankedResponses, RatedResponse
from rmexp.data.token_lengths import measure
from rmexp.data.views import make_dataset

RECORDS = {
    "pairwise": [
        PreferencePair("explain music", "a good song", "no", 1.0, -1.0, 0.5, "chat"),
        PreferencePair("hi", "x", "y"),
    ],
    "pointwise": [RatedResponse("explain music", "a good song", 4.0, "ann"), RatedResponse("hi", "x", 1.0)],
    "listwise": [RankedResponses("explain music", ["a", "b c", "d"], [0, 2, 1], [0.1, -0.2, 0.3])],
}


def test_every_view_comes_back_from_its_entry_and_batches_the_same(tmp_path, word_tokenizer):
    for view, records in RECORDS.items():
        built = {
            "datasets": {"test": make_dataset(view, records, word_tokenizer, max_length=16)},
            "lengths": {"test": measure(records, word_tokenizer)},
            "report": {"view": view, "truncated_fraction": 0.0},
        }
        entry = cache.save(tmp_path, view, built)
        assert entry.suffix == ".json"
        loaded = cache.load(tmp_path, view)
        original, again = built["datasets"]["test"], loaded["datasets"]["test"]
        assert type(again) is type(original) and len(again) == len(original)
        expected, batch = original.collate(list(original)), again.collate(list(again))
        assert expected.keys() == batch.keys(), view
        for key, value in expected.items():
            assert torch.equal(value.nan_to_num(), batch[key].nan_to_num()), f"{view}: {key}"
        assert loaded["lengths"] == built["lengths"] and loaded["report"] == built["report"]


def test_no_gold_survives_as_nan(tmp_path, word_tokenizer):
    records = RECORDS["pairwise"][1:]
    built = {"datasets": {"test": make_dataset("pairwise", records, word_tokenizer, 16)},
             "lengths": {"test": measure(records, word_tokenizer)}, "report": {}}  # fmt: skip
    cache.save(tmp_path, "key", built)
    assert all(math.isnan(gold) for gold in cache.load(tmp_path, "key")["datasets"]["test"][0]["gold"])


def test_an_entry_naming_a_class_other_than_a_views_dataset_is_rebuilt(tmp_path):
    (tmp_path / "key.json").write_text('{"datasets": {"test": {"class": "Popen", "attributes": {}}}, '
                                       '"lengths": {}, "report": {}}')  # fmt: skip
    assert cache.load(tmp_path, "key") is None
