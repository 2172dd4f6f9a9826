import torch

from rmexp.models.pooling import first_token, last_token, mean_tokens

# hidden[b, t] = 10 * b + t, so a pooled value names the position it came from.
HIDDEN = (10 * torch.arange(2).view(2, 1, 1) + torch.arange(4).view(1, 4, 1)).float()


def test_last_token_with_right_padding():
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])
    assert last_token(HIDDEN, mask).squeeze(-1).tolist() == [2.0, 11.0]


def test_last_token_with_left_padding():
    mask = torch.tensor([[0, 1, 1, 1], [0, 0, 1, 1]])
    assert last_token(HIDDEN, mask).squeeze(-1).tolist() == [3.0, 13.0]


def test_first_token_skips_left_padding():
    mask = torch.tensor([[1, 1, 1, 0], [0, 0, 1, 1]])
    assert first_token(HIDDEN, mask).squeeze(-1).tolist() == [0.0, 12.0]


def test_mean_tokens_ignores_padding():
    mask = torch.tensor([[1, 1, 0, 0], [0, 1, 1, 1]])
    assert mean_tokens(HIDDEN, mask).squeeze(-1).tolist() == [0.5, 12.0]
