"""A file to batches: the report's numbers, the tokenization cache, the views, and the real data sets."""

import json
import pickle
from typing import get_args

import pytest
import torch

import rmexp.data.datamodule as datamodule_base
from rmexp.data.file_datamodule import FileDataModule
from rmexp.data.formats.listwise import PairLabelledLists
from rmexp.data.formats.pairwise import PairwiseFields
from rmexp.data.formats.pointwise import RatedFields
from rmexp.data.views import View
from rmexp.errors import UserError
from rmexp.train import build

from ..conftest import SHARED_DATA
from .conftest import write_jsonl

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out


def pair_rows(num_prompts: int = 30) -> list[dict]:
    return [
        {"prompt": f"explain music {p} " + "long " * (p % 7) * 10, "chosen": f"good answer {i}", "rejected": "bad"}
        for p in range(num_prompts)
        for i in range(2)
    ]


def datamodule(path, tokenizer, cache_dir, **settings) -> FileDataModule:
    settings = {"format": PairwiseFields(), "max_length": 32, "batch_size": 4, **settings}
    return FileDataModule(path=str(path), tokenizer=tokenizer, cache_dir=str(cache_dir), **settings)


def test_the_report_counts_rows_drops_examples_and_truncation(tmp_path, word_tokenizer):
    rows = [*pair_rows(), {"prompt": "p", "chosen": "same", "rejected": "same"}, {"prompt": "p"}]
    data = datamodule(write_jsonl(tmp_path / "pairs.jsonl", rows), word_tokenizer, tmp_path, on_error="skip")
    data.setup()
    report = data.report
    assert (report["rows_read"], report["rows_kept"]) == (62, 60)
    assert report["dropped_by_reason"] == {"chosen identical to rejected": 1, "missing field": 1}
    assert report["prompts"] == {"train": 24, "val": 3, "test": 3}
    assert report["examples"] == {"train": 48, "val": 6, "test": 6}
    # prompts of 3 + 10k words (k = p % 7): k >= 3 overflows 32 tokens with a 3-word answer and 3 special tokens
    assert report["truncated_examples"] == sum(dataset.truncated for dataset in data.datasets.values()) == 32
    assert report["sequence_tokens"]["max"] == 3 + 60 + 3 + 3
    assert report["padding_fraction"]["length_grouped"] < report["padding_fraction"]["random"]
    batch = next(iter(data.train_dataloader()))
    assert batch["input_ids"].shape[0] == 8 and batch["input_ids"].shape[1] <= 32  # chosen and rejected of 4 pairs


def test_a_second_run_hits_the_tokenization_cache_and_a_changed_config_misses(tmp_path, word_tokenizer, monkeypatch):
    path = write_jsonl(tmp_path / "pairs.jsonl", pair_rows())
    first = datamodule(path, word_tokenizer, tmp_path / "cache")
    first.setup()
    assert first.report["cache"].startswith("miss")

    def no_tokenizing(*args, **kwargs):
        raise AssertionError("tokenized again despite the cache")

    monkeypatch.setattr(datamodule_base, "make_dataset", no_tokenizing)
    second = datamodule(path, word_tokenizer, tmp_path / "cache", batch_size=8, seed=5)  # batching is not data
    second.setup()
    assert second.report["cache"].startswith("hit")
    assert [item["chosen_ids"] for item in second.datasets["train"]] == [
        item["chosen_ids"] for item in first.datasets["train"]
    ]
    with pytest.raises(AssertionError, match="tokenized again"):
        datamodule(path, word_tokenizer, tmp_path / "cache", max_length=64).setup()
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1 and not list((tmp_path / "cache").glob("*.tmp"))


class CreatesAFile:
    """A pickle that, once loaded, has created `marker`: the code a replaced cache entry could run."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def test_a_replaced_cache_entry_runs_no_code_and_is_rebuilt(tmp_path, word_tokenizer):
    path = write_jsonl(tmp_path / "pairs.jsonl", pair_rows())
    first = datamodule(path, word_tokenizer, tmp_path / "cache")
    first.setup()
    marker, payload = tmp_path / "code_ran", pickle.dumps(CreatesAFile(tmp_path / "code_ran"))
    for entry in [file for file in (tmp_path / "cache").iterdir() if file.is_file()]:
        entry.write_bytes(payload)
        entry.with_suffix(".pkl").write_bytes(payload)  # where an entry used to be a pickle

    again = datamodule(path, word_tokenizer, tmp_path / "cache")
    again.setup()
    assert not marker.exists()
    assert again.report["cache"].startswith("miss")
    assert [item["chosen_ids"] for item in again.datasets["test"]] == [
        item["chosen_ids"] for item in first.datasets["test"]
    ]


def test_ratings_feed_the_pairwise_view_through_the_conversion(tmp_path, word_tokenizer):
    rows = [
        {"doc": f"article {d}", "summary": f"summary {s}", "scores": {"fluency": s, "relevance": 1 + s % 2}}
        for d in range(10)
        for s in range(1, 5)
    ]
    rated = RatedFields(prompt_template="{doc}", response="summary", score="scores", aspect="fluency")
    data = datamodule(write_jsonl(tmp_path / "ratings.jsonl", rows), word_tokenizer, tmp_path, format=rated)
    data.min_score_gap = 2.0
    data.setup()
    # per article, fluency 1..4: pairs with a gap >= 2 are (3,1) (4,2) (4,1): 3 of the 6
    assert sum(data.report["examples"].values()) == 30 and data.report["below_min_gap"] == 30
    assert data.report["conversion"] == "ratings_to_pairs"
    margins = sorted({item["margin"] for dataset in data.datasets.values() for item in dataset.items})
    assert margins == [2.0, 3.0]


@pytest.mark.skipif("listwise" not in get_args(View), reason="rmexp.data.views has no listwise view yet")
def test_pair_labelled_lists_feed_the_listwise_view_as_ranked_lists(tmp_path, word_tokenizer):
    rows = [{"q": f"question {i}", "answers": ["one", "two", "three"], "preference": [1, 1, 2]} for i in range(20)]
    compared = PairLabelledLists(prompt="q", responses="answers")
    data = datamodule(write_jsonl(tmp_path / "lists.jsonl", rows), word_tokenizer, tmp_path, format=compared)
    data.view = "listwise"
    data.setup()
    batch = next(iter(data.train_dataloader()))
    # one beats two and three, three beats two: ranks 0, 2, 1
    assert batch["ranks"][0].tolist() == [0, 2, 1] and batch["input_ids"].shape[0] == 4 * 3


def test_data_that_cannot_feed_the_loss_fails_at_configuration(tmp_path, word_tokenizer):
    with pytest.raises(UserError, match="holds pairwise preferences, which feed the pairwise view"):
        datamodule(tmp_path / "pairs.jsonl", word_tokenizer, tmp_path, view="pointwise")


def test_the_generic_jsonl_config_builds_and_trains_a_step(compose_train, tmp_path):
    path = write_jsonl(tmp_path / "pairs.jsonl", pair_rows())
    module, data = build(compose_train("data=jsonl", f"data.path={path}", f"data.cache_dir={tmp_path / 'cache'}"))
    data.setup("fit")
    loss = module.training_loss(next(iter(data.train_dataloader())))[0]
    assert torch.isfinite(loss) and loss.requires_grad


REAL = {
    # config: (file, expected report entries)
    "hh_rlhf": (
        "hh_rlhf_harmless.jsonl.gz",
        {"rows_kept": 1595, "dropped_by_reason": {"empty text": 4, "conversations differ before the answer": 1}},
    ),
    "fg_qa_feedback": ("fg_qa_feedback.json", {"rows_kept": 350, "ties": 260, "conversion": "comparisons_to_pairs"}),
    "summeval": ("summeval.jsonl", {"rows_kept": 1280, "ties": 432, "below_min_gap": 4433}),
}
PAIRS = {"hh_rlhf": 1595, "fg_qa_feedback": 350 * 6 - 260, "summeval": 80 * 120 - 432 - 4433}


@pytest.mark.parametrize("name", list(REAL))
def test_the_real_data_sets_read_as_published(compose_train, tmp_path, name):
    file, expected = REAL[name]
    if not (SHARED_DATA / file).exists():
        pytest.skip(f"{SHARED_DATA / file} is absent (the shared real data sets are not on this machine)")
    _, data = build(compose_train(f"data={name}", f"data.cache_dir={tmp_path}"))
    data.setup("fit")
    assert {key: data.report[key] for key in expected} == expected
    assert sum(data.report["examples"].values()) == PAIRS[name]
    json.dumps(data.report)  # plain types: it goes into summary.json and the logger as is


def test_a_model_that_shares_the_prompt_gets_batches_grouped_by_packed_width(tmp_path, word_tokenizer):
    # long prompts with short answers: the packed width (prompt once, both answers) orders pairs
    rows = [
        {"prompt": "explain music " + "long " * (p % 5) * 3, "chosen": "good " * (p % 3 + 1), "rejected": "bad"}
        for p in range(24)
    ]
    path = write_jsonl(tmp_path / "pairs.jsonl", rows)
    data = datamodule(path, word_tokenizer, tmp_path / "cache", shared_prefix=True, max_length=64)
    data.setup("fit")
    train = data.datasets["train"]
    widths = data.batch_lengths("train")
    assert widths == train.packed_lengths() != data.longest("train")
    item = train[0]  # the prompt once: the longer sequence plus the other answer's own tokens and closing token
    assert widths[0] == len(item["chosen_ids"]) + len(item["rejected_ids"]) - (
        next(i for i, (c, r) in enumerate(zip(item["chosen_ids"], item["rejected_ids"], strict=False)) if c != r)
    )
