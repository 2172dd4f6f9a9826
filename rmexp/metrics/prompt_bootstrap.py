"""A 95% interval for every metric of one run, by resampling its prompts.

The pairs (or responses, or lists) of one prompt share that prompt, so they are not independent:
resampling pairs would give intervals that are too narrow. The percentile bootstrap here draws the
split's prompts with replacement, keeps all rows of each drawn prompt, and recomputes the metrics;
a prompt drawn twice enters as two prompts, so the pairs a family forms within a prompt never mix
the copies.
"""

import math
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import Tensor

MetricsOf = Callable[[dict[str, Tensor]], dict[str, Tensor]]


def prompt_rows(prompt_ids: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The rows grouped by prompt (sorted distinct ids), where each prompt's rows start, and how many it has:
    computed once per split, then read by every resample."""
    inverse = torch.unique(prompt_ids, return_inverse=True)[1]
    counts = torch.bincount(inverse)
    return torch.argsort(inverse, stable=True), torch.cumsum(counts, 0) - counts, counts


def resample_prompts(
    outputs: dict[str, Tensor], picked: Tensor, rows: tuple[Tensor, Tensor, Tensor] | None = None
) -> dict[str, Tensor]:
    """The rows of the prompts `picked` (indices into the sorted distinct `prompt_id`s), in that order,
    each copy of a prompt renumbered as a prompt of its own; `rows` is `prompt_rows` of the outputs."""
    prompt_ids = outputs["prompt_id"]
    rows_by_prompt, starts, counts = rows if rows is not None else prompt_rows(prompt_ids)
    sizes = counts[picked]
    first_of_copy = torch.repeat_interleave(torch.cumsum(sizes, 0) - sizes, sizes)
    within = torch.arange(int(sizes.sum()), device=prompt_ids.device) - first_of_copy
    taken = rows_by_prompt[torch.repeat_interleave(starts[picked], sizes) + within]
    resampled = {key: value[taken] for key, value in outputs.items()}
    resampled["prompt_id"] = torch.repeat_interleave(torch.arange(len(picked), device=prompt_ids.device), sizes)
    return resampled


@contextmanager
def one_cpu_thread() -> Iterator[None]:
    """Torch on one CPU thread for a while: a resample's tensors are small, and threads that wait on each
    other at every small operation make it tens of times slower when other work holds the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def prompt_bootstrap_intervals(
    metrics_of: MetricsOf, outputs: dict[str, Tensor], samples: int = 1000, seed: int = 0, level: float = 0.95
) -> dict[str, list[float]]:
    """[low, high] of each metric `metrics_of` gives, the percentile interval over `samples` prompt resamples.

    A metric that is NaN on a resample (no length-inverted pair drawn, say) is left out of that
    resample's draws; one NaN on every resample gets [nan, nan]. Same outputs and seed, same intervals.
    """
    if samples <= 0 or "prompt_id" not in outputs:
        return {}
    rows = prompt_rows(outputs["prompt_id"])
    num_prompts = len(rows[2])
    generator = torch.Generator().manual_seed(seed)
    draws: dict[str, list[float]] = defaultdict(list)
    with one_cpu_thread():
        for _ in range(samples):
            picked = torch.randint(num_prompts, (num_prompts,), generator=generator).to(outputs["prompt_id"].device)
            for name, value in metrics_of(resample_prompts(outputs, picked, rows)).items():
                draws[name].append(float(value))
    tail = (1 - level) / 2 * 100
    intervals = {}
    for name, values in draws.items():
        finite = np.asarray(values)[~np.isnan(values)]
        low, high = np.percentile(finite, [tail, 100 - tail]) if len(finite) else (math.nan, math.nan)
        intervals[name] = [float(low), float(high)]
    return intervals
