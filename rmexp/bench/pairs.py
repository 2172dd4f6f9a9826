"""The preference pairs of each split as text, from any pairwise datamodule, for both systems of the bench.

rmexp trains from its own datamodule; TRL's RewardTrainer needs the same pairs as rows, and both
score the same held-out pairs. Both read the datamodule's own `split_records("pairwise")`, so the
splits are the ones rmexp trains and tests on.
"""

from torch import Tensor
from transformers import PreTrainedTokenizerBase

from rmexp.data.records import PreferencePair


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
