"""Splits by prompt: no prompt in two splits, the same split for the same seed, own splits kept."""

import pytest

from rmexp.data.records import PreferencePair
from rmexp.data.splits import assign_splits, carve_by_prompt
from rmexp.errors import UserError


def pairs(num_prompts: int, per_prompt: int = 3) -> list[PreferencePair]:
    return [
        PreferencePair(f"prompt {p}", f"good {i}", f"bad {i}") for p in range(num_prompts) for i in range(per_prompt)
    ]


def prompts(records) -> set[str]:
    return {record.prompt for record in records}


def test_no_prompt_lands_in_two_splits_and_fractions_count_prompts():
    splits, origin = assign_splits({"all": pairs(50)}, val_fraction=0.1, test_fraction=0.2, seed=0, source="f")
    assert origin == "carved by prompt"
    assert [len(prompts(splits[name])) for name in ("train", "val", "test")] == [35, 5, 10]
    assert not prompts(splits["train"]) & prompts(splits["val"])
    assert not prompts(splits["train"]) & prompts(splits["test"])
    assert not prompts(splits["val"]) & prompts(splits["test"])
    assert sum(len(records) for records in splits.values()) == 150  # every pair of a prompt goes with it


def test_the_split_depends_on_the_seed_not_on_the_row_order():
    records = pairs(40)
    first = carve_by_prompt(records, {"test": 0.25}, seed=3, source="f")
    shuffled = carve_by_prompt(records[::-1], {"test": 0.25}, seed=3, source="f")
    other_seed = carve_by_prompt(records, {"test": 0.25}, seed=4, source="f")
    assert prompts(first["test"]) == prompts(shuffled["test"])
    assert prompts(first["test"]) != prompts(other_seed["test"])


def test_a_data_sets_own_splits_are_kept_and_a_missing_one_is_carved_from_train():
    own = {"train": pairs(20), "test": [PreferencePair("held out", "a", "b")]}
    splits, origin = assign_splits(own, val_fraction=0.1, test_fraction=0.5, seed=0, source="f")
    assert prompts(splits["test"]) == {"held out"}
    assert len(prompts(splits["val"])) == 2 and len(prompts(splits["train"])) == 18
    assert origin == "own splits ['test', 'train'], val carved from train by prompt"


def test_unknown_split_names_and_too_few_prompts_are_user_errors():
    with pytest.raises(UserError, match="split 'train_prefs' is not one rmexp knows"):
        assign_splits({"train_prefs": pairs(5), "test": pairs(2)}, 0.1, 0.1, 0, "f")
    with pytest.raises(UserError, match="2 distinct prompts are too few"):
        assign_splits({"all": pairs(2)}, 0.1, 0.1, 0, "f")
