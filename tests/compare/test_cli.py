"""rmexp-compare on the hand-made sweep of conftest.py: the numbers in its tables are the hand-computed ones."""

import csv
import math
from pathlib import Path

import pytest

from rmexp.compare.cli import main

from .conftest import write_completed_sweep, write_job


def read_csv(path) -> dict[str, dict[str, str]]:
    with path.open() as file:
        return {row["variant"]: row for row in csv.DictReader(file)}


@pytest.fixture
def compared(sweep_dir, capsys):
    main([str(sweep_dir)])  # metrics and baseline from the runs' config: compare.metrics, compare.baseline
    return sweep_dir / "compare", capsys.readouterr().out


def test_each_variant_has_its_mean_std_interval_and_seeds(compared):
    output, _ = compared
    rows = read_csv(output / "variants.csv")
    bt, pointwise, listwise = rows["loss=bt"], rows["loss=pointwise_mse"], rows["loss=listwise_pairs"]
    # bt: 0.80, 0.82, 0.84 (seed 3 diverged) -> 0.82 +- 4.302653 * 0.02 / sqrt(3)
    assert bt["seeds"] == "3 of 4" and bt["metric"] == "test/gold_accuracy"
    assert [float(bt[key]) for key in ("mean", "std", "ci_low", "ci_high")] == pytest.approx(
        [0.82, 0.02, 0.770317, 0.869683], abs=1e-6
    )
    # listwise: 0.83, 0.86, 0.86 -> mean 0.85, s = sqrt(0.0003) = 0.017321, half-width 4.302653 * 0.01
    assert [float(listwise[key]) for key in ("mean", "std", "ci_low", "ci_high")] == pytest.approx(
        [0.85, 0.017321, 0.806973, 0.893027], abs=1e-6
    )
    # pointwise: 0.70, 0.74 -> mean 0.72, s = 0.028284, half-width t_{0.975, 1} * 0.02 = 12.706205 * 0.02
    assert pointwise["seeds"] == "2 of 4"
    assert [float(pointwise[key]) for key in ("mean", "std", "ci_low", "ci_high")] == pytest.approx(
        [0.72, 0.028284, 0.465876, 0.974124], abs=1e-6
    )


def test_each_variant_is_paired_by_seed_with_the_baseline(compared):
    output, _ = compared
    rows = read_csv(output / "paired.csv")
    assert set(rows) == {"loss=pointwise_mse", "loss=listwise_pairs"}
    listwise, pointwise = rows["loss=listwise_pairs"], rows["loss=pointwise_mse"]
    # differences 0.03, 0.04, 0.02: t = 5.196 on 2 df; d_z = 0.03 / 0.01
    assert listwise["baseline"] == "loss=bt" and listwise["pairs"] == "3"
    assert [float(listwise[key]) for key in ("difference", "ci_low", "ci_high", "d_z", "p_value")] == pytest.approx(
        [0.03, 0.005159, 0.054841, 3.0, 0.035098], abs=1e-6
    )
    # seeds 0 and 1: -0.10, -0.08 -> mean -0.09, se 0.01, t = -9 on 1 df: p = 1 - 2 atan(9) / pi; d_z = -0.09 / 0.014142
    assert [float(pointwise[key]) for key in ("difference", "ci_low", "ci_high", "d_z")] == pytest.approx(
        [-0.09, -0.217062, 0.037062, -6.363961], abs=1e-6
    )
    pointwise_p = 1 - 2 * math.atan(9) / math.pi  # 0.070447
    assert float(pointwise["p_value"]) == pytest.approx(pointwise_p, abs=1e-9)
    # Holm over the two tests: 2 * 0.0350987 (on 2 df p = 1 - t / sqrt(t^2 + 2), t = 3 sqrt 3), then 0.070447 * 1
    assert float(listwise["p_holm"]) == pytest.approx(2 * (1 - math.sqrt(27 / 29)), abs=1e-9)  # 0.070197
    assert float(pointwise["p_holm"]) == pytest.approx(pointwise_p, abs=1e-9)


def test_each_run_s_own_value_is_listed_and_blank_where_it_is_no_result(compared):
    output, _ = compared
    with (output / "runs.csv").open() as file:
        runs = {(row["variant"], row["seed"]): row for row in csv.DictReader(file)}
    assert len(runs) == 12  # 3 variants x 4 planned seeds, results or not
    bt = [runs["loss=bt", seed]["test/gold_accuracy"] for seed in "0123"]
    assert [float(value) for value in bt[:3]] == pytest.approx([0.80, 0.82, 0.84]) and bt[3] == ""  # seed 3 diverged
    assert runs["loss=bt", "3"]["status"] == "diverged"
    assert Path(runs["loss=pointwise_mse", "1"]["folder"]).name == "5"  # jobs 0-3 are bt's seeds, 4-7 pointwise's


def test_runs_that_are_not_results_are_listed_with_why(compared):
    output, printed = compared
    with (output / "left_out.csv").open() as file:
        left_out = {(row["variant"], row["seed"]): (row["status"], row["reason"]) for row in csv.DictReader(file)}
    assert left_out == {
        ("loss=bt", "3"): ("diverged", "diverged"),  # its summary gives no error
        ("loss=pointwise_mse", "2"): ("failed", "ValueError: boom"),
        ("loss=pointwise_mse", "3"): ("not started", left_out["loss=pointwise_mse", "3"][1]),
        ("loss=listwise_pairs", "3"): ("no summary", left_out["loss=listwise_pairs", "3"][1]),
    }
    assert "never started" in left_out["loss=pointwise_mse", "3"][1]
    assert "4 left out" in printed and "ValueError: boom" in printed


def test_markdown_and_plots_are_written(compared):
    output, _ = compared
    markdown = (output / "compare.md").read_text()
    assert "| loss=bt | 3 of 4 | 0.82 | 0.02 | 0.7703 | 0.8697 |" in markdown
    assert "![test_gold_accuracy](plots/test_gold_accuracy.png)" in markdown
    assert (output / "plots" / "test_gold_accuracy.png").stat().st_size > 5000


def test_a_swept_number_gets_a_plot_against_it(tmp_path, capsys):
    for number, (coef, seed) in enumerate((coef, seed) for coef in ("0", "0.001", "0.1") for seed in (0, 1)):
        accuracy = 0.8 - float(coef) + seed / 100
        write_job(
            tmp_path / "sweep" / str(number), [f"loss.center_coef={coef}", f"seed={seed}"], "completed", accuracy, seed
        )
    main([str(tmp_path / "sweep"), "--baseline", "loss.center_coef=0.0"])
    plots = tmp_path / "sweep" / "compare" / "plots"
    assert sorted(path.name for path in plots.iterdir()) == [
        "test_gold_accuracy.png",
        "test_gold_accuracy_against_loss.center_coef.png",
    ]
    paired = read_csv(tmp_path / "sweep" / "compare" / "paired.csv")
    assert float(paired["loss.center_coef=0.1"]["difference"]) == pytest.approx(-0.1)


def test_without_a_baseline_the_first_variant_is_one(tmp_path, capsys):
    # the runs' config names loss=bt, which this sweep of center_coef does not vary
    accuracies = {("loss.center_coef=0",): [0.80, 0.82, 0.84], ("loss.center_coef=0.1",): [0.71, 0.70, 0.75]}
    sweep = write_completed_sweep(tmp_path / "sweep", accuracies)
    main([str(sweep)])
    paired = read_csv(sweep / "compare" / "paired.csv")
    assert list(paired) == ["loss.center_coef=0.1"]
    # differences -0.09, -0.12, -0.09: mean -0.1, s = 0.017321, d_z = -0.1 / 0.017321
    assert paired["loss.center_coef=0.1"]["baseline"] == "loss.center_coef=0"
    assert float(paired["loss.center_coef=0.1"]["d_z"]) == pytest.approx(-5.773503, abs=1e-6)
    printed = " ".join(capsys.readouterr().out.split())
    assert (
        "baseline loss.center_coef=0: the first variant (the experiment's baseline loss=bt: loss is not swept"
        in printed
    )


def test_a_baseline_without_counterparts_says_why_the_paired_table_is_empty(tmp_path, capsys):
    # the arms differ in lr as well: loss=bt (the experiment's baseline) only ever ran at lr=1
    accuracies = {("loss=bt", "lr=1"): [0.80, 0.82, 0.84], ("loss=hinge", "lr=2"): [0.70, 0.71, 0.75]}
    sweep = write_completed_sweep(tmp_path / "sweep", accuracies)
    main([str(sweep)])
    printed = " ".join(capsys.readouterr().out.split())
    assert "the paired tables are empty: no variant has a baseline counterpart" in printed
    assert (
        "loss=hinge, lr=2 is not paired: no run has its baseline loss=bt, lr=2 (a paired difference changes only "
        "loss); the nearest baseline variant is loss=bt, lr=1, so name lr too, e.g. --baseline loss=bt --baseline lr=1"
    ) in printed
    assert "the paired tables are empty" in (sweep / "compare" / "compare.md").read_text()
    main([str(sweep), "--baseline", "loss=bt", "--baseline", "lr=1"])  # the suggestion pairs them
    assert float(read_csv(sweep / "compare" / "paired.csv")["loss=hinge, lr=2"]["difference"]) == pytest.approx(-0.1)


def test_fewer_than_three_seeds_are_warned_of(compared):
    output, printed = compared
    # pointwise_mse has 2 results, bt and listwise_pairs 3 each
    warning = " ".join(printed.split()).split("warning: fewer than 3 seeds")[1]
    assert "loss=pointwise_mse: 2 seeds of test/gold_accuracy" in warning
    assert "loss=bt" not in warning and "listwise" not in warning
    assert "loss=pointwise_mse: 2 seeds of test/gold_accuracy" in (output / "compare.md").read_text()


def test_a_second_call_leaves_only_its_own_plots_and_tables(sweep_dir, tmp_path):
    output = tmp_path / "comparison"
    main([str(sweep_dir), "--metric", "test/gold_accuracy", "--metric", "test/length_corr", "--output", str(output)])
    assert (output / "plots" / "test_length_corr.png").is_file() and (output / "paired.csv").is_file()
    one_variant = write_completed_sweep(tmp_path / "bt_only", {("loss=bt",): [0.80, 0.82, 0.84]})
    main([str(one_variant), "--metric", "test/gold_accuracy", "--output", str(output)])
    assert [path.name for path in (output / "plots").iterdir()] == ["test_gold_accuracy.png"]
    assert not (output / "paired.csv").exists()  # one variant: nothing to pair


def test_an_empty_left_out_table_still_has_its_header(tmp_path):
    sweep = write_completed_sweep(tmp_path / "sweep", {("loss=bt",): [0.80, 0.82, 0.84], ("loss=hinge",): [0.7] * 3})
    main([str(sweep)])
    assert (sweep / "compare" / "left_out.csv").read_text().splitlines() == ["variant,seed,status,reason,folder"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--metric", "test/nope"], "--metric test/nope: not in any completed run's summary.json; its metrics are"),
        (["--baseline", "loss"], "--baseline loss: expected KEY=VALUE"),
        (["--baseline", "loss=hinge"], "baseline loss=hinge: no run has that value; loss takes bt, pointwise_mse"),
        (["--confidence", "95"], "--confidence 95.0: expected a level between 0 and 1"),
    ],
)
def test_bad_arguments_exit_with_one_line(sweep_dir, capsys, arguments, message):
    with pytest.raises(SystemExit) as exit_code:
        main([str(sweep_dir), *arguments])
    assert exit_code.value.code == 2
    error = capsys.readouterr().err
    assert message in " ".join(error.split()) and "Traceback" not in error


def test_piped_output_keeps_each_variant_on_one_line_of_its_table(tmp_path, capsys):
    accuracies = {
        (f"loss={loss}", f"data.lab.list_size={size}", f"trainer.max_epochs={epochs}"): [0.80, 0.82, 0.84 + offset]
        for loss, offset in (("listwise_pairs", 0.0), ("bt", 0.02))
        for size in (4, 8)
        for epochs in (1, 4)
    }
    main([str(write_completed_sweep(tmp_path / "sweep", accuracies)), "--baseline", "loss=listwise_pairs"])
    lines = capsys.readouterr().out.splitlines()
    # the paired table's row: the variant and its baseline, each whole, side by side
    variant, baseline = (
        f"loss={loss}, data.lab.list_size=8, trainer.max_epochs=4" for loss in ("bt", "listwise_pairs")
    )
    assert any(variant in line and baseline in line for line in lines), "\n".join(lines)
