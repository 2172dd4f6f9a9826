"""Training throughput as a user waits for it: wall time from the end of one step to the end of another.

Both systems are timed the same way: the first `warmup_steps` (allocation, kernel selection, the
first batches' data loading) are left out, and everything after them counts, data loading and
logging between steps included. Each step's batch adds its pairs, its real tokens and the cells of
its padded tensor, so padding shows as cells that hold no token. A model that packs a pair's
shared prompt into one row (rmexp/models/shared_prefix.py) computes fewer tokens than the pair
holds: the tokens computed, and the cells of the tensor computed, are what utilisation and
padding are read from.

The process's CPU time is read at the same moments. On a machine shared with other jobs, wall time
stretches with their load while CPU time (with one thread) stays what the work costs, so pairs per
CPU-second still compare the two systems when the machine is never quiet.
"""

import time
from dataclasses import dataclass, field

from torch import Tensor


@dataclass
class StepClock:
    warmup_steps: int
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
        self.step_ends.append(time.perf_counter())
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
