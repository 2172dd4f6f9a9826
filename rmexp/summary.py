"""The end of a run: `summary.json` in the run folder and the results table in the terminal."""

import io
import json
import logging
import math
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.table import Table

from rmexp.atomic_write import write_text_atomic

log = logging.getLogger(__name__)

# The headline metrics, in the order a reader scans them; others still go to summary.json.
TABLE_METRICS = {
    "loss": "loss",
    "accuracy": "accuracy (labels)",
    "gold_accuracy": "accuracy (gold)",
    "ece": "calibration error (ECE)",
    "longer_preferred_rate": "pick-the-longer baseline",
    "accuracy_length_aligned": "accuracy, chosen longer",
    "accuracy_length_inverted": "accuracy, chosen shorter",
    "accuracy_length_matched": "accuracy, lengths within 10%",
    "length_corr": "corr(reward, length)",
    "length_spearman": "spearman(reward, length)",
    "reward_per_100_tokens": "reward per 100 tokens",
    "length_partial_corr": "corr(reward, length | gold)",
    "gold_corr": "corr(reward, gold)",
    "reward_mean": "reward mean",
    "reward_std": "reward std",
    "margin_mean": "margin mean",
}


def write_config(output_dir: Path, cfg: DictConfig) -> None:
    """The command's resolved config as `<output_dir>/config.yaml`, written whole or not at all."""
    write_text_atomic(output_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))


def write_json_atomic(path: Path, payload: dict[str, Any]) -> None:
    """Written whole or not at all (rmexp/atomic_write.py): a crash or a full disk never leaves half a summary."""
    write_text_atomic(path, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


def results_table(
    metrics: dict[str, float],
    splits: tuple[str, ...] = ("val", "test"),
    intervals: dict[str, list[float]] | None = None,
) -> Table:
    """The headline metrics per split; beside the last split, its 95% interval where one was computed."""
    table = Table(title="rmexp results")
    table.add_column("metric")
    for split in splits:
        table.add_column(split, justify="right")
    shown = splits[-1]
    if intervals:
        table.add_column(f"{shown} 95% CI (prompts)", justify="right")
    for key, label in TABLE_METRICS.items():
        values = [metrics.get(f"{split}/{key}") for split in splits]
        if all(value is None for value in values):
            continue
        cells = ["-" if value is None or math.isnan(value) else f"{value:.4f}" for value in values]
        if intervals:
            low, high = intervals.get(f"{shown}/{key}", (math.nan, math.nan))
            cells.append("-" if math.isnan(low) else f"[{low:.4f}, {high:.4f}]")
        table.add_row(label, *cells)
    return table


def print_results_table(
    metrics: dict[str, float],
    console: Console | None = None,
    splits: tuple[str, ...] = ("val", "test"),
    intervals: dict[str, list[float]] | None = None,
) -> None:
    """The table in the terminal, and as plain text in the command's log file (conf/hydra/job_logging)."""
    (console or Console()).print(results_table(metrics, splits, intervals))
    as_text = Console(file=io.StringIO(), width=120, color_system=None)
    as_text.print(results_table(metrics, splits, intervals))
    log.info("results:\n%s", as_text.file.getvalue())
