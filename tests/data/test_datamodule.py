"""The datamodule base: a source that gives its split records gets datasets, lengths and length-grouped batches."""

import pytest

from rmexp.data.datamodule import RewardDataModule
from rmexp.data.lab import LabSpec
from rmexp.data.lab_datamodule import LabDataModule
from rmexp.data.records import PreferencePair


class InMemoryPairs(RewardDataModule):
    """A source in one method: what the base asks of every data source."""

    def __init__(self, records: dict[str, list], tokenizer, **settings):
        super().__init__(tokenizer, "pairwise", batch_size=2, eval_batch_size=2, max_length=64, num_workers=0,
                         seed=0, shared_prefix=False, **settings)  # fmt: skip
        self.records = records

    def split_records(self, view):
        return self.records


def pairs(count: int, words_per_answer) -> list[PreferencePair]:
    return [
        PreferencePair(prompt="explain music", chosen="good " * words_per_answer(i), rejected="bad")
        for i in range(count)
    ]


@pytest.fixture
def source(word_tokenizer):
    split = pairs(6, lambda i: [1, 9, 2, 8, 3, 7][i])
    return InMemoryPairs({"train": split, "val": split, "test": split}, word_tokenizer, group_by_length=True)


def test_a_source_that_gives_its_records_is_tokenized_and_measured(source):
    source.setup("fit")
    assert {split: len(source.datasets[split]) for split in ("train", "val", "test")} == {
        "train": 6, "val": 6, "test": 6
    }  # fmt: skip
    # the chosen answer's words, the prompt's two and the special tokens: longest sequence per pair
    longest = source.longest("train")
    assert [length - longest[0] for length in longest] == [0, 8, 1, 7, 2, 6]


def test_evaluation_batches_of_any_source_are_grouped_by_length_longest_first(source):
    source.setup("fit")
    widths = [batch["input_ids"].shape[1] for batch in source.test_dataloader()]
    # answers of 9 and 8 words together, then 7 and 3, then 2 and 1: each batch padded to its longest
    assert [width - widths[-1] for width in widths] == [7, 5, 0]


def test_the_lab_groups_by_length_when_asked_and_keeps_its_records(word_tokenizer):
    spec = LabSpec(num_prompts=40, seed=3)
    plain = LabDataModule(spec, word_tokenizer)
    grouped = LabDataModule(spec, word_tokenizer, group_by_length=True)
    assert plain.split_records("pairwise") == grouped.split_records("pairwise")
    grouped.setup("fit")
    widths = [batch["input_ids"].shape[1] for batch in grouped.test_dataloader()]
    assert widths == sorted(widths, reverse=True)
