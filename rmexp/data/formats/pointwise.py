"""Pointwise rows: one response and its absolute score, on one aspect or the mean of several."""

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import model_validator
from pydantic.dataclasses import dataclass
from transformers import PreTrainedTokenizerBase

from rmexp.data.formats.base import FORMAT_CONFIG, RowFormat
from rmexp.data.records import RatedResponse
from rmexp.data.validation import MISSING, WRONG_TYPE, PromptTemplate, RowError, field, number, text

MEAN = "mean"


@dataclass(frozen=True, config=FORMAT_CONFIG)
class RatedFields(RowFormat):
    """A response and its score, checked against [score_min, score_max].

    With `aspect`, the score field is a mapping of aspects (SummEval rates coherence, consistency,
    fluency and relevance); `aspect` picks one, or "mean" averages all of them.
    """

    prompt: str = "prompt"
    response: str = "response"
    score: str = "score"
    aspect: str | None = None
    prompt_template: PromptTemplate = None
    score_min: float | None = None
    score_max: float | None = None
    annotator: str | None = None
    record: ClassVar[type] = RatedResponse

    @model_validator(mode="after")
    def _range_is_ordered(self) -> "RatedFields":
        if self.score_min is not None and self.score_max is not None and self.score_min > self.score_max:
            raise ValueError(f"score_min ({self.score_min}) must be <= score_max ({self.score_max})")
        return self

    def parse(self, row: Mapping[str, Any], tokenizer: PreTrainedTokenizerBase | None = None) -> RatedResponse:
        annotator = None if self.annotator is None else str(field(row, self.annotator))
        return RatedResponse(
            prompt=self.build_prompt(row),
            response=text(row, self.response),
            score=self._score(row),
            annotator=annotator,
        )

    def _score(self, row: Mapping[str, Any]) -> float:
        value = field(row, self.score)
        if self.aspect is None:
            return number(value, self.score, self.score_min, self.score_max)
        if not isinstance(value, Mapping):
            raise RowError(self.score, "a mapping of aspect names to scores", value, WRONG_TYPE)
        aspects = sorted(value) if self.aspect == MEAN else [self.aspect]
        if not aspects or any(aspect not in value for aspect in aspects):
            raise RowError(f"{self.score}.{self.aspect}", f"a score (the row has {sorted(value)})", None, MISSING)
        scores = [number(value[aspect], f"{self.score}.{aspect}", self.score_min, self.score_max) for aspect in aspects]
        return sum(scores) / len(scores)
