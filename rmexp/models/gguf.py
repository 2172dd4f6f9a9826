"""A GGUF file de-quantised once into a plain transformers folder, so later runs load it in a second.

transformers reads GGUF (with the `gguf` package) by de-quantising every tensor to float32, which
takes tens of seconds for SmolLM2-135M; the folder it leaves loads like any checkpoint. The folder
is named after the file and its size, and written under a temporary name then renamed, so runs of a
sweep that start together never read a half-written folder.
"""

import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path

from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

from rmexp.errors import UserError

log = logging.getLogger(__name__)


def dequantized_folder(gguf_file: Path, cache_dir: Path) -> Path:
    """The cached folder for `gguf_file` (model, config and tokenizer), made on first use."""
    folder = cache_dir / f"{gguf_file.stem}-{gguf_file.stat().st_size}"
    if (folder / "config.json").is_file():
        return folder
    if importlib.util.find_spec("gguf") is None:
        raise UserError(f"reading {gguf_file.name} needs the gguf package: pip install gguf")
    log.info("de-quantising %s into %s (once)", gguf_file, folder)
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache_dir, prefix=f".{folder.name}-"))
    try:
        # dequantize=True: dense float32 weights a plain folder can hold, not GGUF blocks that cannot be trained
        dense = GgufConfig(dequantize=True)
        model = AutoModelForCausalLM.from_pretrained(
            gguf_file.parent, gguf_file=gguf_file.name, quantization_config=dense
        )
        model.save_pretrained(staging, safe_serialization=True)
        AutoTokenizer.from_pretrained(gguf_file.parent, gguf_file=gguf_file.name).save_pretrained(staging)
        os.chmod(staging, 0o755)  # mkdtemp's folder is private; the cache serves every job of a sweep
        os.rename(staging, folder)
    except OSError:
        if not (folder / "config.json").is_file():
            raise
        # another run finished the same folder first: use theirs
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder
