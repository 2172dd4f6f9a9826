import pytest

from rmexp.bench.tables import case_table, peak_for, summarise_case


def run(pairs_per_second: float, computed_tokens: int = 5_000, **extra) -> dict:
    seconds, pairs = 10.0, int(pairs_per_second * 10.0)
    return {
        "parameters": 1_000_000,
        "tokens": 5_000,
        "computed_tokens": computed_tokens,
        "tokens_per_pair": 5_000 / pairs,
        "computed_tokens_per_pair": computed_tokens / pairs,
        "seconds": seconds,
        "pairs": pairs,
        "trained_pairs": 96,
        "pairs_per_second": pairs_per_second,
        "pairs_per_cpu_second": pairs_per_second,
        "tokens_per_second": 500.0,
        "seconds_per_pair": 1 / pairs_per_second,
        "padding_fraction": 0.1,
        "peak_memory_mib": 1000.0,
        "train_pairs": 1276,
        **extra,
    }


SCORED = {"test_accuracy": 0.6, "test_pairs": 160, "scoring_responses_per_second": 40.0}


def test_medians_over_repeats_and_the_ratio_of_medians():
    runs = {
        "rmexp": [run(20.0, **SCORED), run(30.0), run(24.0)],
        "trl": [run(10.0, **SCORED | {"test_accuracy": 0.55}, train_pairs=1014, train_pairs_dropped=262), run(12.0)],
    }
    summary = summarise_case(runs, peak=1e10)
    assert summary["rmexp"]["pairs_per_second"] == 24.0
    assert summary["rmexp"]["pairs_per_second_range"] == (20.0, 30.0)
    assert summary["trl"]["pairs_per_second"] == 11.0  # the median of two is their mean
    assert summary["ratio"]["pairs_per_second"] == pytest.approx(24 / 11)
    # 6 * 1e6 * 5000 = 3e10 FLOPs in 10 s, against 1e10 FLOP/s: 30%
    assert summary["rmexp"]["mfu"] == pytest.approx(0.3)
    assert summary["accuracy_difference_points"] == pytest.approx(5.0)
    assert summary["trl"]["train_pairs_dropped"] == 262

    table = case_table("minilm_hh", summary)
    assert "| training pairs/s (median of 3, range) | 24 (20-30) | 11 (10-12) | 2.18x |" in table
    assert "| 60.0% | 55.0% | +5.0 points |" in table
    assert "| 1276 (0) | 1014 (262) |" in table


def test_utilisation_counts_the_tokens_a_shared_prompt_leaves_to_compute():
    runs = {"rmexp": [run(25.0, computed_tokens=2_500, **SCORED)], "trl": [run(10.0, **SCORED)]}
    summary = summarise_case(runs, peak=1e10)
    # 6 * 1e6 * 2500 = 1.5e10 FLOPs in 10 s, against 1e10 FLOP/s: 15%
    assert summary["rmexp"]["mfu"] == pytest.approx(0.15)
    assert "| tokens per pair: computed / in the pair | 10 / 20 | 50 / 50 |" in case_table("smollm2_hh", summary)


def test_bf16_runs_are_measured_against_the_bf16_peak():
    peaks = {"float32": 1.0, "bfloat16": 3.0}
    assert peak_for("bf16-mixed", peaks) == 3.0
    assert peak_for("32-true", peaks) == 1.0
