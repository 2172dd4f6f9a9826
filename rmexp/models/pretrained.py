"""A reward model on a pretrained transformers backbone: any local folder (or hub name, given a network).

`pooling: auto` reads a causal decoder at its last non-padding token (the only position that has
seen the whole response) and an encoder by the mean over its tokens (how sentence encoders such as
all-MiniLM-L6-v2 were trained to summarise a text); `pooler` reads BERT's own [CLS] pooler, which
exports exactly (rmexp/export.py).
"""

from typing import Literal

import torch
from pydantic import ConfigDict, validate_call
from transformers import AutoModel, PretrainedConfig, PreTrainedTokenizerBase
from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES, MODEL_FOR_MASKED_LM_MAPPING_NAMES

from rmexp.errors import UserError
from rmexp.models.fine_tuning import NO_LORA, LoraSettings, prepare_backbone
from rmexp.models.pooling import Pooling
from rmexp.models.pretrained_tokenizer import load_pretrained
from rmexp.models.reward_model import RewardModel


def is_decoder(config: PretrainedConfig) -> bool:
    """A causal language model (Llama, GPT-2, Qwen2, ...); BERT-likes can be causal too, but are masked LMs first."""
    model_type = config.model_type
    return model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES and model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES


@validate_call(config=ConfigDict(arbitrary_types_allowed=True))
def pretrained_reward_model(
    tokenizer: PreTrainedTokenizerBase,
    name_or_path: str | None,
    pooling: Pooling | Literal["auto"] = "auto",
    head_init_std: float = 0.0,
    head_dropout: float = 0.0,
    freeze_backbone: bool = False,
    lora: LoraSettings = NO_LORA,
    gradient_checkpointing: bool = False,
) -> RewardModel:
    backbone = load_pretrained(AutoModel, name_or_path, "model", dtype=torch.float32)
    if pooling == "auto":
        pooling = "last" if is_decoder(backbone.config) else "mean"
    if pooling == "pooler" and getattr(backbone, "pooler", None) is None:
        raise UserError(
            f"model.reward_model.pooling='pooler': {backbone.config.model_type} has no [CLS] pooler; "
            "use last (decoders), first or mean"
        )
    if len(tokenizer) > backbone.get_input_embeddings().num_embeddings:
        backbone.resize_token_embeddings(len(tokenizer))  # the tokenizer's added pad or eos token
    backbone.config.pad_token_id = tokenizer.pad_token_id
    backbone = prepare_backbone(backbone, freeze_backbone, lora, gradient_checkpointing)
    model = RewardModel(backbone, pooling=pooling, head_init_std=head_init_std, head_dropout=head_dropout)
    return model.train()  # from_pretrained leaves the backbone in eval mode; fine-tuning keeps its dropout
