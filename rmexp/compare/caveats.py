"""What a reader must be told before trusting the tables: variants left unpaired, and too few seeds.

Both would otherwise pass in silence: an empty paired table looks like "no differences", and a
mean of two seeds prints as precisely as a mean of ten.
"""

from rmexp.compare.runs import Run, seed_values
from rmexp.compare.tables import Table
from rmexp.compare.variants import Variant, counterpart_settings, is_baseline, same_value

# Under 3 seeds the t interval is wide (with 2, +-12.7 standard errors at 95%) and the t-test has 1 df:
# the numbers are printed, but say little.
MIN_SEEDS = 3


def unpaired(variants: list[Variant], baseline: dict[str, str], counterparts: dict[Variant, Variant]) -> list[str]:
    """Why each variant other than a baseline one has no paired row: no run has its counterpart.

    A paired difference changes only the baseline's keys; where the arms of a sweep also differ in
    another key (loss=bt at lr=1, loss=hinge at lr=2), the counterpart loss=bt at lr=2 was never run.
    The fix named is a baseline that also gives those keys, at the values of the nearest baseline variant
    (the one that shares most of its other settings).
    """
    baselines = [variant for variant in variants if is_baseline(variant, baseline)]
    reasons = []
    for variant in variants:
        if variant in counterparts or variant in baselines:
            continue
        others = [(key, value) for key, value in variant.settings if key not in baseline]
        nearest = max(baselines, key=lambda base: sum(same_value(value, base.get(key)) for key, value in others))
        differing = [key for key, value in others if not same_value(value, nearest.get(key))]
        suggestion = {**baseline, **{key: nearest.get(key) for key in differing}}
        wanted = ", ".join(f"{key}={value}" for key, value in counterpart_settings(variant, baseline))
        reasons.append(
            f"{variant.label} is not paired: no run has its baseline {wanted} (a paired difference changes only "
            f"{', '.join(baseline)}); the nearest baseline variant is {nearest.label}, so name "
            f"{', '.join(differing)} too, e.g. "
            + " ".join(f"--baseline {key}={value}" for key, value in suggestion.items())
        )
    if reasons and not counterparts:
        reasons.insert(0, "the paired tables are empty: no variant has a baseline counterpart")
    return reasons


def few_seeds(groups: dict[Variant, list[Run]], metrics: list[str], paired: list[Table]) -> list[str]:
    """Each variant, and each paired comparison, that rests on fewer than MIN_SEEDS seeds of a metric."""
    short = []
    for metric in metrics:
        counts = {variant.label: len(seed_values(runs, metric)) for variant, runs in groups.items()}
        few = {label for label, count in counts.items() if count < MIN_SEEDS}
        short += [f"{label}: {counts[label]} seeds of {metric}" for label in counts if label in few]
        short += [
            f"{row['variant']} against {row['baseline']}: {row['pairs']} pairs of {metric}"
            for table in paired
            for row in table.rows
            if row["metric"] == metric and row["pairs"] < MIN_SEEDS and not {row["variant"], row["baseline"]} & few
        ]
    if not short:
        return []
    return [
        f"fewer than {MIN_SEEDS} seeds: their interval is wide and their p-value says little, run more seeds; "
        + "; ".join(short)
    ]
