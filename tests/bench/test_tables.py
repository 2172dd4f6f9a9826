import pytest

from rmexp.bench.tables import case_table, peak_for, summarise_case


def run(pairs_per_second: float, **extra) -> dict:
    seconds = 10.0
    return {
        "parameters": 1_000_000,
        "tokens": 5_000,
        "seconds": seconds,
        "pairs": int(pairs_per_second * seconds),
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


def test_bf16_runs_are_measured_against_the_bf16_peak():
    peaks = {"float32": 1.0, "bfloat16": 3.0}
    assert peak_for("bf16-mixed", peaks) == 3.0
    assert peak_for("32-true", peaks) == 1.0
