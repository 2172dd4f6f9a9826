"""ODIN's three terms on a two-head reward model (Chen et al. 2024; rmexp/models/odin_head.py).

The preference loss is fit to r_quality + r_length; these tie the length to one head and keep it
out of the other. Correlations are Pearson's within the batch, as the paper computes them.
"""

import torch
from torch import Tensor

from rmexp.metrics.correlation import pearson


def length_head_alignment(length_rewards: Tensor, lengths: Tensor) -> Tensor:
    """-corr(r_length, L): minimised at -1, where the length head's reward is a linear function of length.

    ODIN's L^L: it gives length a head to live in, so the preference loss need not put it in the quality head.
    """
    return -pearson(length_rewards, lengths.to(length_rewards.dtype))


def quality_length_independence(quality_rewards: Tensor, lengths: Tensor) -> Tensor:
    """|corr(r_quality, L)|: ODIN's L^Q, zero when the quality head ignores length (in its linear part).

    The absolute value, not the square rmexp's `length_decorrelation` uses: its gradient does not fade
    as the correlation nears zero.
    """
    return pearson(quality_rewards, lengths.to(quality_rewards.dtype)).abs()


def head_orthogonality(quality_weight: Tensor, length_weight: Tensor) -> Tensor:
    """|cos(w_quality, w_length)|: the two heads read different directions of the pooled state.

    ODIN's L^O, on unit-norm weights as its code computes it, so a head cannot meet it by shrinking.
    """
    return torch.nn.functional.cosine_similarity(quality_weight.flatten(), length_weight.flatten(), dim=0).abs()
