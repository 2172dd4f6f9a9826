"""Every config group checked at the boundary: a bad value or an unknown key exits 2 with one line naming the key,
the value and what was expected, before anything is built (rmexp/config_checks.py)."""

import json
import typing

import pytest
from lightning_fabric.connector import _PRECISION_INPUT

from rmexp.config_checks import Precision
from rmexp.lifecycle import RunStopped
from rmexp.train import train

from .conftest import QUICK, SMALL_LAB, run_entry_point

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

TRAIN_CASES = [
    ("lr not a number", ["optimizer.lr=abc"], "optimizer.lr='abc': expected a finite number > 0"),
    ("negative lr", ["optimizer.lr=-1"], "optimizer.lr=-1: expected a finite number > 0"),
    ("infinite lr", ["optimizer.lr=inf"], "optimizer.lr=inf: expected a finite number > 0"),
    ("one beta", ["optimizer.betas=[0.9]"], "optimizer.betas=[0.9]: expected two numbers in [0, 1)"),
    ("negative weight decay", ["optimizer.weight_decay=-0.1"], "optimizer.weight_decay=-0.1: expected"),
    (
        "unknown optimizer key",
        ["+optimizer.lrr=1"],
        "optimizer.lrr=1: torch.optim.AdamW has no such argument; did you mean optimizer.lr?",
    ),
    (
        "epochs not a number",
        ["trainer.max_epochs=abc"],
        "trainer.max_epochs='abc': expected a whole number >= 1, or -1",
    ),
    ("zero epochs", ["trainer.max_epochs=0"], "trainer.max_epochs=0: expected a whole number >= 1"),
    ("seed not a number", ["seed=abc"], "seed='abc': expected a whole number"),
    ("negative clip", ["trainer.gradient_clip_val=-1"], "trainer.gradient_clip_val=-1: expected a finite number >= 0"),
    ("unknown precision", ["trainer.precision=33"], "trainer.precision=33: expected one of Lightning's precisions"),
    ("devices not a count", ["trainer.devices=abc"], "trainer.devices='abc': expected a number of devices"),
    (
        "log every zero steps",
        ["trainer.log_every_n_steps=0"],
        "trainer.log_every_n_steps=0: expected a whole number >= 1",
    ),
    (
        "misspelt trainer key",
        ["+trainer.max_epoch=2"],
        "trainer.max_epoch=2: pytorch_lightning.Trainer has no such argument; did you mean trainer.max_epochs?",
    ),
    (
        "warm-up over the run",
        ["scheduler.warmup_fraction=2"],
        "scheduler.warmup_fraction=2: expected a fraction of the training steps, in [0, 1]",
    ),
    (
        "no layers",
        ["model.reward_model.num_layers=0"],
        "model.reward_model.num_layers: Input should be greater than or equal to 1",
    ),
    (
        "no heads",
        ["model.reward_model.num_heads=0"],
        "model.reward_model.num_heads: Input should be greater than or equal to 1",
    ),
    (
        "heads do not divide",
        ["model.reward_model.num_heads=3"],
        "model.reward_model.hidden_size=64 with num_heads=3: expected",
    ),
    ("infinite lab knob", ["data.lab.beta_len=inf"], "data.lab.beta_len: Input should be a finite number"),
    ("NaN lab knob", ["data.lab.noise_std=nan"], "data.lab.noise_std: Input should be a finite number"),
    (
        "empty validation split",
        ["data.lab.val_fraction=0.001"],
        "val_fraction=0.001 of num_prompts=60 leaves the validation split empty",
    ),
    ("push without an export", ["push_to_hub=my-lab/rm-bt"], "push_to_hub=my-lab/rm-bt with export=false"),
    ("artifact without W&B", ["export=true", "export_artifact=true"], "export_artifact=true logs the export to W&B"),
    (
        "push to a name that is no repository",
        ["export=true", "push_to_hub=rm-bt"],
        "push_to_hub='rm-bt': expected a hub model repository as <owner>/<name>",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), [c[1:] for c in TRAIN_CASES], ids=[c[0] for c in TRAIN_CASES])
def test_train_refuses_a_bad_setting_naming_its_key(tmp_path, capfd, overrides, expected):
    code, stderr = run_entry_point("train", [*SMALL_LAB, *QUICK, *overrides, f"hydra.run.dir={tmp_path}"], capfd)
    assert code == 2, stderr[-1500:]
    assert expected in stderr, stderr[-1500:]
    assert "Traceback" not in stderr
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "failed"


def test_a_bad_setting_fails_before_anything_is_built(tmp_path, capfd):
    code, _ = run_entry_point(
        "train", [*SMALL_LAB, *QUICK, "trainer.max_epochs=abc", f"hydra.run.dir={tmp_path}"], capfd
    )
    assert code == 2
    assert not (tmp_path / "checkpoints").exists()


def test_the_precisions_accepted_are_lightnings():
    lightnings = {value for literal in typing.get_args(_PRECISION_INPUT) for value in typing.get_args(literal)}
    assert set(typing.get_args(Precision)) == lightnings


def test_bon_refuses_a_bad_batch_size_before_training(tmp_path, capfd, monkeypatch):
    args = [*SMALL_LAB, *QUICK, "bon.batch_size=0", f"hydra.run.dir={tmp_path}"]
    code, stderr = run_entry_point("bon", args, capfd)
    assert code == 2
    assert "bon.batch_size=0: expected a whole number >= 1" in stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "checkpoints").exists()  # refused before it trained a model


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("seed=abc", "seed='abc': expected a whole number"),
        ("progress_bar=maybe", "progress_bar='maybe': expected true or false"),
    ],
)
def test_eval_refuses_a_key_of_the_wrong_kind(run_dir, tmp_path, capfd, override, expected):  # noqa: F811
    args = [*SMALL_LAB, f"reward_model={run_dir}", override, f"hydra.run.dir={tmp_path}"]
    code, stderr = run_entry_point("eval", args, capfd)
    assert code == 2
    assert expected in stderr
    assert "Traceback" not in stderr


SCORE_CASES = [
    ("max length too small", ["max_length=2"], "max_length=2: expected a whole number of tokens > 4"),
    ("batch size not a number", ["batch_size=abc"], "batch_size='abc': expected a whole number >= 1"),
    ("output folder missing", ["output={tmp}/nowhere/scored.jsonl"], "output={tmp}/nowhere/scored.jsonl: the folder"),
]


@pytest.mark.parametrize(("overrides", "expected"), [c[1:] for c in SCORE_CASES], ids=[c[0] for c in SCORE_CASES])
def test_score_refuses_a_bad_setting_and_leaves_nothing_behind(run_dir, tmp_path, capfd, overrides, expected):  # noqa: F811
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"prompt": "a question", "response": "an answer"}) + "\n")
    overrides = [override.format(tmp=tmp_path) for override in overrides]
    code, stderr = run_entry_point("score", [f"reward_model={run_dir}", f"input={rows}", *overrides], capfd)
    assert code == 2, stderr[-1500:]
    assert expected.format(tmp=tmp_path) in stderr
    assert "Traceback" not in stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["rows.jsonl"]  # no output, no .tmp


def test_a_divergence_before_the_first_checkpoint_says_none_was_saved(compose_train, tmp_path):
    cfg = compose_train(*SMALL_LAB, "logger=none", "loss=pointwise_mse", "optimizer.lr=1e30",
                        "trainer.enable_progress_bar=false", "export=false")  # fmt: skip
    with pytest.raises(RunStopped) as stop:
        train(cfg, tmp_path)
    assert stop.value.status == "diverged"
    assert "no checkpoint was saved before it" in str(stop.value)
    assert "the last good checkpoint is kept" not in str(stop.value)
