"""Responses to one prompt scored in one row: their common token prefix is computed once.

A pair's chosen and rejected sequences (a list's K responses) repeat the same prompt; on HH-RLHF the
prompt is most of the tokens. A causal decoder reads each position from the positions before it
only, so the prompt's hidden states are the same whichever response follows. One row holds the
common prefix once, then each response's own tokens; every response sees the prefix and itself
(causally) and never another response, and its positions continue from the prefix as they would
in its own sequence. The hidden state at each response's last token is then what the separate
forward pass gives, for fewer tokens. An encoder's prompt reads its response, so encoders are not
packed (`can_share_prefix`).
"""

from dataclasses import dataclass

import torch
from torch import Tensor

PAD_SEGMENT = -1


@dataclass(frozen=True)
class PackedGroups:
    """G rows, each the prefix (segment 0) and then responses 1..K (segments 1..K), right-padded (-1)."""

    input_ids: Tensor  # [G, W]
    position_ids: Tensor  # [G, W]
    segments: Tensor  # [G, W]
    ends: Tensor  # [G, K]: each response's last position in its row

    def attention_allowed(self) -> Tensor:
        """[G, 1, W, W], True where a query may read a key: causal, the prefix and its own response only.

        A padding position reads itself, so that no softmax row is empty (which would give NaN).
        """
        query, key = self.segments.unsqueeze(2), self.segments.unsqueeze(1)
        width = self.segments.shape[1]
        causal = torch.ones(width, width, dtype=torch.bool, device=self.segments.device).tril()
        allowed = causal & (key != PAD_SEGMENT) & ((key == 0) | (key == query))
        allowed |= torch.eye(width, dtype=torch.bool, device=self.segments.device)
        return allowed.unsqueeze(1)


def common_prefix_lengths(input_ids: Tensor, attention_mask: Tensor, groups: Tensor) -> Tensor:
    """[G]: tokens every member of a group starts with, leaving each member at least one token of its own."""
    ids, mask = input_ids[groups], attention_mask[groups].bool()  # [G, K, T]
    same = ((ids == ids[:, :1]) & mask).all(dim=1)  # [G, T]
    shared = same.long().cumprod(dim=1).sum(dim=1)
    return torch.minimum(shared, mask.sum(dim=2).min(dim=1).values - 1)


def pack_groups(input_ids: Tensor, attention_mask: Tensor, groups: Tensor) -> PackedGroups:
    """Pack right-padded rows: `groups` [G, K] holds the row indices of each prompt's K responses.

    Built with tensor operations on the inputs' device, no loop over rows: on a GPU a row-by-row
    build would wait for the device at every slice. Padding positions hold token 0: no other
    position reads them.
    """
    lengths = attention_mask.sum(dim=1)
    prefixes = common_prefix_lengths(input_ids, attention_mask, groups)  # [G]
    suffixes = lengths[groups] - prefixes.unsqueeze(1)  # [G, K], each >= 1
    starts = prefixes.unsqueeze(1) + suffixes.cumsum(dim=1) - suffixes  # [G, K]: where each response begins
    row_widths = prefixes + suffixes.sum(dim=1)
    width = int(row_widths.max())  # the one value the host needs: the packed batch's shape
    columns = torch.arange(width, device=input_ids.device).expand(len(groups), width)  # [G, W]
    # the response a column falls in: how many responses start at or before it (0: the prefix)
    segments = (columns.unsqueeze(1) >= starts.unsqueeze(2)).sum(dim=1)
    member = (segments - 1).clamp(min=0)
    in_response = segments > 0
    source_rows = groups.gather(1, member)
    offsets = columns - starts.gather(1, member) + prefixes.unsqueeze(1)
    positions = torch.where(in_response, offsets, columns)
    filled = columns < row_widths.unsqueeze(1)
    tokens = input_ids[source_rows, positions.clamp(max=input_ids.shape[1] - 1)]
    return PackedGroups(
        input_ids=torch.where(filled, tokens, 0),
        position_ids=torch.where(filled, positions, 0),
        segments=torch.where(filled, segments, PAD_SEGMENT),
        ends=starts + suffixes - 1,
    )


def packed_widths(input_ids: Tensor, attention_mask: Tensor, groups: Tensor) -> Tensor:
    """[G]: each group's packed row width (prefix once, then every member's suffix), without packing it."""
    prefixes = common_prefix_lengths(input_ids, attention_mask, groups)
    return attention_mask.sum(dim=1)[groups].sum(dim=1) - (groups.shape[1] - 1) * prefixes


def can_share_prefix(backbone: torch.nn.Module, pooling: str) -> bool:
    """Exact only for a causal decoder read at its last token, whose attention takes a custom 4D mask (sdpa, eager)."""
    config = getattr(backbone, "config", None)
    causal = any(getattr(module, "is_causal", False) is True for module in backbone.modules())
    return pooling == "last" and causal and getattr(config, "_attn_implementation", None) in ("sdpa", "eager")


def attention_mask_for(packed: PackedGroups, implementation: str, dtype: torch.dtype) -> Tensor:
    """sdpa takes the boolean mask; eager attention adds it to its scores, so 0 or the dtype's minimum."""
    allowed = packed.attention_allowed()
    if implementation == "sdpa":
        return allowed
    return torch.zeros(allowed.shape, dtype=dtype, device=allowed.device).masked_fill(~allowed, torch.finfo(dtype).min)
