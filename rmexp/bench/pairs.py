"""The preference pairs of each split as text, from any pairwise datamodule, for both systems of the bench.

rmexp trains from its own datamodule; TRL's RewardTrainer needs the same pairs as rows, and both
score the same held-out pairs. The records are read through the datamodule's own steps (the lab's
generator; a file's reader, format, split by prompt and conversion), so the splits are the ones
rmexp trains and tests on.
"""

from functools import partial

from pytorch_lightning import LightningDataModule
from torch import Tensor
from transformers import PreTrainedTokenizerBase

from rmexp.data.conversions import to_view
from rmexp.data.file_datamodule import FileDataModule
from rmexp.data.lab import SPLITS, generate
from rmexp.data.lab_datamodule import LabDataModule, lab_records
from rmexp.data.readers import read_splits
from rmexp.data.records import PreferencePair
from rmexp.data.splits import assign_splits
from rmexp.data.validation import parse_rows


def split_pairs(datamodule: LightningDataModule) -> dict[str, list[PreferencePair]]:
    """train, val and test pairs exactly as the datamodule splits them."""
    if isinstance(datamodule, LabDataModule):
        lab = generate(datamodule.spec)
        return {split: lab_records(lab, split, "pairwise", datamodule.pairs_from) for split in SPLITS}
    if isinstance(datamodule, FileDataModule):
        source = str(datamodule.path)
        parse = partial(datamodule.format.parse, tokenizer=datamodule.tokenizer)
        parsed = {
            name: parse_rows(rows, parse, source, datamodule.on_error)[0]
            for name, rows in read_splits(datamodule.path, datamodule.cache_dir).items()
        }
        native, _ = assign_splits(
            parsed, datamodule.val_fraction, datamodule.test_fraction, datamodule.split_seed, source
        )
        record = datamodule.format.record
        return {split: to_view(record, native[split], "pairwise", datamodule.min_score_gap)[0] for split in SPLITS}
    raise TypeError(f"the bench reads pairs from the lab or a data file, not {type(datamodule).__name__}")


def as_one_text(prompt: str, response: str) -> str:
    """Prompt and response as one text, as TRL's implicit-prompt rows hold them (HH-RLHF's transcripts)."""
    return f"{prompt} {response}"


def one_text_ids(tokenizer: PreTrainedTokenizerBase, pairs: list[PreferencePair]) -> dict[str, list[list[int]]]:
    """Each pair's chosen and rejected as one text each, tokenized whole: the rows TRL trains on."""
    return {
        f"{side}_ids": tokenizer([as_one_text(pair.prompt, getattr(pair, side)) for pair in pairs])["input_ids"]
        for side in ("chosen", "rejected")
    }


def kept_by_trl(ids: dict[str, list[list[int]]], max_length: int) -> int:
    """How many pairs TRL trains on at `max_length`: it drops a pair when either text is longer."""
    return sum(max(len(c), len(r)) <= max_length for c, r in zip(ids["chosen_ids"], ids["rejected_ids"], strict=True))


def held_out_result(rewards: Tensor, seconds: float) -> dict[str, float]:
    """Accuracy and scoring speed from the rewards of every test pair's chosen then rejected response."""
    chosen, rejected = rewards.float().chunk(2)
    return {
        "test_pairs": len(chosen),
        "test_accuracy": (chosen > rejected).float().mean().item(),
        "scoring_responses_per_second": len(rewards) / seconds,
    }
