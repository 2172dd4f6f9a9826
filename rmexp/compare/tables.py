"""The comparison as tables: numbers kept raw for CSV, formatted once for Markdown and the terminal.

Three kinds: each variant's spread over seeds for one metric, each variant's paired difference to its
baseline (with its effect size, raw and Holm-adjusted p-values), and every run that is not a result
(failed, diverged, never started, no summary), so a variant averaged over fewer seeds than planned says so.
"""

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table as RichTable

from rmexp.compare.runs import COMPLETED, Run, seed_values
from rmexp.compare.statistics import holm_adjusted, paired_difference, spread
from rmexp.compare.variants import Variant


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]

    def formatted(self) -> list[list[str]]:
        return [[format_cell(row.get(column)) for column in self.columns] for row in self.rows]


def format_cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.4g}"
    return "" if value is None else str(value)


def seeds_cell(used: int, planned: int) -> str:
    return str(used) if used == planned else f"{used} of {planned}"


def spread_table(groups: dict[Variant, list[Run]], metric: str, confidence: float = 0.95) -> Table:
    """Mean, std and t interval of `metric` per variant, over the seeds whose run completed with a finite value."""
    rows = []
    for variant, runs in groups.items():
        summary = spread(seed_values(runs, metric), confidence)
        rows.append(
            {
                "variant": variant.label,
                "metric": metric,
                "seeds": seeds_cell(summary.n, len(runs)),
                "mean": summary.mean,
                "std": summary.std,
                "ci_low": summary.ci_low,
                "ci_high": summary.ci_high,
            }
        )
    columns = ["variant", "seeds", "mean", "std", "ci_low", "ci_high"]
    return Table(f"{metric}: mean over seeds, {confidence:.0%} t interval", columns, rows)


def paired_row(
    groups: dict[Variant, list[Run]], variant: Variant, baseline: Variant, metric: str, confidence: float
) -> dict[str, Any]:
    by_seed = [
        {run.seed: run.value(metric) for run in groups[side] if run.value(metric) is not None}
        for side in (variant, baseline)
    ]
    difference = paired_difference(*by_seed, confidence=confidence)
    return {
        "variant": variant.label,
        "baseline": baseline.label,
        "metric": metric,
        "pairs": difference.n,
        "difference": difference.mean,
        "ci_low": difference.ci_low,
        "ci_high": difference.ci_high,
        "d_z": difference.effect_size,
        "p_value": difference.p_value,
    }


def paired_tables(
    groups: dict[Variant, list[Run]], counterparts: dict[Variant, Variant], metrics: list[str], confidence: float = 0.95
) -> list[Table]:
    """variant - baseline, paired by seed, per metric for every variant that has a baseline counterpart.

    Each row has its raw p-value and its Holm-adjusted one, adjusted over every test of the call
    (all variants, all metrics), the number to hold against 0.05 when reading the tables together.
    """
    rows_per_metric = [
        [paired_row(groups, variant, baseline, metric, confidence) for variant, baseline in counterparts.items()]
        for metric in metrics
    ]
    every_row = [row for rows in rows_per_metric for row in rows]
    for row, adjusted in zip(every_row, holm_adjusted([row["p_value"] for row in every_row]), strict=True):
        row["p_holm"] = adjusted
    tests = sum(not math.isnan(row["p_value"]) for row in every_row)
    columns = ["variant", "baseline", "pairs", "difference", "ci_low", "ci_high", "d_z", "p_value", "p_holm"]
    title = "paired difference to the baseline (same seeds), t-test, Holm over {} tests"
    return [
        Table(f"{metric}: {title.format(tests)}", columns, rows)
        for metric, rows in zip(metrics, rows_per_metric, strict=True)
    ]


def problem_table(groups: dict[Variant, list[Run]], metrics: list[str]) -> Table:
    """Every run left out of some mean: not completed, or completed without a finite value of a metric."""
    rows = []
    for variant, runs in groups.items():
        for run in runs:
            absent = [metric for metric in metrics if run.value(metric) is None]
            if not absent:
                continue
            reason = f"no finite value of {', '.join(absent)}" if run.status == COMPLETED else run.error or run.status
            rows.append(
                {
                    "variant": variant.label,
                    "seed": run.seed,
                    "status": run.status,
                    "reason": reason,
                    "folder": run.folder,
                }
            )
    return Table("runs left out (failed, diverged, missing)", ["variant", "seed", "status", "reason", "folder"], rows)


def run_table(groups: dict[Variant, list[Run]], metrics: list[str]) -> Table:
    """Every run's own value of each metric (blank where it is not a result): the numbers behind each mean,
    for checking a rerun seed by seed or for statistics of one's own."""
    rows = [
        {"variant": variant.label, "seed": run.seed, "status": run.status,
         **{metric: run.value(metric) for metric in metrics}, "folder": run.folder}
        for variant, runs in groups.items()
        for run in runs
    ]  # fmt: skip
    return Table("each run", ["variant", "seed", "status", *metrics, "folder"], rows)


def to_markdown(table: Table) -> str:
    lines = [
        f"**{table.title}**",
        "",
        "| " + " | ".join(table.columns) + " |",
        "|" + "|".join("---" for _ in table.columns) + "|",
    ]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table.formatted()]
    return "\n".join(lines) + "\n"


def to_rich(table: Table) -> RichTable:
    rendered = RichTable(title=table.title)
    for column in table.columns:
        numeric = column not in ("variant", "baseline", "status", "reason", "folder")
        rendered.add_column(column, justify="right" if numeric else "left", overflow="fold")
    for row in table.formatted():
        rendered.add_row(*row)
    return rendered


def write_csv(tables: list[Table], path: Path) -> Path:
    """The rows of tables of one kind (one per metric) in one long CSV, numbers unrounded.

    The header is written without rows too, so an empty table reads as "none" rather than as a broken file.
    """
    row_keys = [key for table in tables for row in table.rows for key in row]
    columns = list(dict.fromkeys([*row_keys, *(column for table in tables for column in table.columns)]))
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for table in tables:
            writer.writerows(table.rows)
    return path
