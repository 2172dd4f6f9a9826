"""A best-of-n sweep's curves side by side: each variant's mean over its seeds in one figure.

Every `rmexp-bon` run writes its curve (`best_of_n.csv`); the comparison of such runs draws them
together, with gold as the RM for reference, so an overlay of several RMs comes from `rmexp-compare`
and not from a script kept beside the README.
"""

import csv
from pathlib import Path

from rmexp.bon.curve import COLUMNS, mean_curve
from rmexp.bon.plots import plot_over_optimisation, plot_pick_length
from rmexp.compare.runs import COMPLETED, Run
from rmexp.compare.variants import Variant
from rmexp.errors import UserError

CURVE_FILE = "best_of_n.csv"


def run_curve(run: Run) -> list[dict] | None:
    """The completed run's best-of-n rows as numbers; None for a run that wrote none (a training run)."""
    path = run.folder / CURVE_FILE
    if run.status != COMPLETED or not path.is_file():
        return None
    with path.open(newline="") as file:
        reader = csv.DictReader(file)
        missing = [column for column in COLUMNS[:-1] if column not in (reader.fieldnames or [])]
        if missing:
            raise UserError(f"{path}: no column {', '.join(missing)}; expected the columns rmexp-bon writes: {COLUMNS}")
        rows = []
        for line, row in enumerate(reader, start=2):
            try:
                rows.append({column: float(value) for column, value in row.items() if column in COLUMNS})
            except (TypeError, ValueError):
                raise UserError(f"{path}, line {line}: expected a number in every column, got {row}") from None
    for row in rows:
        row["n"] = int(row["n"])
    return rows or None


def variant_curves(groups: dict[Variant, list[Run]]) -> dict[str, list[dict]]:
    """Each variant's mean curve over the seeds that wrote one, by variant label; a variant whose seeds
    ran different n grids has no mean curve and is left out."""
    curves = {}
    for variant, runs in groups.items():
        found = [curve for curve in map(run_curve, runs) if curve]
        if not found:
            continue
        try:
            curves[variant.label] = mean_curve(found)
        except ValueError:  # mean_curve's own check: the seeds' n values differ
            continue
    return curves


def plot_bon_curves(groups: dict[Variant, list[Run]], folder: Path) -> list[Path]:
    """The over-optimisation and pick-length figures of every variant at once; none for a sweep without bon runs."""
    curves = variant_curves(groups)
    if not curves:
        return []
    over_seeds = "mean over seeds"
    return [
        plot_over_optimisation(curves, folder / "bon_over_optimisation.png",
                               title=f"best-of-n: gold and proxy of the pick, {over_seeds}"),
        plot_pick_length(curves, folder / "bon_pick_length.png", title=f"best-of-n: length of the pick, {over_seeds}"),
    ]  # fmt: skip
