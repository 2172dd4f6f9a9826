"""The pairwise view: (prompt, chosen, rejected) examples and the batch that scores both in one pass."""

import torch
from torch.utils.data import Dataset
from transformers import PreTrainedTokenizerBase

from rmexp.data.encoding import encode_responses
from rmexp.data.length_batching import packed_length
from rmexp.data.padding import pad_sequences
from rmexp.data.records import PreferencePair, prompt_indices


class PairwiseDataset(Dataset):
    """Tokenized once up front; each item holds both responses' ids and their lengths in tokens.

    `collate` stacks chosen then rejected into one batch of 2B rows, so the model scores both in one
    forward pass. Pairs from a benchmark with subsets carry their subset's index in `subset_names`
    (-1 for none), for per-subset accuracy.
    """

    def __init__(self, pairs: list[PreferencePair], tokenizer: PreTrainedTokenizerBase, max_length: int):
        self.pad_token_id = tokenizer.pad_token_id
        prompts = [pair.prompt for pair in pairs]
        self.subset_names = sorted({pair.subset for pair in pairs} - {""})
        subset_index = {name: index for index, name in enumerate(self.subset_names)} | {"": -1}
        # chosen and rejected in turn, so that a pair's two sequences read the same (equally cut) prompt
        responses = [response for pair in pairs for response in (pair.chosen, pair.rejected)]
        encoded = encode_responses(tokenizer, [p for p in prompts for _ in range(2)], responses, max_length, 2)
        chosen, rejected = encoded[0::2], encoded[1::2]
        prompt_ids = prompt_indices(prompts)
        self.items = [
            {
                "chosen_ids": c.input_ids,
                "rejected_ids": r.input_ids,
                "lengths": (c.response_tokens, r.response_tokens),
                "gold": (pair.chosen_gold, pair.rejected_gold),
                "margin": pair.margin,
                "probability": pair.probability,
                "subset": subset_index[pair.subset],
                "index": index,
                "prompt_id": prompt_ids[index],
            }
            for index, (pair, c, r) in enumerate(zip(pairs, chosen, rejected, strict=True))
        ]
        self.truncated = sum(c.truncated or r.truncated for c, r in zip(chosen, rejected, strict=True))

    def packed_lengths(self) -> list[int]:
        """Each pair's width as one packed row, for a model that shares the prompt (models/shared_prefix.py)."""
        return [packed_length([item["chosen_ids"], item["rejected_ids"]]) for item in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return self.items[index]

    def collate(self, items: list[dict]) -> dict[str, torch.Tensor]:
        sequences = [item["chosen_ids"] for item in items] + [item["rejected_ids"] for item in items]
        input_ids, attention_mask = pad_sequences(sequences, self.pad_token_id)
        return {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "response_length": torch.tensor(
                [item["lengths"][0] for item in items] + [item["lengths"][1] for item in items], dtype=torch.float32
            ),
            "gold": torch.tensor([item["gold"][0] for item in items] + [item["gold"][1] for item in items]),
            "margin": torch.tensor([item["margin"] for item in items], dtype=torch.float32),
            "probability": torch.tensor([item["probability"] for item in items], dtype=torch.float32),
            "subset": torch.tensor([item["subset"] for item in items]),
            # the pair's place in the data set, the same every epoch: it draws an ensemble member's bootstrap count
            "pair_index": torch.tensor([item["index"] for item in items]),
            "prompt_id": torch.tensor([item["prompt_id"] for item in items]),
        }
