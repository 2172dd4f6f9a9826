"""Variants are named by the overrides that differ; baselines pair up within each level of the other keys."""

import pytest

from rmexp.compare.runs import Run
from rmexp.compare.variants import baseline_counterparts, group_by_variant, same_value, swept_keys
from rmexp.errors import UserError


def run(seed: int, **overrides: str) -> Run:
    return Run(
        folder=None, overrides={"seed": str(seed), "experiment": "x", **overrides}, status="completed", seed=seed
    )


GRID = [
    run(seed, **{"data.lab.beta_len": beta, "loss.length_decorrelation_coef": coef})
    for beta in ("0", "1")
    for coef in ("0", "0.1")
    for seed in (0, 1)
]


def test_only_keys_that_differ_name_a_variant():
    assert swept_keys(GRID) == ["data.lab.beta_len", "loss.length_decorrelation_coef"]
    groups = group_by_variant(GRID)
    assert [variant.label for variant in groups] == [
        "data.lab.beta_len=0, loss.length_decorrelation_coef=0",
        "data.lab.beta_len=0, loss.length_decorrelation_coef=0.1",
        "data.lab.beta_len=1, loss.length_decorrelation_coef=0",
        "data.lab.beta_len=1, loss.length_decorrelation_coef=0.1",
    ]
    assert all(len(runs) == 2 for runs in groups.values())


def test_values_are_compared_as_numbers_where_they_are_numbers():
    assert same_value("0", "0.0") and same_value("1e-3", "0.001") and not same_value("bt", "bt_margin")
    groups = group_by_variant([run(0, **{"loss.center_coef": "0"}), run(1, **{"loss.center_coef": "0.0"})])
    assert len(groups) == 1


def test_a_key_some_runs_lack_is_swept_at_its_default():
    groups = group_by_variant([run(0), run(0, **{"loss.l2_coef": "0.1"})])
    assert [variant.label for variant in groups] == ["loss.l2_coef=(default)", "loss.l2_coef=0.1"]


def test_the_baseline_is_matched_within_each_level_of_the_other_keys():
    variants = list(group_by_variant(GRID))
    counterparts = baseline_counterparts(variants, {"loss.length_decorrelation_coef": "0.0"})
    pairs = {variant.settings: baseline.settings for variant, baseline in counterparts.items()}
    coef = "loss.length_decorrelation_coef"
    assert pairs == {
        (("data.lab.beta_len", "0"), (coef, "0.1")): (("data.lab.beta_len", "0"), (coef, "0")),
        (("data.lab.beta_len", "1"), (coef, "0.1")): (("data.lab.beta_len", "1"), (coef, "0")),
    }


def test_a_baseline_that_matches_nothing_names_what_there_is():
    variants = list(group_by_variant(GRID))
    with pytest.raises(UserError, match=r"baseline loss=bt: loss is not swept here; the swept keys are \['data"):
        baseline_counterparts(variants, {"loss": "bt"})
    with pytest.raises(UserError, match="no run has that value; data.lab.beta_len takes 0, 1"):
        baseline_counterparts(variants, {"data.lab.beta_len": "2"})
