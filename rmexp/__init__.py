"""rmexp: research experiments on reward models for RLHF."""

from pathlib import Path

# The Hydra config tree lives beside the package (an editable install), not inside it.
CONFIG_DIR = str(Path(__file__).resolve().parents[1] / "conf")
