"""A best-of-n sweep compared: each variant's curve is the mean of its seeds', drawn in one figure."""

import csv

import pytest

from rmexp.bon.curve import COLUMNS
from rmexp.compare.bon_curves import variant_curves
from rmexp.compare.cli import main
from rmexp.compare.runs import collect_runs
from rmexp.compare.variants import group_by_variant
from rmexp.errors import UserError

from .conftest import write_job


def write_curve(folder, gold_at_4: float, columns=COLUMNS) -> None:
    rows = [
        {"n": 1, "kl": 0.0, "gold": 0.0, "proxy": 0.5, "proxy_gold_scale": 0.0, "length": 10.0, "gold_as_rm": 0.0},
        {"n": 4, "kl": 0.636, "gold": gold_at_4, "proxy": 2.0, "proxy_gold_scale": 0.9, "length": 14.0,
         "gold_as_rm": 1.0},
    ]  # fmt: skip
    with (folder / "best_of_n.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def write_bon_sweep(folder):
    """Two RMs x two seeds; gold at n = 4 is 0.4, 0.6 for bt and 0.7, 0.9 for the decorrelated RM."""
    golds = {("0.0", 0): 0.4, ("0.0", 1): 0.6, ("1.0", 0): 0.7, ("1.0", 1): 0.9}
    for number, ((coef, seed), gold) in enumerate(golds.items()):
        job = folder / str(number)
        write_job(job, [f"loss.length_decorrelation_coef={coef}", f"seed={seed}"], "completed", 0.8, seed)
        write_curve(job, gold)
    return folder


def test_each_variant_s_curve_is_the_mean_of_its_seeds(tmp_path):
    groups = group_by_variant(collect_runs([write_bon_sweep(tmp_path / "sweep")]))
    curves = variant_curves(groups)
    assert sorted(curves) == ["loss.length_decorrelation_coef=0.0", "loss.length_decorrelation_coef=1.0"]
    assert curves["loss.length_decorrelation_coef=0.0"][1]["gold"] == pytest.approx(0.5)
    assert curves["loss.length_decorrelation_coef=1.0"][1]["gold"] == pytest.approx(0.8)
    assert curves["loss.length_decorrelation_coef=1.0"][1]["gold_as_rm"] == 1.0


def test_the_comparison_draws_the_overlay_of_a_bon_sweep(tmp_path):
    sweep = write_bon_sweep(tmp_path / "sweep")
    main([str(sweep), "--metric", "test/gold_accuracy"])
    plots = {path.name for path in (sweep / "compare" / "plots").iterdir()}
    assert {"bon_over_optimisation.png", "bon_pick_length.png"} <= plots


def test_a_curve_file_that_is_not_rmexp_bon_s_is_named(tmp_path):
    sweep = write_bon_sweep(tmp_path / "sweep")
    (sweep / "0" / "best_of_n.csv").write_text("n,kl,gold,proxy,proxy_gold_scale,length\n1,0.0,abc,0,0,10\n")
    with pytest.raises(UserError, match=r"0/best_of_n.csv, line 2: expected a number in every column"):
        variant_curves(group_by_variant(collect_runs([sweep])))
