"""Checkpoints written as a whole or not at all.

Lightning stages a checkpoint in the system's temporary folder and then moves it into place; when
that folder is on another file system (a cluster's local /tmp, the run on shared storage) the move is
a copy, and a job killed during the copy leaves a truncated `last.ckpt` that its resume cannot load.
Staging beside the target and renaming keeps the old checkpoint valid until the new one is complete;
a write that fails (a full disk) removes its staged `.partial` file and names the checkpoint.
"""

from pathlib import Path
from typing import Any

from pytorch_lightning.plugins.io import TorchCheckpointIO

from rmexp.atomic_write import atomic_output


class AtomicCheckpointIO(TorchCheckpointIO):
    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any | None = None) -> None:
        path = Path(path)
        with atomic_output(path, staged=path.with_name(f".{path.name}.partial")) as staged:
            super().save_checkpoint(checkpoint, staged, storage_options)
