"""Listwise rows: K answers to one prompt, ranked, or compared in pairs with ties allowed."""

from collections.abc import Mapping
from dataclasses import dataclass as plain_dataclass
from itertools import combinations
from typing import Any, ClassVar, Literal

from pydantic.dataclasses import dataclass
from transformers import PreTrainedTokenizerBase

from rmexp.data.formats.base import FORMAT_CONFIG, RowFormat
from rmexp.data.records import RankedResponses
from rmexp.data.validation import (
    BAD_LABEL,
    IDENTICAL,
    NOT_A_PERMUTATION,
    WRONG_TYPE,
    PromptTemplate,
    RowError,
    distinct,
    field,
    integers,
    nonempty_text,
    text,
)

PAIR_LABELS = {0: "tie", 1: "first preferred", 2: "second preferred"}


@plain_dataclass(frozen=True)
class ComparedResponses:
    """K answers to one prompt and labels for pairs of them: (i, j, winner), winner None for a tie.

    Kept as labelled rather than squeezed into a ranking, because pair labels need not be
    transitive (FineGrainedRLHF has 1 = 2, 2 = 4 and 4 > 1 in one question).
    """

    prompt: str
    responses: list[str]
    comparisons: list[tuple[int, int, int | None]]


@dataclass(frozen=True, config=FORMAT_CONFIG)
class RankedFields(RowFormat):
    """A list of answers and their ranking.

    `ranking_kind="order"`: the ranking lists answer indices best first, a permutation of 0..K-1.
    `ranking_kind="ranks"`: it gives each answer its rank, 0 best, equal ranks for ties.
    """

    prompt: str = "prompt"
    responses: str = "responses"
    ranking: str = "ranking"
    ranking_kind: Literal["order", "ranks"] = "order"
    prompt_template: PromptTemplate = None
    record: ClassVar[type] = RankedResponses

    def parse(self, row: Mapping[str, Any], tokenizer: PreTrainedTokenizerBase | None = None) -> RankedResponses:
        prompt = self.build_prompt(row)
        responses, _ = answers(row, self.responses)
        size, values = len(responses), integers(field(row, self.ranking), self.ranking)
        if self.ranking_kind == "order":
            if sorted(values) != list(range(size)):
                expected = f"a permutation of 0..{size - 1} (answer indices, best first)"
                raise RowError(self.ranking, expected, values, NOT_A_PERMUTATION)
            ranks = [0] * size
            for position, index in enumerate(values):
                ranks[index] = position
        else:
            if len(values) != size or any(not 0 <= rank < size for rank in values):
                raise RowError(
                    self.ranking, f"{size} ranks in 0..{size - 1}, one per answer", values, NOT_A_PERMUTATION
                )
            ranks = values
        return RankedResponses(prompt=prompt, responses=responses, ranks=ranks)


@dataclass(frozen=True, config=FORMAT_CONFIG)
class PairLabelledLists(RowFormat):
    """K answers with one label per pair (1,2) (1,3) ... (K-1,K): 1 first preferred, 2 second, 0 tie.

    The FineGrainedRLHF qa_feedback shape: `responses` names the K answer fields ("prediction 1" ...)
    or one field holding the list.
    """

    prompt: str = "prompt"
    responses: str | list[str] = "responses"
    labels: str = "preference"
    prompt_template: PromptTemplate = None
    record: ClassVar[type] = ComparedResponses

    def parse(self, row: Mapping[str, Any], tokenizer: PreTrainedTokenizerBase | None = None) -> ComparedResponses:
        prompt = self.build_prompt(row)
        responses, names = answers(row, self.responses, require_distinct=False)
        pairs = list(combinations(range(len(responses)), 2))
        labels = integers(field(row, self.labels), self.labels)
        if len(labels) != len(pairs) or any(label not in PAIR_LABELS for label in labels):
            expected = f"{len(pairs)} labels, one per pair of the {len(responses)} answers, each 0 (tie), 1 or 2"
            raise RowError(self.labels, expected, labels, BAD_LABEL)
        for (first, second), label in zip(pairs, labels, strict=True):
            if label and responses[first] == responses[second]:
                expected = f"an answer different from '{names[first]}' (the pair is labelled {label}, not a tie)"
                raise RowError(names[second], expected, responses[second], IDENTICAL)
        comparisons = [
            (first, second, None if label == 0 else (first if label == 1 else second))
            for (first, second), label in zip(pairs, labels, strict=True)
        ]
        return ComparedResponses(prompt=prompt, responses=responses, comparisons=comparisons)


def answers(
    row: Mapping[str, Any], spec: str | list[str], require_distinct: bool = True
) -> tuple[list[str], list[str]]:
    """The K answers and the name of each for messages: from K fields, or from one field holding a list."""
    if isinstance(spec, str):
        values = field(row, spec)
        if not isinstance(values, list) or len(values) < 2:
            raise RowError(spec, "a list of at least two answers", values, WRONG_TYPE)
        names = [f"{spec}[{index}]" for index in range(len(values))]
        responses = [nonempty_text(value, name) for value, name in zip(values, names, strict=True)]
    else:
        names, responses = list(spec), [text(row, name) for name in spec]
    if require_distinct:
        distinct(responses, names)
    return responses, names
