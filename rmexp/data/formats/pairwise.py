"""Pairwise rows: a prompt and a chosen and a rejected answer."""

import os
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import model_validator
from pydantic.dataclasses import dataclass
from transformers import PreTrainedTokenizerBase

from rmexp.data.formats.base import FORMAT_CONFIG, RowFormat
from rmexp.data.formats.chat import ANSWER_CUE, conversation_pair
from rmexp.data.records import PreferencePair
from rmexp.data.validation import (
    EMPTY,
    MISMATCH,
    OUT_OF_RANGE,
    PromptTemplate,
    RowError,
    distinct,
    field,
    nonempty_text,
    number,
    text,
)


@dataclass(frozen=True, config=FORMAT_CONFIG)
class PairwiseFields(RowFormat):
    """`prompt` / `chosen` / `rejected` under any field names, as text or as chat messages.

    A preference strength comes from a `margin` field, or from two score fields as
    chosen_score - rejected_score (UltraFeedback's ratings, HelpSteer's attributes), for margin losses;
    a `probability` field in [0, 1] (the share of annotators who chose `chosen`), for soft-label losses.
    A `subset` field (RewardBench's) makes evaluation report accuracy per subset.
    """

    prompt: str = "prompt"
    chosen: str = "chosen"
    rejected: str = "rejected"
    prompt_template: PromptTemplate = None
    margin: str | None = None
    chosen_score: str | None = None
    rejected_score: str | None = None
    probability: str | None = None
    subset: str | None = None
    record: ClassVar[type] = PreferencePair

    @model_validator(mode="after")
    def _scores_come_in_pairs(self) -> "PairwiseFields":
        if (self.chosen_score is None) != (self.rejected_score is None):
            raise ValueError("set both chosen_score and rejected_score, or neither")
        if self.margin is not None and self.chosen_score is not None:
            raise ValueError("set margin or chosen_score / rejected_score, not both")
        return self

    def parse(self, row: Mapping[str, Any], tokenizer: PreTrainedTokenizerBase | None = None) -> PreferencePair:
        chosen, rejected = field(row, self.chosen), field(row, self.rejected)
        if isinstance(chosen, list) or isinstance(rejected, list):
            prompt, chosen, rejected = conversation_pair(
                row.get(self.prompt), chosen, rejected, (self.prompt, self.chosen, self.rejected), tokenizer
            )
        else:
            prompt = self.build_prompt(row)
            chosen, rejected = nonempty_text(chosen, self.chosen), nonempty_text(rejected, self.rejected)
        distinct([chosen, rejected], [self.chosen, self.rejected])
        subset = text(row, self.subset) if self.subset else ""
        probability = number(field(row, self.probability), self.probability, 0.0, 1.0) if self.probability else 1.0
        return PreferencePair(prompt=prompt, chosen=chosen, rejected=rejected, margin=self._margin(row),
                              probability=probability, subset=subset)  # fmt: skip

    def _margin(self, row: Mapping[str, Any]) -> float:
        if self.margin is not None:
            return number(field(row, self.margin), self.margin, low=0.0)
        if self.chosen_score is None:
            return 0.0
        chosen = number(field(row, self.chosen_score), self.chosen_score)
        rejected = number(field(row, self.rejected_score), self.rejected_score)
        if chosen < rejected:
            raise RowError(self.chosen_score, f"a score >= {self.rejected_score} ({rejected})", chosen, OUT_OF_RANGE)
        return chosen - rejected


@dataclass(frozen=True, config=FORMAT_CONFIG)
class HHTranscripts(RowFormat):
    """Anthropic HH-RLHF: two whole transcripts that share the conversation and differ in the last answer.

    The prompt is the conversation up to and including the last "\\n\\nAssistant:", so it ends where
    the answer starts; chosen and rejected are the two final answers. A pair whose transcripts
    differ earlier is a bad row: its "answer" would hold a whole exchange.
    """

    chosen: str = "chosen"
    rejected: str = "rejected"
    record: ClassVar[type] = PreferencePair

    def parse(self, row: Mapping[str, Any], tokenizer: PreTrainedTokenizerBase | None = None) -> PreferencePair:
        prompt, chosen = _split_transcript(text(row, self.chosen), self.chosen)
        rejected_prompt, rejected = _split_transcript(text(row, self.rejected), self.rejected)
        if rejected_prompt != prompt:
            differs_at = len(os.path.commonprefix([prompt, rejected_prompt]))
            raise RowError(
                self.rejected,
                f"the conversation of '{self.chosen}' up to its last {ANSWER_CUE!r}",
                "..." + rejected_prompt[differs_at:],
                MISMATCH,
            )
        distinct([chosen, rejected], [self.chosen, self.rejected])
        return PreferencePair(prompt=prompt, chosen=chosen, rejected=rejected)


def _split_transcript(transcript: str, name: str) -> tuple[str, str]:
    cut = transcript.rfind(ANSWER_CUE)
    if cut < 0:
        raise RowError(name, f"a transcript with an {ANSWER_CUE!r} turn", transcript, MISMATCH)
    answer = transcript[cut + len(ANSWER_CUE) :].strip()
    if not answer:
        raise RowError(name, f"an answer after the last {ANSWER_CUE!r}", "..." + transcript[-40:], EMPTY)
    return transcript[: cut + len(ANSWER_CUE)], answer
