"""Caveats on hand-made variants: a comparison on too few shared seeds is named even when each side has enough."""

from rmexp.compare.caveats import few_seeds
from rmexp.compare.runs import Run
from rmexp.compare.tables import paired_tables
from rmexp.compare.variants import Variant

BASELINE, VARIANT = Variant((("loss", "bt"),)), Variant((("loss", "hinge"),))


def runs(seeds: range) -> list[Run]:
    return [Run(folder=None, overrides={}, status="completed", seed=seed, metrics={"accuracy": 0.8}) for seed in seeds]


def test_three_seeds_each_but_one_in_common_is_one_pair_too_few():
    groups = {BASELINE: runs(range(0, 3)), VARIANT: runs(range(2, 5))}  # seed 2 is the only one both ran
    paired = paired_tables(groups, {VARIANT: BASELINE}, ["accuracy"])
    (warning,) = few_seeds(groups, ["accuracy"], paired)
    assert warning.endswith("run more seeds; loss=hinge against loss=bt: 1 pairs of accuracy")


def test_three_seeds_each_and_in_common_need_no_warning():
    groups = {BASELINE: runs(range(3)), VARIANT: runs(range(3))}
    assert few_seeds(groups, ["accuracy"], paired_tables(groups, {VARIANT: BASELINE}, ["accuracy"])) == []
