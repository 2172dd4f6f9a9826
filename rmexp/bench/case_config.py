"""One run of a bench case, and the composed rmexp training config that both systems read it through.

Both runners take the same `CaseRun` and read the same composed config, so TRL gets the backbone,
data, tokenizer, batch size, max length, seed, precision and optimiser settings rmexp trains with.
"""

from dataclasses import dataclass

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from rmexp import CONFIG_DIR


@dataclass(frozen=True)
class CaseRun:
    """`train`: overrides of conf/train.yaml (model, data); `steps` -1: one epoch.

    `score`: score the test pairs after training, the first `score_pairs` of them (None: all).
    `device`: where both systems train and score (`cpu`, `cuda`, `mps`), resolved by the bench.
    """

    train: list[str]
    steps: int
    warmup_steps: int
    batch_size: int
    max_length: int
    learning_rate: float
    seed: int
    precision: str
    score: bool = False
    score_batch_size: int = 32
    score_pairs: int | None = None
    device: str = "cpu"


ACCELERATORS = {"cpu": "cpu", "cuda": "gpu", "mps": "mps"}  # a torch device type as Lightning names it


def case_config(run: CaseRun, output_dir: str) -> DictConfig:
    overrides = [
        *run.train,
        f"data.batch_size={run.batch_size}",
        f"data.max_length={run.max_length}",
        f"optimizer.lr={run.learning_rate}",
        f"seed={run.seed}",
        f"trainer.precision={run.precision}",
        f"trainer.accelerator={ACCELERATORS[run.device]}",
        "logger=none",
        "callbacks=none",
        f"paths.output_dir={output_dir}",
    ]
    if GlobalHydra.instance().is_initialized():  # inside the bench's own Hydra app
        return compose("train", overrides=overrides)
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("train", overrides=overrides)
