"""The tokenized data set on disk, keyed by everything that shapes it, so repeated runs and sweeps reuse it.

The key hashes the data config (file, format, conversion, split, max_length, view), the file's size
and modification time, the tokenizer, and the source of `rmexp/data`: a changed config, file,
tokenizer or data code misses the cache, and a stale pickle never meets new code. Files are written
to a temporary name and renamed, so a sweep's jobs may race to write the same entry.
"""

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

from transformers import PreTrainedTokenizerBase

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


def load(cache_dir: str | Path, key: str) -> Any | None:
    """The cached entry, or None when there is none or it cannot be read (then it is rebuilt)."""
    path = Path(cache_dir) / f"{key}.pkl"
    try:
        with path.open("rb") as file:
            return pickle.load(file)
    except Exception:  # missing, truncated, or pickled by code that no longer matches: rebuild it
        return None


def save(cache_dir: str | Path, key: str, payload: Any) -> Path:
    directory = Path(cache_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".tmp", delete=False) as file:
        pickle.dump(payload, file, protocol=pickle.HIGHEST_PROTOCOL)
    os.chmod(file.name, 0o644)  # a temporary file is private; the cache is for every job of the sweep
    os.replace(file.name, directory / f"{key}.pkl")
    return directory / f"{key}.pkl"


def _digest(*chunks: bytes) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(hashlib.sha256(chunk).digest())
    return digest.hexdigest()
