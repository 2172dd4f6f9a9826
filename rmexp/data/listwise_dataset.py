"""The listwise view: K responses to one prompt with their ranks, kept together in one batch element.

The batch flattens the lists to B * K rows so the model scores every response in one forward pass;
the module reshapes the rewards back to [B, K].
"""

import torch
from torch.utils.data import Dataset
from transformers import PreTrainedTokenizerBase

from rmexp.data.encoding import encode_responses
from rmexp.data.length_batching import packed_length
from rmexp.data.padding import pad_sequences
from rmexp.data.records import NO_GOLD, RankedResponses, prompt_indices


class ListwiseDataset(Dataset):
    def __init__(self, records: list[RankedResponses], tokenizer: PreTrainedTokenizerBase, max_length: int):
        self.pad_token_id = tokenizer.pad_token_id
        sizes = {len(record.responses) for record in records}
        if len(sizes) > 1:
            raise ValueError(f"every list of a listwise dataset needs the same K; found sizes {sorted(sizes)}")
        prompts = [record.prompt for record in records for _ in record.responses]
        responses = [response for record in records for response in record.responses]
        k = sizes.pop() if sizes else 0
        encoded = encode_responses(tokenizer, prompts, responses, max_length, group_size=max(k, 1))
        prompt_ids = prompt_indices([record.prompt for record in records])
        self.items = [
            {
                "ids": [e.input_ids for e in encoded[i * k : (i + 1) * k]],
                "lengths": [e.response_tokens for e in encoded[i * k : (i + 1) * k]],
                "ranks": record.ranks,
                "gold": record.gold or [NO_GOLD] * k,
                "prompt_id": prompt_ids[i],
            }
            for i, record in enumerate(records)
        ]
        self.truncated = sum(e.truncated for e in encoded)

    def packed_lengths(self) -> list[int]:
        """Each list's width as one packed row, for a model that shares the prompt (models/shared_prefix.py)."""
        return [packed_length(item["ids"]) for item in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return self.items[index]

    def collate(self, items: list[dict]) -> dict[str, torch.Tensor]:
        input_ids, attention_mask = pad_sequences([ids for item in items for ids in item["ids"]], self.pad_token_id)
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "ranks": torch.tensor([item["ranks"] for item in items]),
            "response_length": torch.tensor([item["lengths"] for item in items], dtype=torch.float32),
            "gold": torch.tensor([item["gold"] for item in items], dtype=torch.float32),
            "prompt_id": torch.tensor([item["prompt_id"] for item in items]),
        }
