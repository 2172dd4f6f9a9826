"""Which hidden state stands for the whole sequence: one function per pooling rule."""

from typing import Literal

import torch
from torch import Tensor

# `pooler`: the encoder's own [CLS] pooler (dense + tanh, BERT's), read from the backbone's output
# by RewardModel: what BertForSequenceClassification reads, so such a reward model exports exactly.
Pooling = Literal["last", "first", "mean", "pooler"]


def last_token(hidden: Tensor, attention_mask: Tensor) -> Tensor:
    """The last non-padding position: the token a causal decoder has read everything by.

    Taking the largest unmasked position (not `mask.sum() - 1`) is right for left- and right-padded
    batches alike.
    """
    positions = torch.arange(attention_mask.shape[1], device=attention_mask.device)
    last = (positions * attention_mask).argmax(dim=1)
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]


def first_token(hidden: Tensor, attention_mask: Tensor) -> Tensor:
    """The first non-padding position: an encoder's [CLS]."""
    positions = torch.arange(attention_mask.shape[1], device=attention_mask.device)
    first = torch.where(attention_mask.bool(), positions, attention_mask.shape[1]).argmin(dim=1)
    return hidden[torch.arange(hidden.shape[0], device=hidden.device), first]


def mean_tokens(hidden: Tensor, attention_mask: Tensor) -> Tensor:
    """The mean over non-padding positions (sentence-transformers' pooling for MiniLM)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


POOLERS = {"last": last_token, "first": first_token, "mean": mean_tokens}
