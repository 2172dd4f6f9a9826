"""Imports point down the layers: metrics <- losses <- data, models <- families <- entry points.

A lower layer that imports a higher one ties the pure functions to what builds on them (a metric to
a loss, the data to a model); this test names the import to move.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rmexp"

# rmexp.<top-level name> -> its layer; a module may import its own layer and those below it.
LAYERS = {
    # pure functions and plain helpers every layer may use
    "errors": 0, "metrics": 0, "devices": 0, "summary": 0, "plots": 0, "checkpointing": 0, "loggers": 0,
    "run_folder": 0, "atomic_write": 0, "logger_options": 0,
    "losses": 1,
    "data": 2, "models": 2,
    "modules": 3, "export": 3, "model_card": 3, "hub": 3, "lifecycle": 3,
    # entry points and what only they use
    "evaluate": 4, "train": 4, "resume": 4, "score": 4, "bon": 4, "compare": 4, "bench": 4, "cli": 4,
    "judged_data": 4, "config_checks": 4, "config_tree": 4, "sweep_summary": 4,
}  # fmt: skip


def top_level_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    return relative.parts[0]


def rmexp_imports(path: Path) -> list[tuple[int, str]]:
    """(line, rmexp.<top-level name>) of every import of another rmexp module in the file."""
    imported = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        imported += [(node.lineno, name.split(".")[1]) for name in names if name.startswith("rmexp.")]
    return imported


SOURCES = sorted(path for path in PACKAGE.rglob("*.py") if path.name != "__init__.py" or path.parent != PACKAGE)


def test_every_module_has_a_layer():
    unplaced = {top_level_name(path) for path in SOURCES} - set(LAYERS) - {"__init__", "__main__", "assets"}
    assert not unplaced, f"give these a layer in tests/test_layers.py: {sorted(unplaced)}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_imports_only_point_down(path):
    layer = LAYERS.get(top_level_name(path), 0)
    upward = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports rmexp.{name} (layer {LAYERS[name]} > {layer})"
        for line, name in rmexp_imports(path)
        if LAYERS.get(name, 0) > layer
    ]
    assert not upward, "\n".join(upward)
