"""What every row format shares: the record it produces and how it builds the prompt."""

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from transformers import PreTrainedTokenizerBase

from rmexp.data.validation import fill_template, text

# Formats are frozen pydantic dataclasses that forbid unknown keys, so a misspelt override names itself.
FORMAT_CONFIG = {"extra": "forbid"}


class RowFormat(ABC):
    """Parses one row into one record of type `record`, raising `RowError` for a bad row.

    The record type decides which views the data feeds natively and which need a conversion.
    Subclasses have a `prompt` field name and an optional `prompt_template`, which builds the prompt
    from several fields instead (a summarisation or retrieval-QA instruction).
    """

    record: ClassVar[type]
    prompt: str
    prompt_template: str | None

    @abstractmethod
    def parse(self, row: Mapping[str, Any], tokenizer: PreTrainedTokenizerBase | None = None) -> Any:
        """The row's record. `tokenizer` renders chat messages with its chat template, where it has one."""

    def build_prompt(self, row: Mapping[str, Any]) -> str:
        if self.prompt_template is not None:
            return fill_template(self.prompt_template, row)
        return text(row, self.prompt)
