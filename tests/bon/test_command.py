"""rmexp-bon end to end on a tiny lab: train then best-of-n, the same from a run folder or an export, bad input."""

import csv
import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf

from rmexp import CONFIG_DIR
from rmexp.bon.candidates import LabResponseGenerator
from rmexp.bon.command import best_of_n
from rmexp.data.lab import LabSpec, generate
from rmexp.data.splits import SPLITS
from rmexp.errors import UserError

from ..conftest import REPO_ROOT, SMALL_LAB, run_command

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

QUICK = ["bon.num_candidates=16", "logger=none"]
QUICK_TRAINING = ["trainer.max_epochs=1", "trainer.enable_progress_bar=false", "callbacks.progress_bar=null",
                  "callbacks.model_summary=null", "bootstrap_samples=0"]  # fmt: skip


def compose_bon(output_dir, *overrides, lab=tuple(SMALL_LAB)):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("bon", overrides=[f"paths.output_dir={output_dir}", *lab, *QUICK, *overrides])


@pytest.fixture(scope="module")
def trained_then_bon(tmp_path_factory):
    """One tiny training run followed by best-of-n in the same folder, shared by the tests below."""
    run_dir = tmp_path_factory.mktemp("run")
    cfg = compose_bon(run_dir, *QUICK_TRAINING)
    (run_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))  # as rmexp-bon writes it
    return best_of_n(cfg, run_dir), run_dir


def test_training_then_best_of_n_leaves_one_summary_with_both(trained_then_bon):
    summary, run_dir = trained_then_bon
    on_disk = json.loads((run_dir / "summary.json").read_text())
    assert on_disk["status"] == "completed"
    assert "test/gold_accuracy" in on_disk["metrics"]  # training's metrics, kept
    rows = on_disk["best_of_n"]["table"]
    assert [row["n"] for row in rows] == [1, 2, 4, 8, 16]
    metrics = on_disk["metrics"]
    assert metrics["bon/gold_n16"] == rows[-1]["gold"] == metrics["bon/gold_max_n"]
    assert metrics["bon/proxy_gold_gap"] == pytest.approx(rows[-1]["proxy_gold_scale"] - rows[-1]["gold"])
    assert metrics["bon/gold_peak_n"] in (1, 2, 4, 8, 16)
    # n = 1 is a random candidate whatever the RM: the mean gold of the very candidates the generator draws
    lab = generate(LabSpec(num_prompts=60, vocab_size=50, seed=0))
    test_prompts = np.flatnonzero(lab.prompt_split == SPLITS.index("test"))
    assert on_disk["best_of_n"]["prompts"] == len(test_prompts) == 12
    assert rows[0]["gold"] == pytest.approx(LabResponseGenerator(seed=0)(lab, test_prompts, 16).gold.mean())
    with (run_dir / "best_of_n.csv").open() as table:
        assert [float(row["gold"]) for row in csv.DictReader(table)] == pytest.approx([row["gold"] for row in rows])
    for name in ("over_optimisation", "pick_length"):
        assert (run_dir / "plots" / f"bon_{name}.png").stat().st_size > 1000


@pytest.mark.parametrize("source", ["run folder", "export"])
def test_a_trained_model_gives_the_same_curve_as_the_run_that_trained_it(trained_then_bon, tmp_path, source):
    summary, run_dir = trained_then_bon
    model = run_dir if source == "run folder" else run_dir / "export"
    again = best_of_n(compose_bon(tmp_path, f"reward_model={model}"), tmp_path)
    assert again["metrics"].keys() == {key for key in summary["metrics"] if key.startswith("bon/")}
    for key, value in again["metrics"].items():
        assert value == pytest.approx(summary["metrics"][key], abs=1e-4), key


def test_a_run_folder_is_judged_on_its_own_lab_and_seed_without_being_told(trained_then_bon, tmp_path):
    summary, run_dir = trained_then_bon
    again = best_of_n(compose_bon(tmp_path, f"reward_model={run_dir}", lab=()), tmp_path)  # the default lab's keys
    assert again["best_of_n"]["prompts"] == 12  # the run's 60-prompt lab, not the default 2,000
    assert again["judged_on"]["from"] == str(run_dir / "config.yaml") and again["judged_on"]["differs_from_run"] == []
    for key, value in again["metrics"].items():
        assert value == pytest.approx(summary["metrics"][key], abs=1e-4), key


def test_a_lab_other_than_the_training_runs_is_flagged(trained_then_bon, tmp_path, caplog):
    _, run_dir = trained_then_bon
    with caplog.at_level(logging.WARNING):
        again = best_of_n(compose_bon(tmp_path, f"reward_model={run_dir}", "seed=1"), tmp_path, overrides=["seed=1"])
    assert "data.lab.seed=1 (trained: 0)" in caplog.text
    assert again["seed"] == 1 and "data.lab.seed=1 (trained: 0)" in again["judged_on"]["differs_from_run"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["data=jsonl"], "data=rmexp.data.file_datamodule.FileDataModule: best-of-n needs the synthetic lab"),
        (["bon.n_values=[4,32]"], "bon.n_values=[4, 32]: 32 is not a whole number in [1, bon.num_candidates=16]"),
        (["bon.max_prompts=0"], "bon.max_prompts=0: expected a whole number >= 1"),
        (["reward_model=/no/such/run"], "reward_model=/no/such/run: no such file or folder"),
    ],
)
def test_bad_input_is_refused_before_any_work_and_recorded(tmp_path, overrides, message):
    with pytest.raises(UserError) as error:
        best_of_n(compose_bon(tmp_path, *overrides, lab=() if "data=jsonl" in overrides else SMALL_LAB), tmp_path)
    assert message in str(error.value)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "failed" and message in summary["error"]
    assert not (tmp_path / "checkpoints").exists()  # nothing was trained


def test_a_run_folder_without_a_checkpoint_is_refused_and_the_summary_says_so(tmp_path):
    (tmp_path / "empty_run").mkdir()
    with pytest.raises(UserError, match="empty_run: expected an exported model folder"):
        best_of_n(compose_bon(tmp_path, f"reward_model={tmp_path / 'empty_run'}"), tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "failed" and "best-of-n: " in summary["error"] and "empty_run" in summary["error"]


def test_the_cli_prints_the_curve_and_logs_to_wandb(trained_then_bon, tmp_path, capfd):
    _, run_dir = trained_then_bon
    arguments = [*SMALL_LAB, *QUICK, "logger=wandb", f"reward_model={run_dir}", f"hydra.run.dir={tmp_path}"]
    code, stdout, stderr = run_command("bon", arguments, capfd)
    assert code == 0, stderr[-3000:]
    assert "best-of-n: the pick's expected reward" in stdout
    assert list((tmp_path / "wandb").glob("offline-run-*/run-*.wandb"))


def test_in_a_sweep_a_mistake_is_one_line_and_the_other_jobs_go_on(trained_then_bon, tmp_path, capfd):
    _, run_dir = trained_then_bon
    arguments = ["-m", *SMALL_LAB, *QUICK, f"reward_model={run_dir}", "bon.n_values=[64],[16]",
                 f"hydra.sweep.dir={tmp_path}"]  # fmt: skip
    code, _, stderr = run_command("bon", arguments, capfd)
    assert code == 0, stderr[-3000:]
    assert "error: bon.n_values=[64]: 64 is not a whole number in [1, bon.num_candidates=16]" in stderr
    assert "Traceback" not in stderr
    failed, completed = (json.loads((tmp_path / job / "summary.json").read_text()) for job in ("0", "1"))
    assert failed["status"] == "failed" and "bon.n_values=[64]" in failed["error"]
    assert completed["status"] == "completed" and "bon/gold_n16" in completed["metrics"]


def test_sigterm_while_scoring_ends_the_job_interrupted_and_stops_the_sweep(trained_then_bon, tmp_path):
    # as rmexp-train: a job that fails lets the sweep go on, a user who stops it (SIGTERM here) stops it all
    _, run_dir = trained_then_bon
    script = (
        "import os, signal, sys\n"
        "import rmexp.bon.command as command\n"
        "scoring = command.run_best_of_n\n"
        "def sigterm_then_score(*args):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return scoring(*args)\n"
        "command.run_best_of_n = sigterm_then_score\n"
        "sys.argv = ['rmexp-bon', *sys.argv[1:]]\n"
        "command.main()\n"
    )
    command = [sys.executable, "-c", script, "-m", *SMALL_LAB, *QUICK, f"reward_model={run_dir}", "seed=0,1",
               f"hydra.sweep.dir={tmp_path}"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert result.returncode == 143, result.stderr[-3000:]
    assert "interrupted: stopped by SIGTERM" in result.stderr and "Traceback" not in result.stderr
    summary = json.loads((tmp_path / "0" / "summary.json").read_text())
    assert summary["status"] == "interrupted" and "SIGTERM" in summary["error"]
    assert not (tmp_path / "1").exists()


def test_every_generator_option_draws_candidates(tmp_path):
    lab = generate(LabSpec(num_prompts=60, vocab_size=50))
    for option in sorted(path.stem for path in (Path(CONFIG_DIR) / "generator").glob("*.yaml")):
        candidates = instantiate(compose_bon(tmp_path, f"generator={option}").generator)(lab, np.array([0, 1]), 8)
        assert candidates.gold.shape == (2, 8), option
    shifted = instantiate(compose_bon(tmp_path, "generator=length_shifted").generator)(lab, np.array([0]), 64)
    assert shifted.length.min() >= 16 and shifted.length.max() <= 64
