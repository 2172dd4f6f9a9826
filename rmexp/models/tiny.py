"""A small randomly initialised transformer: a real transformers model with a tiny config.

It proves the plumbing in seconds on a CPU; only its size is toy. Any architecture transformers
can build from a config works (`llama` is a causal decoder read at the last token, `bert` an
encoder read at [CLS] or by mean pooling).
"""

from typing import Any, Literal

from pydantic import ConfigDict, validate_call
from transformers import AutoConfig, AutoModel, PreTrainedTokenizerBase

from rmexp.models.fine_tuning import reward_model_on
from rmexp.models.reward_model import RewardModel


@validate_call(config=ConfigDict(arbitrary_types_allowed=True))
def tiny_reward_model(
    tokenizer: PreTrainedTokenizerBase,
    architecture: Literal["llama", "bert"] = "llama",
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    max_positions: int = 512,
    **options: Any,
) -> RewardModel:
    """`options`: pooling, the head and what trains (rmexp.models.fine_tuning.reward_model_on)."""
    config = AutoConfig.for_model(
        architecture,
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_heads,
        intermediate_size=4 * hidden_size,
        max_position_embeddings=max_positions,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    return reward_model_on(AutoModel.from_config(config), **options)
