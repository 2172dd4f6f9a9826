"""What rmexp runs from the files it is handed: nothing of theirs.

A run folder's config.yaml builds only the targets of rmexp's own config tree; an export loads
safetensors and no code of its own; a data folder is read as data. (A tokenization cache entry is
JSON: tests/data/test_file_datamodule.py replaces one with a pickle that would run code.)
"""

import contextlib
import json
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf

from rmexp import CONFIG_DIR
from rmexp.data.readers import read_splits
from rmexp.errors import UserError
from rmexp.export import export_reward_model, load_reward_model
from rmexp.run_folder import config_tree_targets, is_target, load_run_config, walk

from .conftest import SMALL_LAB

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

CREATES_MARKER = "open({marker!r}, 'w').close()\n"


def with_config_node(run_dir: Path, key: str, node) -> Path:
    config = OmegaConf.load(run_dir / "config.yaml")
    OmegaConf.update(config, key, node, merge=False)
    OmegaConf.save(config, run_dir / "config.yaml")
    return run_dir / "config.yaml"


@pytest.mark.parametrize(
    ("key", "node"),
    [
        ("model.tokenizer", {"_target_": "builtins.open", "file": "{marker}", "mode": "w"}),
        ("data.lab", {"_target_": "os.system", "command": "touch {marker}"}),
        ("loss.loss_fn", {"_target_": "builtins.exec", "_args_": ["open({marker!r}, 'w')"], "_partial_": True}),
    ],
    ids=["tokenizer", "data", "nested"],
)
def test_a_run_folders_config_builds_no_code_of_its_own(untrained_run, tmp_path, key, node):
    marker = tmp_path / "code_ran"
    node = json.loads(json.dumps(node).replace("{marker!r}", repr(str(marker))).replace("{marker}", str(marker)))
    config_file = with_config_node(untrained_run, key, node)
    with pytest.raises(UserError, match=rf"config.yaml: {key}._target_='{node['_target_']}' is not built"):
        load_reward_model(untrained_run)
    with pytest.raises(UserError, match="is not built from a run folder"):
        load_run_config(config_file)
    assert not marker.exists()


def test_an_interpolation_in_a_run_folders_config_is_refused(untrained_run):
    config_file = with_config_node(untrained_run, "model.tokenizer.vocab_size", "${oc.env:HOME}")
    with pytest.raises(UserError, match=r"model.tokenizer.vocab_size='\$\{oc.env:HOME\}' is an interpolation"):
        load_run_config(config_file)


def test_every_target_of_every_option_of_the_config_tree_may_be_built_from_a_run(untrained_run):
    allowed = config_tree_targets()
    not_options = ("hydra", "paths", "bench_mode", "base")  # base: partials that every option of a group includes
    options = [(group.name, option.stem) for group in Path(CONFIG_DIR).iterdir() if group.is_dir()
               and group.name not in not_options for option in group.glob("*.yaml")]  # fmt: skip
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        for group, option in options:
            cfg = compose("bon", overrides=[f"{group}={option}", "paths.output_dir=."])
            targets = {value for key, value in walk(OmegaConf.to_container(cfg)) if is_target(key)}
            assert targets <= allowed, f"{group}={option}: {targets - allowed}"
    assert {"rmexp.models.tiny.tiny_reward_model", "torch.optim.AdamW"} <= allowed
    assert not {"builtins.open", "os.system", "subprocess.run"} & allowed
    load_run_config(untrained_run / "config.yaml")  # a run's own config is accepted as it is


def test_an_export_runs_no_code_of_its_own(compose_train, tmp_path):
    cfg = compose_train(*SMALL_LAB)
    tokenizer = instantiate(cfg.model.tokenizer)
    folder = export_reward_model(instantiate(cfg.model.reward_model, tokenizer=tokenizer), tokenizer, tmp_path / "rm")
    marker = tmp_path / "code_ran"
    (folder / "remote.py").write_text(CREATES_MARKER.format(marker=str(marker)))
    for name, classes in (("config.json", ["AutoConfig", "AutoModelForSequenceClassification"]),
                          ("tokenizer_config.json", ["AutoTokenizer"])):  # fmt: skip
        config = json.loads((folder / name).read_text())
        config["auto_map"] = {kind: "remote.Anything" if kind != "AutoTokenizer" else ["remote.Anything", None]
                              for kind in classes}  # fmt: skip
        (folder / name).write_text(json.dumps(config))
    with contextlib.suppress(UserError):  # refusing the folder is as good as ignoring its code
        load_reward_model(folder)
    assert not marker.exists()


def test_a_data_folder_runs_no_loading_script(tmp_path):
    folder, marker = tmp_path / "pairs", tmp_path / "code_ran"
    folder.mkdir()
    (folder / "pairs.py").write_text(CREATES_MARKER.format(marker=str(marker)))  # a datasets loading script
    (folder / "train.jsonl").write_text(json.dumps({"prompt": "p", "chosen": "a", "rejected": "b"}) + "\n")
    with contextlib.suppress(UserError):
        read_splits(folder, cache_dir=tmp_path / "cache")
    assert not marker.exists()
