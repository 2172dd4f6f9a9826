import gzip
import json
from pathlib import Path

import pytest

from rmexp.models.word_tokenizer import word_level_tokenizer


@pytest.fixture(scope="session")
def word_tokenizer():
    return word_level_tokenizer()


def write_jsonl(path: Path, rows: list, compress: bool = False) -> Path:
    """One JSON value a line; a str row is written as it is, to make a malformed line."""
    lines = "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)
    if compress:
        with gzip.open(path, "wt", encoding="utf-8") as file:
            file.write(lines)
    else:
        path.write_text(lines)
    return path
