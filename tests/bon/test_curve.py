"""The curve on real lab candidates: gold as the RM never gets worse with n; length as the RM chases length."""

import numpy as np
import pytest

from rmexp.bon.candidates import LabResponseGenerator
from rmexp.bon.curve import best_of_n_curve, headline, mean_curve, on_gold_scale, powers_of_two
from rmexp.data.lab import LabSpec, generate

N_VALUES = powers_of_two(256)


@pytest.fixture(scope="module")
def candidates():
    """256 candidates for each of 100 prompts, drawn once for the module."""
    return LabResponseGenerator()(generate(LabSpec(num_prompts=400, vocab_size=100, seed=0)), np.arange(100), 256)


def test_n_runs_over_powers_of_two_up_to_the_candidates():
    assert powers_of_two(256) == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert powers_of_two(6) == [1, 2, 4, 6]
    assert powers_of_two(1) == [1]


def test_with_gold_as_the_rm_the_picks_gold_never_falls_and_proxy_is_gold(candidates):
    rows = best_of_n_curve(candidates.gold, candidates.gold, candidates.length, N_VALUES)
    gold = [row["gold"] for row in rows]
    assert all(later >= earlier for earlier, later in zip(gold, gold[1:], strict=False))
    assert gold[-1] - gold[0] > 1.0  # the best of 256 is far above a random one
    assert [row["proxy_gold_scale"] for row in rows] == pytest.approx(gold)
    assert [row["gold_as_rm"] for row in rows] == pytest.approx(gold)  # the reference is this very curve
    assert headline(rows)["bon/gold_peak_n"] == 256 and headline(rows)["bon/proxy_gold_gap"] == pytest.approx(0)


def test_with_length_as_the_rm_the_pick_gets_longer_and_no_better(candidates):
    rows = best_of_n_curve(candidates.length.astype(float), candidates.gold, candidates.length, N_VALUES)
    length = [row["length"] for row in rows]
    assert all(later > earlier for earlier, later in zip(length, length[1:], strict=False))
    assert length[0] == pytest.approx(18, abs=0.5) and length[-1] == pytest.approx(32)  # uniform 4-32, then the max
    # gold is length-free: the longest candidates are no better (100 prompts x ~9 tied at 32 words: sd ~0.025)
    assert rows[-1]["gold"] == pytest.approx(rows[0]["gold"], abs=0.1)
    assert headline(rows)["bon/proxy_gold_gap"] > 1.0  # the proxy promises a lot more than gold delivers
    # whatever the RM, the reference is gold's own pick: far above the length RM's at n = 256
    assert rows[-1]["gold_as_rm"] == pytest.approx(best_of_n_curve(candidates.gold, candidates.gold,
                                                                   candidates.length, [256])[0]["gold"])  # fmt: skip
    assert rows[-1]["gold_as_rm"] > rows[-1]["gold"] + 1.0


def test_the_proxy_on_golds_scale_has_each_prompts_gold_mean_and_spread():
    gold = np.array([[0.0, 1.0, 2.0], [5.0, 5.0, 8.0]])
    proxy = np.array([[10.0, 30.0, 20.0], [1.0, 1.0, 1.0]])
    # row 0: z = -1.2247, 1.2247, 0 -> 1 + 0.8165 z; row 1: a constant proxy stays at gold's mean, 6
    assert on_gold_scale(proxy, gold) == pytest.approx(np.array([[0.0, 2.0, 1.0], [6.0, 6.0, 6.0]]))


def test_the_headline_names_the_peak_the_gap_and_every_n():
    rows = [
        {"n": 1, "kl": 0.0, "gold": 0.0, "proxy": -1.0, "proxy_gold_scale": 0.0, "length": 10.0},
        {"n": 4, "kl": 0.636, "gold": 0.5, "proxy": 1.0, "proxy_gold_scale": 0.7, "length": 12.0},
        {"n": 16, "kl": 1.835, "gold": 0.4, "proxy": 2.0, "proxy_gold_scale": 1.2, "length": 15.0},
    ]
    metrics = headline(rows)
    assert metrics["bon/gold_peak_n"] == 4 and metrics["bon/gold_peak"] == 0.5
    assert metrics["bon/gold_max_n"] == 0.4 and metrics["bon/proxy_max_n"] == 1.2
    assert metrics["bon/proxy_gold_gap"] == pytest.approx(0.8)
    assert metrics["bon/gold_gain"] == pytest.approx(0.4) and metrics["bon/length_gain"] == pytest.approx(5.0)
    assert metrics["bon/gold_n16"] == 0.4 and metrics["bon/proxy_n4"] == 1.0 and metrics["bon/length_n1"] == 10.0


def test_curves_of_several_seeds_average_n_by_n():
    first = [{"n": 1, "kl": 0.0, "gold": 0.0, "proxy": 1.0, "proxy_gold_scale": 0.0, "length": 10.0},
             {"n": 2, "kl": 0.19, "gold": 0.4, "proxy": 2.0, "proxy_gold_scale": 0.5, "length": 12.0}]  # fmt: skip
    second = [{**row, "gold": row["gold"] + 0.2, "length": row["length"] + 1} for row in first]
    assert mean_curve([first, second]) == [
        {"n": 1, "kl": 0.0, "gold": 0.1, "proxy": 1.0, "proxy_gold_scale": 0.0, "length": 10.5},
        {"n": 2, "kl": 0.19, "gold": pytest.approx(0.5), "proxy": 2.0, "proxy_gold_scale": 0.5, "length": 12.5},
    ]
    with pytest.raises(ValueError, match="same n values"):
        mean_curve([first, first[:1]])
    with_reference = [{**row, "gold_as_rm": 1.0} for row in first]
    assert "gold_as_rm" not in mean_curve([first, with_reference])[0]  # only the columns every run has
    assert mean_curve([with_reference, with_reference])[1]["gold_as_rm"] == 1.0
