"""The tokenized data set on disk, keyed by everything that shapes it, so repeated runs and sweeps reuse it.

The key hashes the data config (file, format, conversion, split, max_length, view), the file's size
and modification time, the tokenizer, and the source of `rmexp/data`: a changed config, file,
tokenizer or data code misses the cache, and a stale entry never meets new code. Files are written
to a temporary name and renamed, so a sweep's jobs may race to write the same entry.

An entry is JSON, not a pickle: a cache shared between users (normal on a cluster) is a file anyone
with write access may replace, and unpickling a replaced file runs its code. JSON holds only data;
a dataset comes back as its own class, looked up among the views' datasets, with its attributes.
"""

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset
from transformers import PreTrainedTokenizerBase

from rmexp.data.token_lengths import ExampleLengths
from rmexp.data.views import DATASETS

DATA_CODE = Path(__file__).resolve().parent


def cache_key(config: dict[str, Any], path: str | Path, tokenizer: PreTrainedTokenizerBase) -> str:
    parts = {
        "config": config,
        "files": file_fingerprint(Path(path)),
        "tokenizer": tokenizer_fingerprint(tokenizer),
        "code": _digest(*(file.read_bytes() for file in sorted(DATA_CODE.rglob("*.py")))),
    }
    return _digest(json.dumps(parts, sort_keys=True, default=str).encode())[:24]


def file_fingerprint(path: Path) -> list[tuple[str, int, int]]:
    """Name, size and modification time of the file, or of every file in the folder."""
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    return [(str(file), file.stat().st_size, file.stat().st_mtime_ns) for file in files if file.is_file()]


def tokenizer_fingerprint(tokenizer: PreTrainedTokenizerBase) -> str:
    """The whole backend (vocabulary, normaliser, post-processor) and the chat template."""
    backend = tokenizer.backend_tokenizer.to_str()
    return _digest(type(tokenizer).__name__.encode(), backend.encode(), str(tokenizer.chat_template).encode())


def entry_path(cache_dir: str | Path, key: str) -> Path:
    return Path(cache_dir) / f"{key}.json"


def load(cache_dir: str | Path, key: str) -> dict[str, Any] | None:
    """The cached datasets, lengths and report, or None when there is none or it cannot be read (then rebuilt)."""
    try:
        with entry_path(cache_dir, key).open(encoding="utf-8") as file:
            return from_plain(json.load(file))
    except Exception:  # missing, truncated, or not an entry this code wrote: rebuild it
        return None


def save(cache_dir: str | Path, key: str, built: dict[str, Any]) -> Path:
    directory = Path(cache_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=directory, suffix=".tmp", delete=False) as file:
        file.write(json.dumps(to_plain(built)))  # json.dump encodes in Python, a chunk at a time; dumps in C
    os.chmod(file.name, 0o644)  # a temporary file is private; the cache is for every job of the sweep
    os.replace(file.name, entry_path(directory, key))
    return entry_path(directory, key)


def to_plain(built: dict[str, Any]) -> dict[str, Any]:
    """Datasets as (class name, attributes), lengths as lists of numbers, the report as it is."""
    return {
        "datasets": {
            split: {"class": type(dataset).__name__, "attributes": vars(dataset)}
            for split, dataset in built["datasets"].items()
        },
        "lengths": {split: [[e.full, e.response] for e in lengths] for split, lengths in built["lengths"].items()},
        "report": built["report"],
    }


def from_plain(plain: dict[str, Any]) -> dict[str, Any]:
    """The inverse of `to_plain`; a class name other than the views' datasets is a KeyError (then rebuilt)."""
    classes = {dataset_class.__name__: dataset_class for dataset_class in DATASETS.values()}
    datasets: dict[str, Dataset] = {}
    for split, entry in plain["datasets"].items():
        dataset = object.__new__(classes[entry["class"]])  # its attributes, not its tokenizing __init__
        dataset.__dict__.update(entry["attributes"])
        datasets[split] = dataset
    lengths = {
        split: [ExampleLengths(full=full, response=response) for full, response in examples]
        for split, examples in plain["lengths"].items()
    }
    return {"datasets": datasets, "lengths": lengths, "report": plain["report"]}


def _digest(*chunks: bytes) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(hashlib.sha256(chunk).digest())
    return digest.hexdigest()
