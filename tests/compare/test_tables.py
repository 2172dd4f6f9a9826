"""Tables built from hand-made runs: the paired tables' Holm adjustment spans every metric of the call."""

import math

import pytest

from rmexp.compare.runs import Run
from rmexp.compare.tables import paired_tables
from rmexp.compare.variants import Variant

BASELINE, VARIANT = Variant((("loss", "bt"),)), Variant((("loss", "hinge"),))


def runs(accuracies: list[float], rewards: list[float]) -> list[Run]:
    return [
        Run(folder=None, overrides={}, status="completed", seed=seed, metrics={"accuracy": accuracy, "reward": reward})
        for seed, (accuracy, reward) in enumerate(zip(accuracies, rewards, strict=True))
    ]


def test_holm_counts_the_tests_of_every_metric():
    groups = {BASELINE: runs([0.80, 0.82, 0.84], [0.0, 0.0, 0.0]), VARIANT: runs([0.83, 0.86, 0.86], [1.0, 2.0, 3.0])}
    accuracy, reward = paired_tables(groups, {VARIANT: BASELINE}, ["accuracy", "reward"])
    # on 2 df p = 1 - t / sqrt(t^2 + 2): accuracy d = .03, .04, .02, t = 3 sqrt 3; reward d = 1, 2, 3, t = 2 sqrt 3
    accuracy_p, reward_p = 1 - math.sqrt(27 / 29), 1 - math.sqrt(12 / 14)  # 0.035099, 0.074180
    assert accuracy.rows[0]["p_value"] == pytest.approx(accuracy_p, abs=1e-9)
    assert reward.rows[0]["p_value"] == pytest.approx(reward_p, abs=1e-9)
    # Holm over both: 2 * 0.035099 = 0.070197, then 1 * 0.074180
    assert accuracy.rows[0]["p_holm"] == pytest.approx(2 * accuracy_p, abs=1e-9)
    assert reward.rows[0]["p_holm"] == pytest.approx(reward_p, abs=1e-9)
    assert reward.rows[0]["d_z"] == pytest.approx(2.0)  # mean 2 over sd 1
    assert "Holm over 2 tests" in accuracy.title
