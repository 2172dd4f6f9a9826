"""A reward model on a pretrained transformers backbone: any local folder (or hub name, given a network).

`pooling: auto` reads a causal decoder at its last non-padding token (the only position that has
seen the whole response) and an encoder by the mean over its tokens (how sentence encoders such as
all-MiniLM-L6-v2 were trained to summarise a text); `pooler` reads BERT's own [CLS] pooler, which
exports exactly (rmexp/export.py).
"""

from typing import Any, Literal

import torch
from pydantic import ConfigDict, validate_call
from transformers import AutoModel, PretrainedConfig, PreTrainedTokenizerBase
from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES, MODEL_FOR_MASKED_LM_MAPPING_NAMES

from rmexp.models.fine_tuning import reward_model_on
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
    **options: Any,
) -> RewardModel:
    """`options`: the head and what trains (rmexp.models.fine_tuning.reward_model_on)."""
    backbone = load_pretrained(AutoModel, name_or_path, "model", dtype=torch.float32)
    if pooling == "auto":
        pooling = "last" if is_decoder(backbone.config) else "mean"
    if len(tokenizer) > backbone.get_input_embeddings().num_embeddings:
        backbone.resize_token_embeddings(len(tokenizer))  # the tokenizer's added pad or eos token
    backbone.config.pad_token_id = tokenizer.pad_token_id
    return reward_model_on(backbone, pooling=pooling, **options)
