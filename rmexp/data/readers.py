"""Local data files to rows, each row tagged with where it sits in the file.

JSON Lines (plain or .gz) and JSON lists are read with the standard library, line by line, so that a
bad row is reported by its line and a malformed line does not hide the rows after it; Arrow would
stop at the first line it cannot parse and coerce wrongly typed fields before they can be named.
Parquet, CSV, a `save_to_disk` folder and a folder of data files (`datasets.load_dataset` on a local
path) are read with `datasets`, and their rows are located by record index. A folder that holds
its own splits (train / validation / test) keeps them. A path that is no local file and reads as a
hub id (`owner/name`) is loaded from the Hugging Face hub by `datasets.load_dataset`, splits kept.
"""

import gzip
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rmexp.errors import UserError, first_line

JSON_LINES = (".jsonl", ".ndjson")
DATASETS_BUILDERS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}
SUPPORTED = "JSON Lines (.jsonl, .jsonl.gz), JSON (.json), Parquet (.parquet), CSV (.csv) or a datasets folder"
WHOLE_FILE = "all"  # the split name of a file that has no splits of its own
GZIP_MAGIC = b"\x1f\x8b"
# owner/name as the hub spells them; a name ending in a data file's suffix is a local path that is missing
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
DATA_SUFFIXES = re.compile(r"\.(jsonl|ndjson|json|parquet|pq|csv|gz|arrow)$", re.IGNORECASE)


@dataclass(frozen=True)
class Row:
    location: str  # "line 12" in a text file, "record 7" (0-based) elsewhere
    values: Any  # the row as read: a dict when the file is well formed
    problem: str | None = None  # why the row could not be read at all


def read_splits(path: str | Path, cache_dir: str | Path | None = None) -> dict[str, list[Row]]:
    """The rows of a file or folder by split name: `{"all": rows}` for a file without splits.

    `cache_dir` is where `datasets` keeps its Arrow copies of Parquet and CSV files.
    """
    if not Path(path).exists() and is_hub_id(str(path)):
        return _read_from_hub(str(path), cache_dir)
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
        lines = list(numbered_lines(path))
        if suffix == ".json" and "".join(line for _, line in lines).lstrip().startswith("["):
            return {WHOLE_FILE: _json_list(path, "".join(line for _, line in lines))}
        return {WHOLE_FILE: _json_lines(lines)}
    if suffix in DATASETS_BUILDERS and not compressed:
        return _read_with_datasets(path, cache_dir)
    raise UserError(f"{path}: unsupported file type; rmexp reads {SUPPORTED}.")


def numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number from 1, line) of a UTF-8 text file, gzip-compressed or not: every text file rmexp reads.

    Any decoding or decompression error is a UserError naming the file and the line, which is why the
    lines are split as bytes and decoded one by one: a text stream decodes ahead, in blocks, and would
    blame the wrong line. A file is read as gzip when its name ends in .gz or its first bytes say so.
    """
    with path.open("rb") as probe:
        compressed = path.suffix.lower() == ".gz" or probe.read(2) == GZIP_MAGIC
    number = 0
    try:
        with gzip.open(path, "rb") if compressed else path.open("rb") as file:
            for number, raw in enumerate(file, start=1):
                try:
                    yield number, raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise UserError(
                        f"{path}:{number}: not UTF-8 text (byte {raw[error.start]:#04x} at column {error.start + 1}); "
                        "expected a text file of JSON, plain or gzip-compressed"
                    ) from None
    except gzip.BadGzipFile:
        raise UserError(f"{path}: not gzip-compressed, although its name ends in .gz; rename or compress it") from None
    except (EOFError, zlib.error) as error:  # EOFError: the compressed stream stops before its end marker
        raise UserError(
            f"{path}:{number + 1}: the compressed data is {'cut short' if isinstance(error, EOFError) else 'corrupt'} "
            f"after line {number} ({error}); compress the file again"
        ) from None


def _json_lines(lines: list[tuple[int, str]]) -> list[Row]:
    rows = []
    for number, line in lines:
        if not line.strip():
            continue
        try:
            rows.append(Row(f"line {number}", json.loads(line)))
        except json.JSONDecodeError as error:
            problem = f"not valid JSON ({error.msg} at column {error.colno})"
            rows.append(Row(f"line {number}", line.rstrip("\r\n"), problem=problem))
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
    return _rows_by_split(loaded)


def is_hub_id(path: str) -> bool:
    return HUB_ID.fullmatch(path) is not None and DATA_SUFFIXES.search(path) is None


def _read_from_hub(dataset_id: str, cache_dir: str | Path | None) -> dict[str, list[Row]]:
    """A hub data set's splits, through `datasets` (its cache first, so an offline machine reads what it fetched)."""
    import datasets

    cache = str(Path(cache_dir) / "datasets") if cache_dir is not None else None
    try:
        loaded = datasets.load_dataset(dataset_id, cache_dir=cache)
    except ConnectionError as error:  # datasets says why (no route, offline mode) in its first line
        reason = first_line(error)
        raise UserError(
            f"{dataset_id}: no such local file or folder, and the Hugging Face hub, where it would be a data set id, "
            f"could not be reached ({reason}); download it where there is a network, or point data.path at a local file"
        ) from None
    except Exception as error:  # not on the hub, gated, or a format datasets cannot build
        raise UserError(
            f"{dataset_id}: no such local file or folder, and not a data set the Hugging Face hub gives "
            f"({type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''})"
        ) from None
    return _rows_by_split(loaded)


def _rows_by_split(loaded: Any) -> dict[str, list[Row]]:
    import datasets

    if isinstance(loaded, datasets.Dataset):
        loaded = {WHOLE_FILE: loaded}
    return {
        split: [Row(f"record {index}", values) for index, values in enumerate(table.to_list())]
        for split, table in loaded.items()
    }
