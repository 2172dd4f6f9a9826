"""A small randomly initialised transformer: a real transformers model with a tiny config.

It proves the plumbing in seconds on a CPU; only its size is toy. Any architecture transformers
can build from a config works (`llama` is a causal decoder read at the last token, `bert` an
encoder read at [CLS] or by mean pooling).
"""

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, validate_call
from transformers import AutoConfig, AutoModel, PreTrainedTokenizerBase

from rmexp.errors import UserError
from rmexp.models.fine_tuning import reward_model_on
from rmexp.models.reward_model import RewardModel

# At least one of each, which transformers does not ask: with no layer the model reads the embedding of the
# last token, the same end token in every sequence, and its reward is a constant.
AtLeastOne = Annotated[int, Field(ge=1)]


@validate_call(config=ConfigDict(arbitrary_types_allowed=True))
def tiny_reward_model(
    tokenizer: PreTrainedTokenizerBase,
    architecture: Literal["llama", "bert"] = "llama",
    hidden_size: AtLeastOne = 64,
    num_layers: AtLeastOne = 2,
    num_heads: AtLeastOne = 4,
    max_positions: AtLeastOne = 512,
    **options: Any,
) -> RewardModel:
    """`options`: pooling, the head and what trains (rmexp.models.fine_tuning.reward_model_on)."""
    if hidden_size % num_heads:
        raise UserError(
            f"model.reward_model.hidden_size={hidden_size} with num_heads={num_heads}: "
            "expected a hidden_size that num_heads divides, as each head takes hidden_size / num_heads"
        )
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
