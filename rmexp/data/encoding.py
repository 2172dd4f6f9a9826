"""(prompt, response) text to token ids, keeping the response whole and cutting the prompt from the left.

The reward is a judgement of the response, so a long conversation loses its oldest turns first;
nothing is dropped for length. The tokenizer's own post-processor adds its special tokens
(BERT's [CLS] ... [SEP] ... [SEP], the lab tokenizer's [BOS] ... [SEP] ... [EOS]).
"""

from dataclasses import dataclass

from transformers import PreTrainedTokenizerBase


@dataclass(frozen=True)
class EncodedResponse:
    input_ids: list[int]
    response_tokens: int  # response length in tokens, after any truncation: what length bias is measured on
    truncated: bool


def encode_responses(
    tokenizer: PreTrainedTokenizerBase, prompts: list[str], responses: list[str], max_length: int
) -> list[EncodedResponse]:
    backend = tokenizer.backend_tokenizer
    special = tokenizer.num_special_tokens_to_add(pair=True)
    budget = max_length - special
    if budget < 2:
        raise ValueError(f"max_length={max_length} leaves no room for text after {special} special tokens")
    prompt_encodings = backend.encode_batch(prompts, add_special_tokens=False)
    response_encodings = backend.encode_batch(responses, add_special_tokens=False)
    encoded = []
    for prompt, response in zip(prompt_encodings, response_encodings, strict=True):
        prompt_length, response_length = len(prompt.ids), len(response.ids)
        truncated = prompt_length + response_length > budget
        if truncated:
            # A response longer than the budget keeps its start and leaves one token of prompt.
            response.truncate(min(response_length, budget - 1), direction="right")
            prompt.truncate(budget - len(response.ids), direction="left")
        joined = backend.post_process(prompt, response, add_special_tokens=True)
        encoded.append(EncodedResponse(joined.ids, len(response.ids), truncated))
    return encoded
