import pytest
import torch
from hydra.utils import instantiate

from rmexp.bench.pairs import as_one_text, held_out_result, kept_by_trl, one_text_ids
from tests.conftest import SMALL_LAB
from tests.data.conftest import write_jsonl


def test_trl_keeps_a_pair_only_when_both_texts_fit():
    ids = {"chosen_ids": [[1] * 5, [1] * 3, [1] * 7], "rejected_ids": [[1] * 5, [1] * 6, [1] * 2]}
    assert kept_by_trl(ids, max_length=5) == 1
    assert kept_by_trl(ids, max_length=6) == 2
    assert kept_by_trl(ids, max_length=7) == 3


def test_the_lab_pairs_are_the_ones_rmexp_trains_and_tests_on(compose_train):
    cfg = compose_train(*SMALL_LAB)
    tokenizer = instantiate(cfg.model.tokenizer)
    datamodule = instantiate(cfg.data, tokenizer=tokenizer, view="pairwise")
    datamodule.setup()
    pairs = datamodule.split_records("pairwise")
    assert {split: len(records) for split, records in pairs.items()} == {
        split: len(dataset) for split, dataset in datamodule.datasets.items()
    }
    first = pairs["train"][0]
    ids = one_text_ids(tokenizer, [first])
    assert ids["chosen_ids"][0] == tokenizer(as_one_text(first.prompt, first.chosen))["input_ids"]


def test_a_files_pairs_are_split_as_rmexp_splits_them(compose_train, tmp_path):
    rows = [{"prompt": f"question {i}", "chosen": f"good answer {i}", "rejected": f"bad answer {i}"} for i in range(40)]
    path = write_jsonl(tmp_path / "pairs.jsonl", rows)
    cfg = compose_train("data=jsonl", f"data.path={path}", "data.cache_dir=null")
    datamodule = instantiate(cfg.data, tokenizer=instantiate(cfg.model.tokenizer), view="pairwise")
    datamodule.setup()
    pairs = datamodule.split_records("pairwise")
    assert {split: len(records) for split, records in pairs.items()} == {
        split: len(dataset) for split, dataset in datamodule.datasets.items()
    }
    assert {pair.prompt for pair in pairs["test"]}.isdisjoint({pair.prompt for pair in pairs["train"]})


def test_held_out_accuracy_from_chosen_then_rejected_rewards():
    # chosen (1, 0, 2) against rejected (0, 1, 1): two of three pairs ordered right; 6 responses in 2 s
    result = held_out_result(torch.tensor([1.0, 0.0, 2.0, 0.0, 1.0, 1.0]), seconds=2.0)
    assert result == {"test_pairs": 3, "test_accuracy": pytest.approx(2 / 3), "scoring_responses_per_second": 3.0}
