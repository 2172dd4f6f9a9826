"""rmexp-compare: read every run of one or more sweeps and compare the variants across seeds.

rmexp-compare multirun/pointwise_vs_pairwise/2025-01-01_12-00-00
rmexp-compare multirun/length_bias --metric test/gold_accuracy --metric test/length_corr \\
    --baseline loss.length_decorrelation_coef=0
rmexp-compare multirun/a multirun/b --output comparison/

Runs are grouped by their overrides other than the seed. For each metric it prints and writes a
table (mean, standard deviation, t interval and seeds per variant), a paired comparison of every
variant to its baseline (effect size, raw and Holm-adjusted p-values), and plots; runs that are not
results (failed, diverged, never started) are listed, never averaged. An experiment can name its
metrics and baseline in its config (`compare.metrics`, `compare.baseline`), so its sweep folder is
all the command needs; without either, the first variant is the baseline. What would mislead
silently (a variant left unpaired, fewer than 3 seeds) is printed as a warning.

The arguments are folders and metric names, not a config to compose, so this entry point takes
plain options rather than Hydra overrides.
"""

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from rmexp.compare.caveats import few_seeds, unpaired
from rmexp.compare.plots import plot_all
from rmexp.compare.runs import COMPLETED, Run, collect_runs, parse_overrides
from rmexp.compare.tables import (
    Table,
    paired_tables,
    problem_table,
    run_table,
    spread_table,
    to_markdown,
    to_rich,
    write_csv,
)
from rmexp.compare.variants import Variant, baseline_counterparts, baseline_problem, group_by_variant
from rmexp.errors import UserError, exit_on_user_error

# What a run of the lab is judged by when neither the command nor the experiment names metrics.
DEFAULT_METRICS = ["test/gold_accuracy", "test/length_corr"]


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rmexp-compare", description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="multirun folders, run folders, or folders of them")
    parser.add_argument("--metric", action="append", help="a summary.json metric, e.g. test/gold_accuracy (repeat)")
    parser.add_argument("--baseline", action="append", help="KEY=VALUE naming the baseline variant (repeat)")
    parser.add_argument("--output", type=Path, help="where tables and plots go (default: <first folder>/compare)")
    parser.add_argument("--seed-key", default="seed", help="the override that tells seeds apart (default: seed)")
    parser.add_argument("--confidence", type=float, default=0.95, help="of the t intervals (default: 0.95)")
    return parser.parse_args(argv)


def experiment_setting(runs: list[Run], key: str) -> list[str]:
    """`compare.<key>` from the first run config that has it: what the experiment asks to be compared on."""
    for run in runs:
        value = (run.config.get("compare") or {}).get(key)
        if value:
            return list(value)
    return []


def chosen_metrics(runs: list[Run], requested: list[str] | None) -> list[str]:
    available = sorted({metric for run in runs if run.status == COMPLETED for metric in run.metrics})
    metrics = requested or experiment_setting(runs, "metrics") or [m for m in DEFAULT_METRICS if m in available]
    if not available:  # nothing completed: the problem table says why
        return metrics or DEFAULT_METRICS
    unknown = [metric for metric in metrics if metric not in available]
    if unknown or not metrics:
        raise UserError(
            f"--metric {', '.join(unknown) or '(none given)'}: not in any completed run's summary.json; "
            f"its metrics are {', '.join(available)}"
        )
    return metrics


def chosen_baseline(
    runs: list[Run], requested: list[str] | None, variants: list[Variant]
) -> tuple[dict[str, str], str]:
    """The baseline and where it came from: --baseline; else the experiment's, where these runs have it; else the
    first variant, so that a sweep compared without options still gets its paired differences. None for one variant.
    """
    for setting in requested or []:
        if "=" not in setting:
            raise UserError(f"--baseline {setting}: expected KEY=VALUE, e.g. --baseline loss=bt")
    if requested:
        return parse_overrides(requested), "--baseline"
    if len(variants) < 2:
        return {}, ""
    experiment = parse_overrides(experiment_setting(runs, "baseline"))
    if not experiment:
        why = "the experiment names no compare.baseline"
    elif (problem := baseline_problem(variants, experiment)) is None:
        return experiment, "the experiment's compare.baseline"
    else:
        why = f"the experiment's {problem}"
    return dict(variants[0].settings), f"the first variant ({why}); --baseline names another"


def compare(options: argparse.Namespace, console: Console) -> list[Table]:
    if not 0 < options.confidence < 1:
        raise UserError(f"--confidence {options.confidence}: expected a level between 0 and 1, e.g. 0.95")
    runs = collect_runs(options.folders, options.seed_key)
    metrics = chosen_metrics(runs, options.metric)
    groups = group_by_variant(runs, options.seed_key)
    variants = list(groups)
    baseline, baseline_source = chosen_baseline(runs, options.baseline, variants)
    counterparts = baseline_counterparts(variants, baseline) if baseline else {}

    spreads = [spread_table(groups, metric, options.confidence) for metric in metrics]
    paired = paired_tables(groups, counterparts, metrics, options.confidence) if baseline else []
    problems = problem_table(groups, metrics)
    tables = [*spreads, *paired, *([problems] if problems.rows else [])]
    baseline_line = f"baseline {', '.join(f'{key}={value}' for key, value in baseline.items())}: {baseline_source}"
    warnings = [*unpaired(variants, baseline, counterparts), *few_seeds(groups, metrics, paired)]
    notes = [*([baseline_line] if baseline else []), *(f"warning: {warning}" for warning in warnings)]

    output = options.output or options.folders[0] / "compare"
    output.mkdir(parents=True, exist_ok=True)
    plots = plot_all(groups, metrics, output / "plots", options.confidence)
    write_csv(spreads, output / "variants.csv")
    if paired:
        write_csv(paired, output / "paired.csv")
    else:  # an earlier call's, which would read as this one's
        (output / "paired.csv").unlink(missing_ok=True)
    write_csv([problems], output / "left_out.csv")
    write_csv([run_table(groups, metrics)], output / "runs.csv")
    command = " ".join(["rmexp-compare", *sys.argv[1:]]) if sys.argv[0].endswith("rmexp-compare") else ""
    (output / "compare.md").write_text(
        f"# Comparison of {len(runs)} runs in {len(groups)} variants\n\n"
        + (f"`{command}`\n\n" if command else "")
        + "\n".join(to_markdown(table) for table in tables)
        + "\n"
        + "".join(f"- {note}\n" for note in notes)
        + ("\n" if notes else "")
        + "".join(f"![{path.stem}](plots/{path.name})\n" for path in plots)
    )
    for table in tables:
        console.print(to_rich(table))
    for note in notes:
        console.print(escape(note), style="yellow" if note.startswith("warning") else None)
    left_out = len(problems.rows)
    console.print(
        f"{len(runs)} runs, {len(groups)} variants"
        + (f", [yellow]{left_out} left out (listed above)[/]" if left_out else "")
        + f"; tables and plots in {output}"
    )
    return tables


# a log file or a pipe has no width of its own; Rich's 80 columns would wrap every variant label letter by letter
PIPED_WIDTH = 200


def main(argv: list[str] | None = None) -> None:
    options = arguments(argv)
    console = Console(soft_wrap=True)
    if not console.is_terminal:
        console = Console(soft_wrap=True, width=PIPED_WIDTH)
    exit_on_user_error(compare, options, console)


if __name__ == "__main__":
    main()
