"""The data report: what was read, what was dropped and why, and how long the examples are.

A run on real data is only as good as its rows; the report makes a silent loss visible (rows
dropped, ties left out, prompts truncated, batches mostly padding). It is a plain dict, so it goes
into summary.json and the logger as is, and is printed as a table at setup.
"""

from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

PERCENTILES = (50, 90, 95, 99)


def length_percentiles(lengths: list[int]) -> dict[str, int]:
    if not lengths:
        return {}
    values = np.percentile(lengths, PERCENTILES)
    return {**{f"p{p}": int(round(v)) for p, v in zip(PERCENTILES, values, strict=True)}, "max": int(max(lengths))}


def report_table(report: dict[str, Any]) -> Table:
    table = Table(title=f"data report: {report['source']}", show_header=False)
    table.add_column("what")
    table.add_column("value", overflow="fold")
    for key, value in report.items():
        if key == "source":
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{name} {_number(item)}" for name, item in value.items()) or "none"
        table.add_row(key.replace("_", " "), _number(value))
    return table


def print_report(report: dict[str, Any], console: Console | None = None) -> None:
    (console or Console()).print(report_table(report))


def _number(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)
