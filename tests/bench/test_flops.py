import pytest
from torch import nn

from rmexp.bench.flops import model_flops_utilisation, non_embedding_parameters, training_flops


def test_embedding_tables_are_not_counted():
    model = nn.Sequential(nn.Embedding(100, 4), nn.Linear(4, 3), nn.LayerNorm(3))
    # Linear 4*3 + 3 = 15, LayerNorm 3 + 3 = 6; the 400 embedding weights are lookups, not multiplications
    assert non_embedding_parameters(model) == 21


def test_six_flops_per_parameter_and_token():
    assert training_flops(parameters=10_000_000, tokens=1_000) == 6e10


def test_utilisation_is_the_share_of_the_matmul_peak():
    # 6 * 1e7 * 2000 = 1.2e11 FLOPs in 4 s = 3e10 FLOP/s, against a 1e11 FLOP/s peak: 30%
    assert model_flops_utilisation(10_000_000, 2_000, 4.0, 1e11) == pytest.approx(0.3)
