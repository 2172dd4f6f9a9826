"""Local data files to rows, each row tagged with where it sits in the file.

JSON Lines (plain or .gz) and JSON lists are read with the standard library, line by line, so that a
bad row is reported by its line and a malformed line does not hide the rows after it; Arrow would
stop at the first line it cannot parse and coerce wrongly typed fields before they can be named.
Parquet, CSV, a `save_to_disk` folder and a folder of data files (`datasets.load_dataset` on a local
path) are read with `datasets`, and their rows are located by record index. A folder that holds
its own splits (train / validation / test) keeps them.
"""

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rmexp.errors import UserError

JSON_LINES = (".jsonl", ".ndjson")
DATASETS_BUILDERS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
SUPPORTED = "JSON Lines (.jsonl, .jsonl.gz), JSON (.json), Parquet (.parquet), CSV (.csv) or a datasets folder"
WHOLE_FILE = "all"  # the split name of a file that has no splits of its own


@dataclass(frozen=True)
class Row:
    location: str  # "line 12" in a text file, "record 7" (0-based) elsewhere
    values: Any  # the row as read: a dict when the file is well formed
    problem: str | None = None  # why the row could not be read at all


def read_splits(path: str | Path, cache_dir: str | Path | None = None) -> dict[str, list[Row]]:
    """The rows of a file or folder by split name: `{"all": rows}` for a file without splits.

    `cache_dir` is where `datasets` keeps its Arrow copies of Parquet and CSV files.
    """
    path = Path(path)
    if not path.exists():
        raise UserError(
            f"{path}: no such file or folder. Point data.path at {SUPPORTED}; "
            "the real-data configs read from paths.data_dir (../shared/data by default)."
        )
    if path.is_dir():
        return _read_with_datasets(path, cache_dir)
    suffixes = [suffix.lower() for suffix in path.suffixes]
    compressed = suffixes[-1:] == [".gz"]
    suffix = suffixes[-2 if compressed else -1] if suffixes else ""
    if suffix in JSON_LINES or suffix == ".json":
        opener = gzip.open if compressed else open
        with opener(path, "rt", encoding="utf-8") as file:
            content = file.read()
        if suffix == ".json" and content.lstrip().startswith("["):
            return {WHOLE_FILE: _json_list(path, content)}
        return {WHOLE_FILE: _json_lines(content)}
    if suffix in DATASETS_BUILDERS and not compressed:
        return _read_with_datasets(path, cache_dir)
    raise UserError(f"{path}: unsupported file type; rmexp reads {SUPPORTED}.")


def _json_lines(content: str) -> list[Row]:
    rows = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(Row(f"line {number}", json.loads(line)))
        except json.JSONDecodeError as error:
            rows.append(Row(f"line {number}", line, problem=f"not valid JSON ({error.msg} at column {error.colno})"))
    return rows


def _json_list(path: Path, content: str) -> list[Row]:
    try:
        records = json.loads(content)
    except json.JSONDecodeError as error:
        raise UserError(f"{path}, line {error.lineno}: not valid JSON ({error.msg} at column {error.colno})") from None
    return [Row(f"record {index}", record) for index, record in enumerate(records)]


def _read_with_datasets(path: Path, cache_dir: str | Path | None) -> dict[str, list[Row]]:
    import datasets  # imported here: it takes seconds, and JSON files never need it

    cache = str(Path(cache_dir) / "datasets") if cache_dir is not None else None
    try:
        if path.is_dir() and ((path / "dataset_dict.json").exists() or (path / "state.json").exists()):
            loaded = datasets.load_from_disk(str(path))
        elif path.is_dir():
            loaded = datasets.load_dataset(str(path), cache_dir=cache)
        else:
            builder = DATASETS_BUILDERS[path.suffix.lower()]
            loaded = datasets.load_dataset(builder, data_files=str(path), split="train", cache_dir=cache)
    except Exception as error:  # datasets raises many types; to the user they all mean "cannot read this"
        raise UserError(
            f"{path}: could not be read ({type(error).__name__}: {error}); rmexp reads {SUPPORTED}."
        ) from None
    if isinstance(loaded, datasets.Dataset):
        loaded = {WHOLE_FILE: loaded}
    return {
        split: [Row(f"record {index}", values) for index, values in enumerate(table.to_list())]
        for split, table in loaded.items()
    }
