"""Checks on one row of a data file, each failing with the field, what was expected and a reason.

A format reads its fields through these getters, so every source reports a bad row the same way:
`RowError` names the field and the expectation; the caller adds the file and line, then either
stops (the default) or drops the row and counts it under `reason` (`data.on_error=skip`).
"""

import math
from collections import Counter
from collections.abc import Callable, Mapping
from string import Formatter
from typing import Annotated, Any, Literal

from pydantic import AfterValidator

from rmexp.data.readers import Row
from rmexp.errors import UserError

OnError = Literal["raise", "skip"]

# The reasons a row is dropped, as the data report counts them.
UNREADABLE = "unreadable row"
MISSING = "missing field"
WRONG_TYPE = "wrong type"
EMPTY = "empty text"
IDENTICAL = "chosen identical to rejected"
NOT_A_NUMBER = "score is NaN or infinite"
OUT_OF_RANGE = "score out of range"
NOT_A_PERMUTATION = "ranking not a permutation"
BAD_LABEL = "bad pair label"
MISMATCH = "conversations differ before the answer"


class RowError(Exception):
    def __init__(self, field: str, expected: str, got: Any, reason: str, message: str | None = None):
        self.field, self.expected, self.got, self.reason = field, expected, got, reason
        super().__init__(message or f"field '{field}': expected {expected}, got {shorten(got)}")


def shorten(value: Any, width: int = 80) -> str:
    """The offending value as it appears in the file, cut so that a long transcript stays one line."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 5] + " ...'"


def field(row: Mapping[str, Any], name: str) -> Any:
    if not isinstance(row, Mapping):
        raise RowError("(row)", "a JSON object of fields", row, UNREADABLE)
    if name not in row or row[name] is None:
        raise RowError(name, f"a value (the row has {sorted(row)})", None, MISSING)
    return row[name]


def text(row: Mapping[str, Any], name: str) -> str:
    return nonempty_text(field(row, name), name)


def nonempty_text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise RowError(name, "a string", value, WRONG_TYPE)
    if not value.strip():
        raise RowError(name, "non-empty text", value, EMPTY)
    return value


def number(value: Any, name: str, low: float | None = None, high: float | None = None) -> float:
    """A finite score inside [low, high]; booleans are not numbers here, although Python says they are."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RowError(name, "a number", value, WRONG_TYPE)
    if not math.isfinite(value):
        raise RowError(name, "a finite number", value, NOT_A_NUMBER)
    if (low is not None and value < low) or (high is not None and value > high):
        raise RowError(name, f"a number in [{low}, {high}]", value, OUT_OF_RANGE)
    return float(value)


def integers(value: Any, name: str, length: int | None = None) -> list[int]:
    if not isinstance(value, list | tuple) or any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise RowError(name, "a list of integers", value, WRONG_TYPE)
    if length is not None and len(value) != length:
        raise RowError(name, f"{length} integers", value, WRONG_TYPE)
    return list(value)


def distinct(responses: list[str], names: list[str]) -> None:
    """Two identical answers carry no preference, whatever their label says."""
    seen: dict[str, str] = {}
    for response, name in zip(responses, names, strict=True):
        if response in seen:
            raise RowError(name, f"an answer different from '{seen[response]}'", response, IDENTICAL)
        seen[response] = name


def fill_template(template: str, row: Mapping[str, Any]) -> str:
    """`template` with each `{field}` replaced by the row's text; a list becomes paragraphs.

    A list is joined with blank lines, and a list inside it with spaces, so that retrieved passages
    given as [title, sentence, sentence, ...] read as one paragraph each. A list may be empty (a
    question for which retrieval found nothing); a string may not.
    """
    return template.format_map({name: _render(field(row, name), name) for name in template_fields(template)})


def template_fields(template: str) -> set[str]:
    """The fields a prompt template names; a ValueError for one that str.format cannot fill from a row's fields."""
    try:
        names = {name for _, name, _, _ in Formatter().parse(template) if name is not None}
    except ValueError as error:  # an unbalanced brace
        raise ValueError(f"{template!r}: {error}; write {{field}} for a field and {{{{ or }}}} for a brace") from None
    if unnamed := sorted(name for name in names if not name or name.isdigit() or any(c in name for c in ".[")):
        raise ValueError(f"{template!r}: {{{unnamed[0]}}} names no field; write {{field}} with the field's name")
    return names


def _checked_template(template: str | None) -> str | None:
    if template is not None:
        template_fields(template)
    return template


# A format's prompt_template, checked when the format is built: a bad one fails once, naming the key, not
# on every row of the file.
PromptTemplate = Annotated[str | None, AfterValidator(_checked_template)]


def _render(value: Any, name: str, separator: str = "\n\n") -> str:
    if isinstance(value, str):
        return nonempty_text(value, name)
    if isinstance(value, list) and all(isinstance(item, list | str) for item in value):
        return separator.join(_render(item, name, separator=" ") for item in value)
    raise RowError(name, "text or a list of texts", value, WRONG_TYPE)


def parse_rows(rows: list[Row], parse: Callable[[Any], Any], source: str, on_error: OnError) -> tuple[list, Counter]:
    """The records of the good rows, and how many rows were dropped for each reason.

    `on_error="raise"` stops at the first bad row with the file, the line (or record index), the
    field and what was expected; `"skip"` drops bad rows and counts them by reason.
    """
    records, dropped, first_problem = [], Counter(), ""
    for row in rows:
        try:
            if row.problem is not None:
                raise RowError("(row)", "one JSON object", row.values, UNREADABLE, message=row.problem)
            records.append(parse(row.values))
        except RowError as error:
            if on_error == "raise":
                raise UserError(
                    f"{source}, {row.location}: {error} ({error.reason}). "
                    "Fix the row, or set data.on_error=skip to drop bad rows and count them."
                ) from None
            dropped[error.reason] += 1
            first_problem = first_problem or f"{row.location}: {error}"
    if dropped and not records:  # else the next message would be "0 prompts are too few to split"
        reasons = ", ".join(f"{count} {reason}" for reason, count in dropped.most_common())
        raise UserError(
            f"{source}: data.on_error=skip dropped all {len(rows)} rows ({reasons}); the first, {first_problem}. "
            "Check the file against data.format's field names."
        )
    return records, dropped
