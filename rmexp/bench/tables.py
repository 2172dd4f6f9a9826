"""The bench's report: each case's medians side by side with the ratio rmexp / TRL, as Markdown and JSON.

Speeds are medians over the repeats (with their range, so the machine's noise is visible); held-out
accuracy and scoring speed come from the first repeat, which scores the test pairs. Accuracy is
left out where the backbones had random weights: it would say nothing of the systems. Where the
bench swept batch sizes (rmexp/bench/batch_sweep.py), each system's best batch stands beside the
figure at the shared one.
"""

from statistics import median
from typing import Any

from rmexp.bench.batch_sweep import best_batch
from rmexp.bench.flops import model_flops_utilisation

SYSTEMS = ("rmexp", "trl")
SYSTEM_NAMES = {"rmexp": "rmexp", "trl": "TRL RewardTrainer"}
MEDIANS = (
    "pairs_per_second",
    "pairs_per_cpu_second",
    "tokens_per_second",
    "seconds_per_pair",
    "tokens_per_pair",
    "computed_tokens_per_pair",
    "padding_fraction",
    "mfu",
    "peak_memory_mib",
)


def peak_for(precision: str, peaks: dict[str, float]) -> float:
    """The matmul peak a run's arithmetic is measured against: bfloat16's under bf16 autocast, else float32's."""
    return peaks["bfloat16" if precision.startswith("bf16") else "float32"]


def summarise_system(runs: list[dict[str, Any]], peak: float) -> dict[str, Any]:
    runs = [
        run
        | {
            "mfu": model_flops_utilisation(
                run["parameters"], run.get("computed_tokens", run["tokens"]), run["seconds"], peak
            )
        }
        for run in runs
    ]
    summary: dict[str, Any] = {"runs": len(runs)}
    for key in MEDIANS:
        values = [run[key] for run in runs]
        summary[key] = median(values)
        summary[f"{key}_range"] = (min(values), max(values))
    scored = next((run for run in runs if "test_accuracy" in run), {})
    for key in ("test_accuracy", "test_pairs", "scoring_responses_per_second"):
        summary[key] = scored.get(key)
    summary["train_pairs"] = runs[0]["train_pairs"]
    summary["train_pairs_dropped"] = runs[0].get("train_pairs_dropped", 0)
    summary["parameters"] = runs[0]["parameters"]
    summary["trained_pairs"] = runs[0]["trained_pairs"]
    return summary


def summarise_case(runs: dict[str, list[dict[str, Any]]], peak: float, random_weights: bool = False) -> dict[str, Any]:
    """`random_weights`: the backbones were not trained, so accuracy is not reported (scoring speed still is)."""
    summary: dict[str, Any] = {system: summarise_system(runs[system], peak) for system in SYSTEMS}
    if random_weights:
        summary["random_weights"] = True
        for system in SYSTEMS:
            summary[system]["test_accuracy"] = None
    rmexp, trl = summary["rmexp"], summary["trl"]
    summary["ratio"] = {
        key: rmexp[key] / trl[key] if rmexp[key] and trl[key] else None
        for key in (
            "pairs_per_second",
            "pairs_per_cpu_second",
            "tokens_per_second",
            "mfu",
            "scoring_responses_per_second",
            "peak_memory_mib",
        )
    }
    if rmexp["test_accuracy"] is not None and trl["test_accuracy"] is not None:
        summary["accuracy_difference_points"] = 100 * (rmexp["test_accuracy"] - trl["test_accuracy"])
    return summary


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def _spread(summary: dict[str, Any], key: str, digits: int = 3) -> str:
    low, high = summary[f"{key}_range"]
    value = _number(summary[key], digits)
    return value if summary["runs"] == 1 else f"{value} ({_number(low, digits)}-{_number(high, digits)})"


def best_batch_cell(sweep: list[dict[str, Any]]) -> str:
    best = best_batch(sweep)
    if best is None:
        return f"out of memory at {sweep[0]['batch_size']}" if sweep else "-"
    cell = f"{_number(best['pairs_per_second'])} (batch {best['batch_size']}"
    return cell + (f"; out of memory at {best['out_of_memory_at']})" if best["out_of_memory_at"] else ")")


def best_batch_rows(sweeps: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str, str, str]]:
    """Each system's fastest batch of the sweep, and the ratio of the two bests (which may differ in batch)."""
    if "failed" in sweeps:  # the whole message (a job's log tail) is in bench.json
        return [("best training pairs/s over batch sizes", "sweep failed", sweeps["failed"].splitlines()[0], "")]
    tried = sorted({entry["batch_size"] for sweep in sweeps.values() for entry in sweep})
    bests = {system: best_batch(sweeps[system]) for system in SYSTEMS}
    ratio = (
        f"{bests['rmexp']['pairs_per_second'] / bests['trl']['pairs_per_second']:.2f}x"
        if bests["rmexp"] and bests["trl"]
        else "-"
    )
    label = f"best training pairs/s over batch sizes {', '.join(map(str, tried))}"
    return [(label, best_batch_cell(sweeps["rmexp"]), best_batch_cell(sweeps["trl"]), ratio)]


def case_table(name: str, summary: dict[str, Any], precision: str | None = None, device: str = "cpu") -> str:
    rmexp, trl, ratio = summary["rmexp"], summary["trl"], summary["ratio"]

    def ratio_of(key: str) -> str:
        return "-" if ratio.get(key) is None else f"{ratio[key]:.2f}x"

    def percent(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.1f}%"

    accuracy_gap = summary.get("accuracy_difference_points")
    accuracy = (
        ("not reported (random weights)",) * 2
        if summary.get("random_weights")
        else (percent(rmexp["test_accuracy"]), percent(trl["test_accuracy"]))
    )
    memory = "peak GPU memory allocated, MiB" if device == "cuda" else "peak memory, MiB"
    rows = [
        (f"training pairs/s (median of {rmexp['runs']}, range)", _spread(rmexp, "pairs_per_second"),
         _spread(trl, "pairs_per_second"), ratio_of("pairs_per_second")),
        ("training pairs per CPU-second (steady under other jobs' load)", _number(rmexp["pairs_per_cpu_second"]),
         _number(trl["pairs_per_cpu_second"]), ratio_of("pairs_per_cpu_second")),
        ("training tokens/s (real tokens)", _number(rmexp["tokens_per_second"]), _number(trl["tokens_per_second"]),
         ratio_of("tokens_per_second")),
        ("model FLOPs utilisation (6 N tokens computed / matmul peak)", percent(rmexp["mfu"]), percent(trl["mfu"]),
         ratio_of("mfu")),
        ("tokens per pair: computed / in the pair", f"{_number(rmexp['computed_tokens_per_pair'])} / "
         f"{_number(rmexp['tokens_per_pair'])}", f"{_number(trl['computed_tokens_per_pair'])} / "
         f"{_number(trl['tokens_per_pair'])}", ""),
        ("padding (share of batch cells)", percent(rmexp["padding_fraction"]), percent(trl["padding_fraction"]), ""),
        ("scoring responses/s (rmexp score / transformers loop)", _number(rmexp["scoring_responses_per_second"]),
         _number(trl["scoring_responses_per_second"]), ratio_of("scoring_responses_per_second")),
        (memory, _number(rmexp["peak_memory_mib"], 4), _number(trl["peak_memory_mib"], 4),
         ratio_of("peak_memory_mib")),
        (f"held-out accuracy ({rmexp['test_pairs']} test pairs, after training on {rmexp['trained_pairs']} pairs)",
         *accuracy, "-" if accuracy_gap is None else f"{accuracy_gap:+.1f} points"),
        ("training pairs available (dropped for length)", f"{rmexp['train_pairs']} (0)",
         f"{trl['train_pairs']} ({trl['train_pairs_dropped']})", ""),
    ]  # fmt: skip
    if "batch_sweep" in summary:
        rows[1:1] = best_batch_rows(summary["batch_sweep"])
    title = f"### {name}" + (f" ({precision})" if precision else "")
    return f"{title}\n\n" + markdown_table(["", "rmexp", "TRL RewardTrainer", "rmexp / TRL"], rows)


def max_length_table(runs: dict[str, dict[str, Any]], kept: dict[str, Any]) -> str:
    header = ["max length", "rmexp s/pair", "real tokens/pair", "padding", "pairs TRL keeps"]
    rows = [
        [length, f"{run['seconds_per_pair']:.3g}", f"{run['tokens'] / run['pairs']:.0f}",
         f"{100 * run['padding_fraction']:.1f}%", f"{kept['kept'][length]} of {kept['train_pairs']}"]
        for length, run in runs.items()
    ]  # fmt: skip
    return markdown_table(header, rows)


def data_size_table(runs: dict[str, dict[str, Any]]) -> str:
    header = ["lab prompts", "training pairs", "training s/pair", "end to end s/pair (data preparation included)"]
    rows = [
        [prompts, str(run["train_pairs"]), f"{run['seconds_per_pair']:.3g}",
         f"{run['wall_seconds'] / run['train_pairs']:.3g}"]
        for prompts, run in runs.items()
    ]  # fmt: skip
    return markdown_table(header, rows)


def markdown_table(header: list[str], rows: list) -> str:
    lines = [f"| {' | '.join(header)} |", "|" + "---|" * len(header)]
    return "\n".join(lines + [f"| {' | '.join(row)} |" for row in rows])


def machine_lines(machine: dict[str, Any], peaks: dict[str, float]) -> str:
    load = machine["load_average"]
    scale, unit = (1e12, "TFLOP/s") if max(peaks["float32"], peaks["bfloat16"]) >= 1e12 else (1e9, "GFLOP/s")
    return "\n".join([
        f"- device: {machine['device']}; measured {machine['date']}",
        f"- machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']:.0f} GiB; "
        f"{machine['threads']} torch threads per process",
        f"- software: {machine['software']}",
        f"- matmul peak on the device (float32 / bfloat16): {peaks['float32'] / scale:.1f} / "
        f"{peaks['bfloat16'] / scale:.1f} {unit}",
        f"- 1-minute load average: {load['start']:.2f} at the start, {load['max']:.2f} at most before a run, "
        f"{load['end']:.2f} at the end",
    ])  # fmt: skip
