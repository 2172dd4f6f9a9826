"""Backbone plus a scalar head: the one interface every loss family trains and every scorer calls."""

from collections.abc import Callable

import torch
from torch import Tensor, nn
from transformers import PreTrainedModel

from rmexp.models.pooling import POOLERS, Pooling
from rmexp.models.shared_prefix import attention_mask_for, can_share_prefix, pack_groups


class RewardModel(nn.Module):
    """r(x, y): any transformers backbone, a pooling rule and a linear head to one scalar."""

    def __init__(
        self,
        backbone: PreTrainedModel,
        pooling: Pooling = "last",
        head_init_std: float = 0.0,
        head_dropout: float = 0.0,
        share_prefix: bool | None = None,
        head_outputs: int = 1,
    ):
        """`share_prefix`: score a prompt's responses in one row (rmexp/models/shared_prefix.py); None: where exact.

        `head_outputs` > 1: one reward per output, [B, head_outputs], as an ensemble's members (models/ensemble.py).
        """
        super().__init__()
        self.backbone = backbone
        self.pooling = pooling
        self.share_prefix = can_share_prefix(backbone, pooling) if share_prefix is None else share_prefix
        # Dropout on the pooled state regularises the head alone (BertForSequenceClassification's place for it).
        self.head_dropout = nn.Dropout(head_dropout)
        self.head = nn.Linear(backbone.config.hidden_size, head_outputs)
        # A zero (or tiny) head starts every reward at the same value, so early margins are all zero
        # and the first gradients come from the data, not from a random initial ranking.
        if head_init_std > 0:
            nn.init.normal_(self.head.weight, std=head_init_std)
        else:
            nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        return self.reward_of(self.pooled(input_ids, attention_mask))

    def pooled(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """[B, hidden]: the state the head reads, one row per sequence."""
        outputs = self.backbone(input_ids=input_ids, attention_mask=attention_mask)
        if self.pooling == "pooler":
            pooled = outputs.pooler_output
        else:
            pooled = POOLERS[self.pooling](outputs.last_hidden_state, attention_mask)
        return self.head_dropout(pooled.to(self.head.weight.dtype))

    def reward_of(self, pooled: Tensor) -> Tensor:
        return self.head(pooled).squeeze(-1)

    def grouped(self, input_ids: Tensor, attention_mask: Tensor, groups: Tensor) -> Tensor:
        """The rewards of every row, as `forward` gives them; `groups` [G, K]: rows that answer one prompt.

        With `share_prefix`, each group is one packed row, its common prefix computed once.
        """
        return self.grouped_with(input_ids, attention_mask, groups, self.reward_of)[0]

    def grouped_with(
        self, input_ids: Tensor, attention_mask: Tensor, groups: Tensor, *heads: Callable[[Tensor], Tensor]
    ) -> tuple[Tensor, ...]:
        """Each head's output for every row, in row order, from one pass of the trunk (as `grouped`).

        A packed pass applies the heads to its [G, K, hidden] states and then puts the rows in order, so
        a single head computes, and accumulates its gradient, in the same order whatever else reads the trunk.
        """
        if not self.share_prefix:
            pooled = self.pooled(input_ids, attention_mask)
            return tuple(head(pooled) for head in heads)
        packed = pack_groups(input_ids, attention_mask, groups)
        implementation = self.backbone.config._attn_implementation
        mask = attention_mask_for(packed, implementation, self.head.weight.dtype)
        outputs = self.backbone(input_ids=packed.input_ids, attention_mask=mask, position_ids=packed.position_ids)
        hidden = outputs.last_hidden_state[torch.arange(len(groups), device=groups.device).unsqueeze(1), packed.ends]
        hidden = self.head_dropout(hidden.to(self.head.weight.dtype))  # [G, K, hidden]
        in_rows = []
        for head in heads:
            values = head(hidden)  # [G, K(, outputs)]
            rows = values.new_empty(input_ids.shape[0], *values.shape[2:])
            in_rows.append(rows.index_put_((groups.flatten(),), values.flatten(0, 1)))
        return tuple(in_rows)

    @torch.no_grad()
    def score(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        return self.forward(input_ids, attention_mask)
