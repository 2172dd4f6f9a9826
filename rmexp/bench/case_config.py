"""One bench case as a composed rmexp training config: the case's overrides plus the settings both systems share.

Both runners read the same composed config, so TRL gets the backbone, data, tokenizer, batch size,
max length, seed, precision and optimiser settings that rmexp trains with.
"""

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from rmexp import CONFIG_DIR


def case_config(
    train: list[str], batch_size: int, max_length: int, learning_rate: float, seed: int, precision: str, output_dir: str
) -> DictConfig:
    overrides = [
        *train,
        f"data.batch_size={batch_size}",
        f"data.max_length={max_length}",
        f"optimizer.lr={learning_rate}",
        f"seed={seed}",
        f"trainer.precision={precision}",
        "logger=none",
        "callbacks=none",
        f"paths.output_dir={output_dir}",
    ]
    if GlobalHydra.instance().is_initialized():  # inside the bench's own Hydra app
        return compose("train", overrides=overrides)
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("train", overrides=overrides)
