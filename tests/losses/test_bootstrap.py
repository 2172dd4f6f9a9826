"""Bootstrap resamples: each member's counts are fixed by (seed, member, pair index); its loss is on its resample."""

import math

import pytest
import torch

from rmexp.losses.bootstrap import bootstrap_counts, resampled_member_loss
from rmexp.losses.pairwise import bradley_terry


def test_the_counts_are_the_same_for_the_same_seed_and_pairs():
    pairs = torch.tensor([4, 0, 17, 3])
    assert torch.equal(bootstrap_counts(7, 3, pairs), bootstrap_counts(7, 3, pairs))


def test_a_pair_s_count_does_not_depend_on_its_batch():
    """The same pair index draws the same count in any batch, any epoch, whatever the largest index beside it."""
    alone = bootstrap_counts(1, 4, torch.tensor([5]))
    among_many = bootstrap_counts(1, 4, torch.tensor([900, 5, 2_000]))
    assert torch.equal(alone[0], among_many[1])


def test_members_and_seeds_draw_different_resamples():
    pairs = torch.arange(200)
    counts = bootstrap_counts(0, 3, pairs)
    assert counts.shape == (200, 3)
    assert not torch.equal(counts[:, 0], counts[:, 1]) and not torch.equal(counts[:, 1], counts[:, 2])
    assert not torch.equal(counts, bootstrap_counts(1, 3, pairs))


def test_the_counts_are_poisson_one():
    """Mean 1 and variance 1, and about e^-1 of the pairs left out of a member's resample."""
    counts = bootstrap_counts(3, 2, torch.arange(20_000)).double()
    assert counts.mean().item() == pytest.approx(1.0, abs=0.03)
    assert counts.var().item() == pytest.approx(1.0, abs=0.05)
    assert (counts == 0).double().mean().item() == pytest.approx(math.exp(-1), abs=0.01)


def test_each_member_s_loss_is_on_its_resample():
    # member 0 draws pair 0 twice and pair 1 never: -log sigmoid(1) = 0.31326
    # member 1 draws each once: (-log sigmoid(0) - log sigmoid(2)) / 2 = (0.69315 + 0.12693) / 2 = 0.41004
    chosen = torch.tensor([[1.0, 0.0], [5.0, 2.0]])
    rejected = torch.zeros(2, 2)
    counts = torch.tensor([[2, 1], [0, 1]])
    loss = resampled_member_loss(bradley_terry, chosen, rejected, counts)
    assert loss.item() == pytest.approx((0.31326 + 0.41004) / 2, abs=1e-5)


def test_the_pair_fields_follow_the_resample():
    # member 0 draws pair 1 only, whose margin is 1: -log sigmoid(3 - 0 - 1) = 0.12693
    chosen, rejected = torch.tensor([[0.0], [3.0]]), torch.zeros(2, 1)
    loss = resampled_member_loss(
        bradley_terry, chosen, rejected, torch.tensor([[0], [1]]), margin=torch.tensor([9.0, 1.0])
    )
    assert loss.item() == pytest.approx(0.12693, abs=1e-5)


def test_a_member_that_drew_no_pair_of_the_batch_sits_it_out():
    chosen = torch.tensor([[1.0, 7.0]], requires_grad=True)
    loss = resampled_member_loss(bradley_terry, chosen, torch.zeros(1, 2), torch.tensor([[1, 0]]))
    assert loss.item() == pytest.approx(0.31326, abs=1e-5)
    loss.backward()
    assert chosen.grad[0, 1].item() == 0.0
    nobody = resampled_member_loss(bradley_terry, chosen, torch.zeros(1, 2), torch.tensor([[0, 0]]))
    assert nobody.item() == 0.0 and nobody.requires_grad
