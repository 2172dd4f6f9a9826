"""The pointwise view: one response and its absolute score per example.

Scores arrive raw and z-scored two ways (over the split, and per annotator where the data names
annotators); the loss module picks which one it regresses on. Per-annotator z-scores remove each
rater's private scale and offset, the noise that makes pointwise labels weaker than comparisons.
"""

import math
from collections import defaultdict

import torch
from torch.utils.data import Dataset
from transformers import PreTrainedTokenizerBase

from rmexp.data.encoding import encode_responses
from rmexp.data.padding import pad_sequences
from rmexp.data.records import RatedResponse, prompt_indices

SCORE_KEYS = {"none": "score", "dataset": "score_z_dataset", "annotator": "score_z_annotator"}


def z_scores(values: list[float]) -> list[float]:
    mean = sum(values) / len(values)
    std = math.sqrt(sum((value - mean) ** 2 for value in values) / len(values))
    return [(value - mean) / std if std > 0 else 0.0 for value in values]


def per_annotator_z_scores(records: list[RatedResponse]) -> list[float]:
    """z-score within each annotator's ratings; records without an annotator share one group."""
    by_annotator: dict[str | None, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        by_annotator[record.annotator].append(index)
    normalised = [0.0] * len(records)
    for indices in by_annotator.values():
        for index, value in zip(indices, z_scores([records[i].score for i in indices]), strict=True):
            normalised[index] = value
    return normalised


class PointwiseDataset(Dataset):
    def __init__(self, records: list[RatedResponse], tokenizer: PreTrainedTokenizerBase, max_length: int):
        self.pad_token_id = tokenizer.pad_token_id
        encoded = encode_responses(tokenizer, [r.prompt for r in records], [r.response for r in records], max_length)
        prompt_ids = prompt_indices([r.prompt for r in records])
        dataset_z, annotator_z = z_scores([r.score for r in records]), per_annotator_z_scores(records)
        self.items = [
            {
                "ids": e.input_ids,
                "length": e.response_tokens,
                "score": r.score,
                "score_z_dataset": dataset_z[i],
                "score_z_annotator": annotator_z[i],
                "gold": r.gold,
                "prompt_id": prompt_ids[i],
            }
            for i, (r, e) in enumerate(zip(records, encoded, strict=True))
        ]
        self.truncated = sum(e.truncated for e in encoded)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return self.items[index]

    def collate(self, items: list[dict]) -> dict[str, torch.Tensor]:
        input_ids, attention_mask = pad_sequences([item["ids"] for item in items], self.pad_token_id)
        batch = {"input_ids": input_ids, "attention_mask": attention_mask}
        batch["response_length"] = torch.tensor([item["length"] for item in items], dtype=torch.float32)
        batch["prompt_id"] = torch.tensor([item["prompt_id"] for item in items])
        for key in ("gold", *SCORE_KEYS.values()):
            batch[key] = torch.tensor([item[key] for item in items], dtype=torch.float32)
        return batch
