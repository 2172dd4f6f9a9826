import os
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from rmexp import CONFIG_DIR

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

# A lab small enough to generate in well under a second.
SMALL_LAB = ["data.lab.num_prompts=60", "data.lab.vocab_size=50"]


@pytest.fixture
def compose_train(tmp_path):
    """Compose conf/train.yaml as the CLI would, with the run folder in a temporary directory."""

    def _compose(*overrides: str) -> DictConfig:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            return compose("train", overrides=[f"paths.output_dir={tmp_path}", *overrides])

    return _compose
