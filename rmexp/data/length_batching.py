"""Batches of examples of similar length, so that dynamic padding pads little.

Any datamodule can use it through `data_loader(..., lengths=...)`, with one length per example:
the longest sequence of the example, as the batch pads to it.
"""

from collections.abc import Iterator, Sequence

import numpy as np
from torch.utils.data import DataLoader, Dataset, Sampler


class LengthGroupedSampler(Sampler[int]):
    """An order of the examples in which each run of `batch_size` holds similar lengths.

    Training (`shuffle=True`), as transformers' LengthGroupedSampler: shuffle, cut into windows of
    `window` batches, sort each window by length, cut it into batches and shuffle the batches, so
    batches change every epoch (`set_epoch`, which Lightning calls) and long and short ones alternate.
    The one short batch stays last, where the DataLoader's own chunking expects it. Evaluation
    (`shuffle=False`): longest first, so a batch that does not fit in memory fails at once.
    """

    def __init__(
        self, lengths: Sequence[int], batch_size: int, shuffle: bool = True, seed: int = 0, window: int = 50
    ) -> None:
        self.lengths = np.asarray(lengths)
        self.batch_size, self.shuffle, self.seed, self.window = batch_size, shuffle, seed, window
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self) -> Iterator[int]:
        if not self.shuffle:
            return iter(np.argsort(-self.lengths, kind="stable").tolist())
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(len(self.lengths))
        span = self.window * self.batch_size
        batches = []
        for start in range(0, len(order), span):
            window = order[start : start + span]
            window = window[np.argsort(-self.lengths[window], kind="stable")]
            batches.extend(window[i : i + self.batch_size] for i in range(0, len(window), self.batch_size))
        short = [batch for batch in batches if len(batch) < self.batch_size]
        full = [batch for batch in batches if len(batch) == self.batch_size]
        full = [full[i] for i in rng.permutation(len(full))]
        return iter(np.concatenate(full + short).tolist() if batches else [])


def padding_fraction(order: Sequence[int], batch_size: int, sequence_lengths: Sequence[Sequence[int]]) -> float:
    """The share of the batch tensors that is padding, when batches of `order` pad to their longest sequence.

    `sequence_lengths[i]` lists the lengths of example i's sequences (two for a pair, K for a list).
    """
    padded = real = 0
    for start in range(0, len(order), batch_size):
        batch = [sequence_lengths[index] for index in order[start : start + batch_size]]
        width = max(max(lengths) for lengths in batch)
        padded += width * sum(len(lengths) for lengths in batch)
        real += sum(sum(lengths) for lengths in batch)
    return 1.0 - real / padded if padded else 0.0


class SeededShuffle(Sampler[int]):
    """A fresh random order each epoch, drawn from (seed, epoch) alone rather than the global RNG.

    So epoch e's batches do not depend on what ran before it: a run resumed at epoch e sees the
    batches the uninterrupted run saw (Lightning calls `set_epoch`).
    """

    def __init__(self, size: int, seed: int = 0):
        self.size, self.seed, self.epoch = size, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[int]:
        return iter(np.random.default_rng([self.seed, self.epoch]).permutation(self.size).tolist())


def data_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool,
    num_workers: int = 0,
    lengths: Sequence[int] | None = None,
    seed: int = 0,
) -> DataLoader:
    """A DataLoader over a view's dataset (its own `collate`); grouped by length when `lengths` is given."""
    if lengths is not None:
        order = {"sampler": LengthGroupedSampler(lengths, batch_size, shuffle, seed)}
    else:
        order = {"sampler": SeededShuffle(len(dataset), seed)} if shuffle else {"shuffle": False}
    return DataLoader(
        dataset,
        batch_size=batch_size,
        collate_fn=dataset.collate,
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
        **order,
    )


def packed_length(sequences: list[list[int]]) -> int:
    """The width of the row that packs these sequences (one prompt's responses): the prefix once, then each suffix.

    The length a model that shares the prompt (rmexp/models/shared_prefix.py) computes for the example,
    so batches are grouped by it; the same prefix rule as `common_prefix_lengths` there, on token lists.
    """
    shortest = min(len(ids) for ids in sequences)
    shared = 0
    while shared < shortest - 1 and all(ids[shared] == sequences[0][shared] for ids in sequences):
        shared += 1
    return sum(len(ids) for ids in sequences) - (len(sequences) - 1) * shared
