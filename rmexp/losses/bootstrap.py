"""Bootstrap resamples for an ensemble's members: each member trains on its own resample of the pairs.

Members that share a backbone and see the same pairs learn nearly the same reward; trained on
different resamples they disagree where the data is thin, which is the disagreement an uncertainty
penalty reads (Coste et al. 2024, "Reward Model Ensembles Help Mitigate Overoptimization").
"""

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor


@lru_cache(maxsize=64)
def _poisson_table(seed: int, member: int, size: int) -> np.ndarray:
    return np.random.default_rng([seed, member]).poisson(1.0, size=size)


def bootstrap_counts(seed: int, members: int, example_index: Tensor) -> Tensor:
    """[B, K]: how often each example of the batch appears in each member's resample; Poisson(1) draws.

    The online bootstrap (Oza and Russell 2001): a count per (seed, member, example), fixed across
    epochs and batchings, so member k sees the same resample every epoch, as if its data set had been
    resampled once up front. Each member's draws are a numpy stream seeded by (seed, member), read at
    the example's index; the stream's first n draws do not depend on how many are drawn, so the table
    grows in powers of two without changing any count.
    """
    needed = int(example_index.max()) + 1 if example_index.numel() else 1
    size = 1 << (needed - 1).bit_length()
    indices = example_index.cpu().numpy()
    counts = np.stack([_poisson_table(seed, member, size)[indices] for member in range(members)], axis=1)
    return torch.as_tensor(counts, device=example_index.device)


def resampled_member_loss(
    loss_fn: Callable[..., Tensor], chosen: Tensor, rejected: Tensor, counts: Tensor, **pair_fields: Tensor
) -> Tensor:
    """The mean over members of `loss_fn` on each member's resample of the batch: chosen, rejected, counts [B, K].

    Member k's resample repeats pair i counts[i, k] times, so a mean-reduced pairwise loss on it is
    sum_i counts_ik l_i / sum_i counts_ik: the loss it would see on its own resampled data set.
    A member whose resample of this batch is empty (every count 0) sits the batch out.
    """
    losses = []
    for member in range(chosen.shape[1]):
        rows = torch.repeat_interleave(torch.arange(len(chosen), device=chosen.device), counts[:, member])
        if len(rows):
            fields = {name: value[rows] for name, value in pair_fields.items()}
            losses.append(loss_fn(chosen[rows, member], rejected[rows, member], **fields))
    if not losses:  # no member drew any pair of this batch: no gradient, but a loss still connected to the graph
        return (chosen.sum() + rejected.sum()) * 0.0
    return torch.stack(losses).mean()
