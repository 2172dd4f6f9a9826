"""The GPU tier: `make test-gpu` (pytest -m gpu) on a machine with CUDA; skipped without one.

RMEXP_GPU_TIER_ON_CPU=1 runs the same tests on the CPU, to check their logic on a machine without a
GPU; it proves nothing about CUDA.
"""

import os

import pytest
import torch

ON_CPU = os.environ.get("RMEXP_GPU_TIER_ON_CPU") == "1"


@pytest.fixture(scope="session")
def device() -> torch.device:
    """The CUDA device the tier tests; the test is skipped where there is none."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if ON_CPU:
        return torch.device("cpu")
    pytest.skip("no CUDA GPU here (make test-gpu runs this tier on a GPU machine)")


@pytest.fixture(scope="session")
def trainer_overrides(device) -> list[str]:
    """trainer=gpu (one GPU, bf16-mixed), in float32 unless a test asks for bf16."""
    choice = "trainer=gpu" if device.type == "cuda" else "trainer=cpu"
    return [choice, "trainer.precision=32-true"]
