"""Each example's sequences in tokens, before truncation: for the data report and for batching by length.

Counts use the tokenizer's backend without special tokens, then add them, the way
`encoding.encode_responses` builds a sequence; so `full > max_length` is exactly "was truncated".
"""

from dataclasses import dataclass

from transformers import PreTrainedTokenizerBase

from rmexp.data.records import PreferencePair, RankedResponses, RatedResponse


@dataclass(frozen=True)
class ExampleLengths:
    full: list[int]  # prompt + response + special tokens of each sequence of the example, untruncated
    response: list[int]

    def truncated(self, max_length: int) -> bool:
        return max(self.full) > max_length

    def padded_to(self, max_length: int) -> list[int]:
        """The lengths of the sequences the batch holds, after truncation."""
        return [min(length, max_length) for length in self.full]


def sequences(record: PreferencePair | RatedResponse | RankedResponses) -> list[tuple[str, str]]:
    """The (prompt, response) sequences the view's dataset builds from one record, in its order."""
    if isinstance(record, PreferencePair):
        return [(record.prompt, record.chosen), (record.prompt, record.rejected)]
    if isinstance(record, RatedResponse):
        return [(record.prompt, record.response)]
    return [(record.prompt, response) for response in record.responses]


def measure(records: list, tokenizer: PreTrainedTokenizerBase) -> list[ExampleLengths]:
    texts = sorted({text for record in records for pair in sequences(record) for text in pair})
    encodings = tokenizer.backend_tokenizer.encode_batch(texts, add_special_tokens=False)
    tokens = {text: len(encoding.ids) for text, encoding in zip(texts, encodings, strict=True)}
    special = tokenizer.num_special_tokens_to_add(pair=True)
    lengths = []
    for record in records:
        pairs = sequences(record)
        lengths.append(
            ExampleLengths(
                full=[tokens[prompt] + tokens[response] + special for prompt, response in pairs],
                response=[tokens[response] for _, response in pairs],
            )
        )
    return lengths
