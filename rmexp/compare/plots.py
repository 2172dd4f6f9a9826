"""The comparison as pictures: a metric per variant, and a metric against a swept number.

Each mean is drawn with its t interval and every seed's own value beside it, so a reader sees at
once whether two variants' seeds overlap.
"""

from pathlib import Path

import numpy as np

from rmexp.compare.bon_curves import plot_bon_curves
from rmexp.compare.runs import Run, seed_values
from rmexp.compare.statistics import spread
from rmexp.compare.variants import Variant
from rmexp.plots import plt, save


def file_name(metric: str, suffix: str = "") -> str:
    return metric.replace("/", "_") + suffix + ".png"


def tick_labels(variants: list[Variant]) -> tuple[list[str], str]:
    """Each variant's tick and the axis's label. Where every variant sets the same keys, a tick holds only its
    values, one per line, and the keys are named once on the axis: a full `key=value` label per column
    runs into its neighbours' as soon as keys are long (`experiment/feedback_arm=pointwise_per_annotator`)."""
    keys = [key for key, _ in variants[0].settings] if variants else []
    if not keys or any([key for key, _ in variant.settings] != keys for variant in variants):
        return [variant.label.replace(", ", "\n") for variant in variants], ""
    values = ["\n".join(value for _, value in variant.settings) for variant in variants]
    return values, keys[0] if len(keys) == 1 else f"{', '.join(keys)} (a line each)"


def plot_variants(groups: dict[Variant, list[Run]], metric: str, path: Path, confidence: float = 0.95) -> Path:
    return save(variants_figure(groups, metric, confidence), path)


def variants_figure(groups: dict[Variant, list[Run]], metric: str, confidence: float = 0.95) -> plt.Figure:
    """One column per variant: each seed's value (grey) and the mean with its interval (black)."""
    labels, axis_label = tick_labels(list(groups))
    widest = max((len(line) for label in labels for line in label.split("\n")), default=0)
    column = max(1.3, 0.075 * widest)  # inches: the width of 8-point characters, with a gap to the next column
    figure, axes = plt.subplots(figsize=(max(5.0, column * len(groups) + 2), 4.5))
    for position, runs in enumerate(groups.values()):
        values = seed_values(runs, metric)
        summary = spread(values, confidence)
        axes.scatter(np.full(len(values), position + 0.15), values, color="gray", s=14, alpha=0.7, zorder=2)
        if summary.n:
            interval = np.nan_to_num([[summary.mean - summary.ci_low], [summary.ci_high - summary.mean]])
            axes.errorbar(position, summary.mean, yerr=interval, fmt="o", color="black", capsize=5, zorder=3)
    axes.set_xticks(range(len(groups)), labels, fontsize=8)
    axes.set_xlim(-0.6, len(groups) - 0.4)
    axes.set(xlabel=axis_label, ylabel=metric, title=f"{metric}: mean and {confidence:.0%} interval over seeds")
    axes.grid(axis="y", alpha=0.3)
    return figure


def numeric_keys(groups: dict[Variant, list[Run]]) -> list[str]:
    """Swept keys whose values are all numbers, at least two of them: the ones a line plot can take as x."""
    variants = list(groups)
    keys = [key for key, _ in variants[0].settings] if variants else []
    numeric = []
    for key in keys:
        try:
            values = {float(variant.get(key)) for variant in variants}
        except ValueError:
            continue
        if len(values) > 1:
            numeric.append(key)
    return numeric


def plot_against(groups: dict[Variant, list[Run]], key: str, metric: str, path: Path, confidence: float = 0.95) -> Path:
    """The metric's mean and interval against the value of `key`, one line per setting of the other swept keys.

    A symmetric log axis when the values span two decades or more (0, 1e-3, 1e-2, 1e-1 stay apart).
    """
    lines: dict[str, list[tuple[float, list[float]]]] = {}
    for variant, runs in groups.items():
        others = ", ".join(f"{other}={value}" for other, value in variant.settings if other != key) or metric
        lines.setdefault(others, []).append((float(variant.get(key)), seed_values(runs, metric)))
    figure, axes = plt.subplots(figsize=(6.5, 4.5))
    for label, points in lines.items():
        points.sort()
        summaries = [spread(values, confidence) for _, values in points]
        x = np.array([value for value, _ in points])
        mean = np.array([summary.mean for summary in summaries])
        interval = np.nan_to_num([mean - [s.ci_low for s in summaries], [s.ci_high for s in summaries] - mean])
        axes.errorbar(x, mean, yerr=interval, marker="o", capsize=4, label=label)
    positive = [value for points in lines.values() for value, _ in points if value > 0]
    values = [value for points in lines.values() for value, _ in points]
    if positive and max(values) / min(positive) >= 100:
        axes.set_xscale("symlog", linthresh=min(positive))
    axes.set(xlabel=key, ylabel=metric, title=f"{metric} against {key} ({confidence:.0%} intervals)")
    axes.grid(alpha=0.3)
    if len(lines) > 1:
        axes.legend(fontsize=8)
    return save(figure, path)


def plot_all(
    groups: dict[Variant, list[Run]], metrics: list[str], folder: Path, confidence: float = 0.95
) -> list[Path]:
    """Every picture of the comparison: per variant for each metric, against each numeric swept key, and a
    best-of-n sweep's curves overlaid.

    A PNG in `folder` this call did not draw is an earlier call's (another metric, another sweep): it is
    removed, so the folder never shows a plot that disagrees with the tables beside it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    paths = [plot_variants(groups, metric, folder / file_name(metric), confidence) for metric in metrics]
    for key in numeric_keys(groups):
        paths += [
            plot_against(groups, key, metric, folder / file_name(metric, f"_against_{key}"), confidence)
            for metric in metrics
        ]
    paths += plot_bon_curves(groups, folder)
    for stale in set(folder.glob("*.png")) - set(paths):
        stale.unlink()
    return paths
