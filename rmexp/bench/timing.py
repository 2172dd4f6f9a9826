"""Training throughput as a user waits for it: wall time from the end of one step to the end of another.

Both systems are timed the same way: the first `warmup_steps` (allocation, kernel selection, the
first batches' data loading) are left out, and everything after them counts, data loading and
logging between steps included. Each step's batch adds its pairs, its real tokens and the cells of
its padded tensor, so padding shows as cells that hold no token. A model that packs a pair's
shared prompt into one row (rmexp/models/shared_prefix.py) computes fewer tokens than the pair
holds: the tokens computed, and the cells of the tensor computed, are what utilisation and
padding are read from.

A GPU runs the kernels a step queued after the host has moved on, so the clock waits for the
device (`device_time`) before it reads the time: a step ends when its arithmetic does, not when the
host has finished queueing it.

The process's CPU time is read at the same moments. On a machine shared with other jobs, wall time
stretches with their load while CPU time (with one thread) stays what the work costs, so pairs per
CPU-second still compare the two systems when the machine is never quiet.
"""

import time
from dataclasses import dataclass, field

import torch
from torch import Tensor


def wait_for(device: torch.device | str) -> None:
    """Block until `device` has run every kernel queued so far; the CPU runs them as they are called."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def device_time(device: torch.device | str) -> float:
    """`time.perf_counter()` once `device` has finished its queued work: the clock of every timed region here."""
    wait_for(device)
    return time.perf_counter()


@dataclass
class StepClock:
    """`device`: where the steps run, waited for at each step's end."""

    warmup_steps: int
    device: torch.device | str = "cpu"
    step_ends: list[float] = field(default_factory=list)
    cpu_ends: list[float] = field(default_factory=list)
    pairs: list[int] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    computed_tokens: list[int] = field(default_factory=list)
    cells: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.warmup_steps < 1:  # the first timed step starts where a warm-up step ended
            raise ValueError(f"warmup_steps={self.warmup_steps}: expected at least 1")

    def batch(self, attention_mask: Tensor, computed_mask: Tensor | None = None) -> None:
        """A pairwise batch: chosen and rejected rows of one padded tensor, in the order the steps take them.

        `computed_mask`: the real positions of the tensor the model ran instead, where it is another.
        """
        computed = attention_mask if computed_mask is None else computed_mask
        self.pairs.append(attention_mask.shape[0] // 2)
        self.tokens.append(int(attention_mask.sum()))
        self.computed_tokens.append(int(computed.sum()))
        self.cells.append(computed.numel())

    def step_end(self) -> None:
        self.step_ends.append(device_time(self.device))
        self.cpu_ends.append(time.process_time())

    def summary(self) -> dict[str, float]:
        steps = len(self.step_ends)
        if steps <= self.warmup_steps:
            raise ValueError(f"{steps} steps ran: time at least {self.warmup_steps + 1} ({self.warmup_steps} warm up)")
        timed = slice(self.warmup_steps, steps)
        seconds = self.step_ends[-1] - self.step_ends[self.warmup_steps - 1]
        pairs, tokens, cells = sum(self.pairs[timed]), sum(self.tokens[timed]), sum(self.cells[timed])
        computed = sum(self.computed_tokens[timed])
        cpu_seconds = self.cpu_ends[-1] - self.cpu_ends[self.warmup_steps - 1]
        return {
            "trained_pairs": sum(self.pairs[:steps]),
            "timed_steps": steps - self.warmup_steps,
            "seconds": seconds,
            "pairs": pairs,
            "tokens": tokens,
            "computed_tokens": computed,
            "tokens_per_pair": tokens / pairs,
            "computed_tokens_per_pair": computed / pairs,
            "pairs_per_second": pairs / seconds,
            "tokens_per_second": tokens / seconds,
            "seconds_per_pair": seconds / pairs,
            "cpu_seconds": cpu_seconds,
            "pairs_per_cpu_second": pairs / cpu_seconds,
            "padding_fraction": 1 - computed / cells,
        }
