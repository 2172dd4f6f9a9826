"""The batch that gives a system its best training throughput: each listed size in turn, until memory runs out.

TRL's default batch (8 pairs) leaves a large GPU mostly waiting on kernel launches, and each
system reaches its best at its own batch, so the bench reports both: the figure at the shared
batch, and each system's best over `batch_sizes`. Sizes run smallest first; the first that runs
out of the device's memory ends that system's sweep, recorded, since every larger one would too.
"""

from collections.abc import Callable, Iterable
from typing import Any

from rmexp.errors import UserError


class OutOfMemory(UserError):
    """A job ran out of its device's memory: an answer for the sweep, a failure anywhere else."""


def sweep_batch_sizes(train_at: Callable[[int], dict[str, Any]], batch_sizes: Iterable[int]) -> list[dict[str, Any]]:
    """One entry per size tried: its pairs/s and peak memory, or why it stopped (`out_of_memory`)."""
    sweep: list[dict[str, Any]] = []
    for batch_size in sorted(batch_sizes):
        try:
            run = train_at(batch_size)
        except OutOfMemory as error:
            sweep.append({"batch_size": batch_size, "out_of_memory": str(error)})
            break
        sweep.append(
            {"batch_size": batch_size, "pairs_per_second": run["pairs_per_second"],
             "peak_memory_mib": run["peak_memory_mib"]}
        )  # fmt: skip
    return sweep


def best_batch(sweep: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The fastest size that ran, with the size that ran out of memory, if one did (None: none ran)."""
    ran = [entry for entry in sweep if "pairs_per_second" in entry]
    if not ran:
        return None
    best = dict(max(ran, key=lambda entry: entry["pairs_per_second"]))
    stopped = [entry["batch_size"] for entry in sweep if "out_of_memory" in entry]
    best["out_of_memory_at"] = stopped[0] if stopped else None
    return best
