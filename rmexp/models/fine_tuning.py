"""What of the backbone trains: everything, nothing (the head alone), or LoRA adapters; and at what memory cost.

`reward_model_on` puts the head on a backbone with these options, for every model config: they
act on any transformers backbone, the tiny random one included, so each option is tested in
seconds and behaves the same on a pretrained model.
"""

import copy
import importlib.util
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, validate_call
from torch import nn
from transformers import PreTrainedModel

from rmexp.errors import UserError
from rmexp.models.ensemble import NO_ENSEMBLE, EnsembleRewardModel, EnsembleSettings
from rmexp.models.odin_head import DisentangledRewardModel
from rmexp.models.pooling import Pooling
from rmexp.models.reward_model import RewardModel
from rmexp.models.shared_prefix import can_share_prefix


class LoraSettings(BaseModel):
    """LoRA (Hu et al. 2021): W + (alpha / rank) * B A on `target_modules`, the trunk frozen.

    rank 0 turns it off. `all-linear` is peft's name for every linear layer but an output head.
    """

    model_config = ConfigDict(extra="forbid")

    rank: int = Field(0, ge=0)
    alpha: float = Field(16.0, gt=0)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: str | list[str] = "all-linear"


NO_LORA = LoraSettings()


@validate_call(config=ConfigDict(arbitrary_types_allowed=True))
def reward_model_on(
    backbone: PreTrainedModel,
    pooling: Pooling = "last",
    head_init_std: float = Field(0.0, ge=0),
    head_dropout: float = Field(0.0, ge=0, lt=1),
    freeze_backbone: bool = False,
    lora: LoraSettings = NO_LORA,
    gradient_checkpointing: bool = False,
    share_prefix: bool | None = None,
    backbone_dropout: bool = False,
    attn_implementation: Literal["sdpa", "eager"] | None = None,
    length_head: bool = False,
    ensemble: EnsembleSettings = NO_ENSEMBLE,
) -> RewardModel:
    """The reward model, in training mode: from_pretrained leaves a backbone in eval mode, without its dropout.

    `backbone_dropout` false (as TRL's RewardTrainer): the backbone's dropout layers are off, so a
    response's reward does not depend on a random mask and the chosen and rejected rewards of a pair
    are compared without two masks' noise between them; on a CPU it also saves drawing the masks, a
    sixth of MiniLM's step. LoRA's and the head's dropout are their own settings.
    `attn_implementation`: transformers' attention kernel (None: its default, sdpa). Which is faster
    depends on the shapes: on a CPU in bf16, eager trains MiniLM (head size 32) 1.2x faster and
    SmolLM2 (64) 1.1x slower (README, Throughput).
    `length_head`: a second head for length beside the reward head, ODIN's (rmexp/models/odin_head.py).
    `ensemble.members` > 1: K heads on the backbone, one per member (rmexp/models/ensemble.py).
    """
    if pooling == "pooler" and getattr(backbone, "pooler", None) is None:
        raise UserError(
            f"model.reward_model.pooling='pooler': {backbone.config.model_type} has no [CLS] pooler; "
            "use last (decoders), first or mean"
        )
    if not backbone_dropout:
        for module in backbone.modules():
            if isinstance(module, nn.Dropout):
                module.p = 0.0
    if attn_implementation is not None:
        backbone.set_attn_implementation(attn_implementation)
    if share_prefix and not can_share_prefix(backbone, pooling):  # checked on the kernel the model will run
        raise UserError(
            f"model.reward_model.share_prefix=true: {backbone.config.model_type} with pooling={pooling} cannot share "
            "a prompt between responses exactly; it needs a causal decoder read at its last token (pooling=last) "
            "with sdpa or eager attention. Leave share_prefix unset (null) to share wherever it is exact"
        )
    backbone = prepare_backbone(backbone, freeze_backbone, lora, gradient_checkpointing)
    head = {"pooling": pooling, "head_init_std": head_init_std, "head_dropout": head_dropout,
            "share_prefix": share_prefix}  # fmt: skip
    if length_head and ensemble.members > 1:
        raise UserError("model.reward_model.length_head=true with ensemble.members > 1: ODIN's two heads and an "
                        "ensemble's K heads do not combine yet; choose one")  # fmt: skip
    if ensemble.members > 1:
        return EnsembleRewardModel(backbone, ensemble, **head).train()
    return (DisentangledRewardModel if length_head else RewardModel)(backbone, **head).train()


def prepare_backbone(
    backbone: PreTrainedModel, freeze: bool, lora: LoraSettings, gradient_checkpointing: bool
) -> PreTrainedModel:
    """The backbone with the chosen parameters trainable; a peft model when LoRA is on."""
    if hasattr(backbone.config, "use_cache"):
        backbone.config.use_cache = False  # a reward model never generates; a KV cache only costs memory
    if gradient_checkpointing and not backbone.supports_gradient_checkpointing:
        raise UserError(
            f"model.reward_model.gradient_checkpointing=true: {type(backbone).__name__} does not support it"
        )
    if gradient_checkpointing:
        # non-reentrant: it gives gradients to LoRA adapters even though the frozen inputs need none
        backbone.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    if freeze and lora.rank:
        raise UserError(
            "model.reward_model.freeze_backbone=true with model.reward_model.lora.rank>0: LoRA already freezes "
            "the trunk and trains adapters; pick one (freeze_backbone trains the head alone)"
        )
    if freeze:
        backbone.requires_grad_(False)
    if not lora.rank:
        return backbone
    if importlib.util.find_spec("peft") is None:
        raise UserError("model.reward_model.lora.rank>0 needs peft: pip install peft")
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=lora.rank, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                        target_modules=lora.target_modules, bias="none")  # fmt: skip
    try:
        return get_peft_model(backbone, config)
    except ValueError as error:  # peft's message names the modules it could not find
        raise UserError(f"model.reward_model.lora.target_modules={lora.target_modules!r}: {error}") from error


def merged_backbone(backbone: PreTrainedModel) -> PreTrainedModel:
    """A plain transformers model: LoRA adapters merged into a copy of the weights (the trained model is left as is)."""
    if hasattr(backbone, "merge_and_unload"):
        return copy.deepcopy(backbone).merge_and_unload()
    return backbone
