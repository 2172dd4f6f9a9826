"""Where the lab's pairwise view takes its pairs from: labels, ranked lists or ratings (ablations 4 and 5)."""

from math import comb

import pytest
from pydantic import ValidationError

from rmexp.data.lab import LabSpec, generate
from rmexp.data.lab_datamodule import LabDataModule, lab_pairs, lab_rankings, lab_ratings, lab_records
from rmexp.errors import UserError

SPEC = LabSpec(num_prompts=30, vocab_size=40, list_size=4, lists_per_prompt=2, seed=3)


@pytest.fixture(scope="module")
def lab():
    return generate(SPEC)


def test_pairs_from_rankings_are_every_pair_of_each_list_better_first(lab):
    lists = lab_rankings(lab, "train")
    pairs = lab_records(lab, "train", "pairwise", pairs_from="rankings")
    assert len(pairs) == len(lists) * comb(4, 2)  # no ties in a ranked list of the lab
    first_list = lists[0]
    expected = [
        (first_list.responses[i], first_list.responses[j]) for i in range(4) for j in range(i + 1, 4)
    ]  # best first, so i < j means i was ranked above j
    assert [(pair.chosen, pair.rejected) for pair in pairs[:6]] == expected
    assert pairs[0].chosen_gold == first_list.gold[0] and pairs[0].rejected_gold == first_list.gold[1]


def test_pairs_from_ratings_carry_the_rating_gap_as_margin(lab):
    ratings = lab_ratings(lab, "train")
    score = {(rating.prompt, rating.response): rating.score for rating in ratings}
    pairs = lab_records(lab, "train", "pairwise", pairs_from="ratings")
    assert pairs
    for pair in pairs:
        chosen, rejected = score[pair.prompt, pair.chosen], score[pair.prompt, pair.rejected]
        assert chosen > rejected
        assert pair.margin == chosen - rejected
    prompts = {rating.prompt for rating in ratings}
    assert len(pairs) <= len(prompts) * comb(SPEC.responses_per_prompt, 2)  # ties dropped


@pytest.mark.parametrize("source", ["rankings", "ratings"])
def test_every_source_meets_the_same_gold_test_pairs(lab, source):
    assert lab_records(lab, "test", "pairwise", pairs_from=source) == lab_pairs(lab, "test")


def test_the_datamodule_serves_the_chosen_source(word_tokenizer):
    datamodule = LabDataModule(lab=SPEC, tokenizer=word_tokenizer, pairs_from="rankings")
    datamodule.setup("fit")
    assert len(datamodule.datasets["train"]) == len(lab_rankings(generate(SPEC), "train")) * comb(4, 2)


def test_an_unknown_source_is_refused_naming_the_choices(word_tokenizer):
    with pytest.raises(ValidationError, match="pairs_from") as error:
        LabDataModule(lab=SPEC, tokenizer=word_tokenizer, pairs_from="votes")
    assert "'labels', 'rankings' or 'ratings'" in str(error.value)


def test_counting_batches_in_lists_gives_shuffled_pairs_the_listwise_family_s_steps(word_tokenizer):
    # ablation 4 compares grouped and shuffled pairs at the same number of steps, each seeing the same pairs
    lists = LabDataModule(lab=SPEC, tokenizer=word_tokenizer, view="listwise", batch_size=3, batch_unit="lists")
    pairs = LabDataModule(lab=SPEC, tokenizer=word_tokenizer, pairs_from="rankings", batch_size=3, batch_unit="lists")
    lists.setup("fit"), pairs.setup("fit")
    list_batches, pair_batches = list(lists.train_dataloader()), list(pairs.train_dataloader())
    assert len(pair_batches) == len(list_batches)
    assert pair_batches[0]["input_ids"].shape[0] == 2 * 3 * comb(4, 2)  # chosen and rejected rows of 18 pairs
    with pytest.raises(UserError, match="data.batch_unit=lists counts ranked lists; data.pairs_from=labels"):
        LabDataModule(lab=SPEC, tokenizer=word_tokenizer, batch_unit="lists")
