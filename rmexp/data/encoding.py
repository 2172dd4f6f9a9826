"""(prompt, response) text to token ids, keeping the response whole and cutting the prompt from the left.

The reward is a judgement of the response, so a long conversation loses its oldest turns first;
nothing is dropped for length. The tokenizer's own post-processor adds its special tokens
(BERT's [CLS] ... [SEP] ... [SEP], the lab tokenizer's [BOS] ... [SEP] ... [EOS]).
"""

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field
from transformers import PreTrainedTokenizerBase

# A sequence must hold a tokenizer's special tokens (three around a pair, for most) and two tokens of text;
# every config key that sets a max_length (data, rmexp-score) is checked against this.
MaxLength = Annotated[int, Field(gt=4)]


@dataclass(frozen=True)
class EncodedResponse:
    input_ids: list[int]
    response_tokens: int  # response length in tokens, after any truncation: what length bias is measured on
    truncated: bool


def encode_responses(
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[str],
    responses: list[str],
    max_length: int,
    group_size: int = 1,
) -> list[EncodedResponse]:
    """`group_size` K: the responses come K at a time to one prompt (a pair's chosen and rejected).

    A group's prompt is cut once, to fit its longest response, so every response of the group reads
    the same context, and a reward model can compute that shared prompt once (models/shared_prefix.py).
    """
    backend = tokenizer.backend_tokenizer
    special = tokenizer.num_special_tokens_to_add(pair=True)
    budget = max_length - special
    if budget < 2:
        raise ValueError(f"max_length={max_length} leaves no room for text after {special} special tokens")
    prompt_encodings = backend.encode_batch(prompts, add_special_tokens=False)
    response_encodings = backend.encode_batch(responses, add_special_tokens=False)
    encoded = []
    for start in range(0, len(prompts), group_size):
        group = range(start, min(start + group_size, len(prompts)))
        # A response longer than the budget keeps its start and leaves one token of prompt.
        cut = {index for index in group if len(response_encodings[index].ids) > budget - 1}
        for index in cut:
            response_encodings[index].truncate(budget - 1, direction="right")
        prompt_budget = budget - max(len(response_encodings[index].ids) for index in group)
        for index in group:
            prompt, response = prompt_encodings[index], response_encodings[index]
            truncated = index in cut or len(prompt.ids) > prompt_budget
            if len(prompt.ids) > prompt_budget:
                prompt.truncate(prompt_budget, direction="left")
            joined = backend.post_process(prompt, response, add_special_tokens=True)
            encoded.append(EncodedResponse(joined.ids, len(response.ids), truncated))
    return encoded
