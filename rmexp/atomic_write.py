"""Outputs written as a whole or not at all, and a failed write that says which file it was.

Each output is written to a staged file beside its target and renamed over it when complete: the old
file stays valid until then, and a rename within one folder is atomic. When the write fails (a full
disk, a read-only folder, a signal) the staged file is removed, so no `.tmp` or `.partial` is left
behind; an OSError is raised again naming the target, because a full disk reports only "No space left
on device" and the user needs to know where.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


@contextmanager
def atomic_output(path: Path, staged: Path | None = None) -> Iterator[Path]:
    """The staged path to write to (default `<path>.tmp`); renamed to `path` when the block ends without error."""
    staged = staged or path.with_name(path.name + ".tmp")
    try:
        yield staged
        os.replace(staged, path)
    except BaseException as error:
        with suppress(OSError):  # a folder that refused the write may refuse the removal too
            staged.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.errno is not None:
            raise OSError(error.errno, error.strerror, str(path)) from error
        raise


def write_text_atomic(path: Path, text: str) -> None:
    with atomic_output(path) as staged:
        staged.write_text(text, encoding="utf-8")
