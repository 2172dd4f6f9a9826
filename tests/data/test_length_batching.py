"""Length-grouped batches: every example once, similar lengths together, far less padding."""

import numpy as np
import torch

from rmexp.data.length_batching import LengthGroupedSampler, SeededShuffle, padding_fraction


def test_padding_fraction_counts_the_padded_cells():
    # batch 1: sequences 2 and 4 (one pair) -> width 4, 8 cells, 6 real; batch 2: one sequence of 3 -> no padding
    assert padding_fraction([0, 1], batch_size=1, sequence_lengths=[[2, 4], [3]]) == 1 - (6 + 3) / (8 + 3)


def test_training_order_is_a_permutation_grouped_by_length_and_new_each_epoch():
    lengths = np.random.default_rng(0).integers(5, 500, size=1000)
    sampler = LengthGroupedSampler(lengths, batch_size=16, window=20, seed=1)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert sorted(first) == list(range(1000)) and first != second
    sequences = [[length] for length in lengths]
    grouped = padding_fraction(first, 16, sequences)
    shuffled = padding_fraction(np.random.default_rng(0).permutation(1000), 16, sequences)
    assert grouped < 0.1 and shuffled > 0.4


def test_the_one_short_batch_comes_last_so_dataloader_chunks_stay_aligned():
    lengths = list(range(100))
    order = list(LengthGroupedSampler(lengths, batch_size=16, window=2, seed=0))
    batches = [order[i : i + 16] for i in range(0, 100, 16)]
    assert len(batches[-1]) == 4
    # every batch is a run of one window sorted by length, longest first
    assert all([lengths[i] for i in batch] == sorted((lengths[i] for i in batch), reverse=True) for batch in batches)


def test_evaluation_order_is_longest_first():
    assert list(LengthGroupedSampler([3, 9, 1, 9], batch_size=2, shuffle=False)) == [1, 3, 0, 2]


def test_a_seeded_shuffle_depends_on_seed_and_epoch_only_not_on_the_global_rng():
    sampler = SeededShuffle(50, seed=3)
    sampler.set_epoch(2)
    torch.manual_seed(0)
    first = list(sampler)
    torch.manual_seed(1)
    torch.rand(100)
    assert list(sampler) == first  # as after a resume, whatever the RNG went through
    assert sorted(first) == list(range(50))
    sampler.set_epoch(3)
    assert list(sampler) != first
    assert list(SeededShuffle(50, seed=4)) != list(SeededShuffle(50, seed=3))
