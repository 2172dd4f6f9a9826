import importlib
import os
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from rmexp import CONFIG_DIR

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

# A lab small enough to generate in well under a second.
SMALL_LAB = ["data.lab.num_prompts=60", "data.lab.vocab_size=50"]
# A lab the tiny model learns in a few seconds on two cores: two topics, a small vocabulary, short responses.
LEARNABLE_LAB = [
    "data.lab.num_topics=2",
    "data.lab.vocab_size=60",
    "data.lab.num_prompts=400",
    "data.lab.length_max=16",
]
# Imported when first run, so that tests which run none do not pay for Lightning's import.
ENTRY_POINTS = {
    "train": "rmexp.train",
    "eval": "rmexp.evaluate",
    "score": "rmexp.score",
    "compare": "rmexp.compare.cli",
    "bon": "rmexp.bon.command",
}


@pytest.fixture
def compose_train(tmp_path):
    """Compose conf/train.yaml as the CLI would, with the run folder in a temporary directory."""

    def _compose(*overrides: str) -> DictConfig:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            return compose("train", overrides=[f"paths.output_dir={tmp_path}", *overrides])

    return _compose


@pytest.fixture
def untrained_run(tmp_path, compose_train) -> Path:
    """A run folder as rmexp-train leaves one (resolved config.yaml, checkpoints/last.ckpt), without training:
    the tiny model's initial weights, for the tests of what reading a run folder does."""
    import torch
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    run_dir = tmp_path / "run"
    (run_dir / "checkpoints").mkdir(parents=True)
    cfg = compose_train(*SMALL_LAB, "logger=none")
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    model = instantiate(cfg.model.reward_model, tokenizer=instantiate(cfg.model.tokenizer))
    state = {f"model.{key}": value for key, value in model.state_dict().items()}
    torch.save({"state_dict": state}, run_dir / "checkpoints" / "last.ckpt")
    return run_dir


def run_entry_point(name: str, args: list[str], capfd=None) -> tuple[int, str]:
    """(exit code, stderr) of `rmexp-<name> args...`, run in this process; stderr only where `capfd` captures it."""
    code, _, stderr = run_command(name, args, capfd)
    return code, stderr


def run_command(name: str, args: list[str], capfd=None) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `rmexp-<name> args...`, run in this process; the output where `capfd` captures it.

    It calls the installed entry point (`cli`, which maps a command line Hydra cannot compose to exit 2),
    with Hydra's state of any earlier run cleared, as a new process would start: the tests of what a command
    prints and writes need no process of their own (and its seconds of imports).
    """
    saved_argv = sys.argv
    sys.argv = [f"rmexp-{name}", *args]
    GlobalHydra.instance().clear()
    HydraConfig.instance().cfg = None
    module = importlib.import_module(ENTRY_POINTS[name])
    try:
        getattr(module, "cli", module.main)()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.argv = saved_argv
        GlobalHydra.instance().clear()
    output = capfd.readouterr() if capfd else None
    return code, output.out if output else "", output.err if output else ""


def folder_contents(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` and its bytes: equal before and after means nothing there changed."""
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


# A quick run: one epoch, no logger, no progress bar, no export, no intervals.
QUICK = [
    "logger=none",
    "trainer.max_epochs=1",
    "trainer.enable_progress_bar=false",
    "export=false",
    "bootstrap_samples=0",
]


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory) -> Path:
    """One finished tiny run with its export, shared by the tests that need a trained model and leave it as it is."""
    folder = tmp_path_factory.mktemp("run")
    code, _ = run_entry_point("train", [*SMALL_LAB, *QUICK, "export=true", f"hydra.run.dir={folder}"])
    assert code == 0
    return folder
