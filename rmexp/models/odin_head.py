"""ODIN's two heads on one trunk (Chen et al. 2024, "ODIN: Disentangled Reward Mitigates Hacking in RLHF").

A quality head (the reward model's own `head`) and a length head read the same pooled state; their
sum is what the preference loss fits, so the labels' taste for length has a head of its own to go
to, and the quality head is left to score. The terms that push length into the length head and
out of the quality head are in rmexp/losses/odin.py; the module adds them (rmexp/modules/base.py).

Everything that scores (evaluation, rmexp-score, best-of-n, the export) calls `forward`, which is
the quality head alone: this model exports as the plain reward model does, its length head left behind.
"""

from torch import Tensor, nn
from transformers import PreTrainedModel

from rmexp.models.reward_model import RewardModel

# The length head starts random, not at zero as the quality head does: from two zero heads the
# preference loss moves both alike (the same gradient reaches each), their weights stay equal and
# neither the correlation terms nor the orthogonality term can tell them apart.
LENGTH_HEAD_INIT_STD = 0.02


class DisentangledRewardModel(RewardModel):
    """A reward model with a second, bias-free linear head for length; `forward` scores with the quality head."""

    def __init__(self, backbone: PreTrainedModel, **options):
        """`options`: RewardModel's (pooling, head_init_std, head_dropout, share_prefix)."""
        super().__init__(backbone, **options)
        # bias-free: the pairwise and listwise losses see only differences, and a correlation no offset
        self.length_head = nn.Linear(backbone.config.hidden_size, 1, bias=False)
        nn.init.normal_(self.length_head.weight, std=LENGTH_HEAD_INIT_STD)

    def length_reward_of(self, pooled: Tensor) -> Tensor:
        return self.length_head(pooled).squeeze(-1)

    def grouped_heads(self, input_ids: Tensor, attention_mask: Tensor, groups: Tensor) -> tuple[Tensor, Tensor]:
        """(quality rewards, length-head rewards) of every row, from one pass of the trunk (as `grouped`)."""
        return self.grouped_with(input_ids, attention_mask, groups, self.reward_of, self.length_reward_of)
