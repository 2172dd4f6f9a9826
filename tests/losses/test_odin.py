"""ODIN's three terms against hand-computed values."""

import pytest
import torch

from rmexp.losses.odin import head_orthogonality, length_head_alignment, quality_length_independence

LENGTHS = torch.tensor([1.0, 2.0, 3.0])


def test_length_head_alignment_is_minus_the_correlation_with_length():
    assert length_head_alignment(torch.tensor([10.0, 20.0, 30.0]), LENGTHS).item() == pytest.approx(-1.0)
    # centred [-1, 1, 0] against [-1, 0, 1]: 1 / sqrt(2 * 2) = 0.5
    assert length_head_alignment(torch.tensor([1.0, 3.0, 2.0]), LENGTHS).item() == pytest.approx(-0.5)


def test_quality_length_independence_is_the_absolute_correlation():
    assert quality_length_independence(torch.tensor([3.0, 2.0, 1.0]), LENGTHS).item() == pytest.approx(1.0)
    assert quality_length_independence(torch.tensor([2.0, 3.0, 1.0]), LENGTHS).item() == pytest.approx(0.5)
    assert quality_length_independence(torch.tensor([1.0, 0.0, 1.0]), LENGTHS).item() == pytest.approx(0.0)


def test_head_orthogonality_is_the_absolute_cosine_of_the_weights():
    quality_weight = torch.tensor([[1.0, 0.0]])
    # [1, 0] . [1, 1] / (1 * sqrt 2) = 0.70711; the scale of either weight does not matter
    assert head_orthogonality(quality_weight, torch.tensor([[3.0, 3.0]])).item() == pytest.approx(0.70711, abs=1e-5)
    assert head_orthogonality(quality_weight, torch.tensor([[-2.0, 0.0]])).item() == pytest.approx(1.0)
    assert head_orthogonality(quality_weight, torch.tensor([[0.0, 5.0]])).item() == pytest.approx(0.0)
