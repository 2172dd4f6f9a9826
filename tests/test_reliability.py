"""Runs that are killed, interrupted or diverge: exact resume, a summary that says why, no lost results."""

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rmexp.lifecycle import RunStopped
from rmexp.train import train

from .conftest import QUICK, REPO_ROOT, SMALL_LAB, folder_contents, run_entry_point

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out

# Small steps and enough of them that a signal lands inside an epoch, not after the run.
SLOW_LAB = [
    "data.lab.num_topics=2",
    "data.lab.vocab_size=60",
    "data.lab.num_prompts=120",
    "data.lab.length_max=12",
    "data.batch_size=8",
    "trainer.max_epochs=2",
    "trainer.enable_progress_bar=false",
    "export=false",
    "bootstrap_samples=0",
]
QUIET = ["callbacks.model_summary=null"]
# One short epoch: for the tests that need a finished run, not a long one.
ONE_EPOCH = [*SMALL_LAB, *QUICK]


def start_cli(run_dir: Path, *overrides: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "rmexp.train", *overrides, f"hydra.run.dir={run_dir}"]
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true"}
    # Ctrl-C as a terminal sends it: a shell's background job starts with SIGINT ignored, which Python then keeps
    default_sigint = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)  # noqa: E731
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_sigint)  # fmt: skip


def interrupt_after_first_epoch(run_dir: Path, sig: signal.Signals, *overrides: str) -> tuple[int, str]:
    """Start a run, send `sig` once its first epoch's checkpoint is on disk, return (exit code, stderr)."""
    process = start_cli(run_dir, *overrides)
    checkpoint = run_dir / "checkpoints" / "last.ckpt"
    deadline = time.time() + 300
    while not checkpoint.is_file() and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict:
    """The reference, run in this process: only the interrupted run needs one of its own, to be killed."""
    run_dir = tmp_path_factory.mktemp("whole")
    code, _ = run_entry_point("train", [*SLOW_LAB, *QUIET, "logger=none", f"hydra.run.dir={run_dir}"])
    assert code == 0
    return json.loads((run_dir / "summary.json").read_text())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_run_resumes_to_the_metrics_of_the_uninterrupted_one(uninterrupted, tmp_path, capfd, sig):
    run_dir = tmp_path / "run"
    logger = ["logger=wandb"] if sig == signal.SIGTERM else ["logger=none"]
    code, stderr = interrupt_after_first_epoch(run_dir, sig, *SLOW_LAB, *QUIET, *logger)
    stopped = json.loads((run_dir / "summary.json").read_text())
    if sig == signal.SIGTERM:  # a cluster's pre-emption: Lightning stops after the batch, the summary says so
        assert code == 143, stderr[-2000:]
        assert stopped["status"] == "interrupted" and "resume=" in stopped["error"]
        assert "Traceback" not in stderr
    else:  # nothing runs after SIGKILL: the summary still says the run never finished
        assert code == -signal.SIGKILL
        assert stopped["status"] == "running"

    code, stderr = run_entry_point("train", [f"resume={run_dir}", f"hydra.run.dir={tmp_path / 'resume-log'}"], capfd)
    assert code == 0, stderr[-2000:]
    resumed = json.loads((run_dir / "summary.json").read_text())
    assert resumed["status"] == "completed"
    assert resumed["overrides"] == stopped["overrides"]  # the run's own, not the resume command's
    for name, value in uninterrupted["metrics"].items():
        if name.startswith(("val/", "test/")):
            assert resumed["metrics"][name] == pytest.approx(value, abs=1e-6), name
    if sig == signal.SIGTERM:  # one W&B run, continued: both parts logged under the id kept in the run folder
        run_id = (run_dir / "wandb_run_id").read_text()
        assert len(list((run_dir / "wandb").glob(f"offline-run-*-{run_id}"))) == 2


def test_resume_names_what_is_missing(tmp_path, capfd):
    arguments = [f"resume={tmp_path / 'nowhere'}", f"hydra.run.dir={tmp_path / 'log'}"]
    code, stderr = run_entry_point("train", arguments, capfd)
    assert code == 2
    assert f"resume={tmp_path / 'nowhere'}: {tmp_path / 'nowhere' / 'config.yaml'} does not exist" in stderr
    assert "Traceback" not in stderr


def test_ctrl_c_writes_a_summary_marked_interrupted(tmp_path):
    run_dir = tmp_path / "run"
    code, stderr = interrupt_after_first_epoch(run_dir, signal.SIGINT, *SLOW_LAB, *QUIET, "logger=none")
    assert code == 130, stderr[-2000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "interrupted" and "Ctrl-C" in summary["error"]
    assert summary["last_checkpoint"].endswith("last.ckpt")


def test_a_diverging_loss_stops_the_run_naming_the_step(compose_train, tmp_path):
    cfg = compose_train(*SLOW_LAB, "logger=none", "callbacks=none", "loss=pointwise_mse", "optimizer.lr=1e30")
    with pytest.raises(RunStopped) as stop:
        train(cfg, tmp_path)
    assert stop.value.status == "diverged"
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "diverged"
    assert "the training loss is" in summary["error"] and "at step" in summary["error"] and "batch" in summary["error"]


@pytest.fixture(scope="module")
def completed_run(tmp_path_factory) -> Path:
    """A finished one-epoch run; tests resume copies of it."""
    folder = tmp_path_factory.mktemp("completed")
    code, _ = run_entry_point("train", [*ONE_EPOCH, *QUIET, f"hydra.run.dir={folder}"])
    assert code == 0
    return folder


def test_resuming_a_copy_writes_only_into_the_copy(tmp_path, capfd):
    original, copy = tmp_path / "original", tmp_path / "copy"
    code, stderr = run_entry_point("train", [*ONE_EPOCH, *QUIET, f"hydra.run.dir={original}"], capfd)
    assert code == 0, stderr[-2000:]
    shutil.copytree(original, copy)
    before = folder_contents(original)

    resume = ["trainer.max_epochs=2", f"hydra.run.dir={tmp_path / 'log'}"]
    code, stderr = run_entry_point("train", [f"resume={copy}", *resume], capfd)
    assert code == 0, stderr[-2000:]
    assert folder_contents(original) == before
    for record in ("summary.json", "config.yaml"):
        assert str(original) not in (copy / record).read_text(), record
    resumed = json.loads((copy / "summary.json").read_text())
    assert Path(resumed["best_checkpoint"]).parent == copy / "checkpoints"

    # the copy ends as the original does when it is resumed in place: the same checkpoints kept, the same metrics
    code, stderr = run_entry_point("train", [f"resume={original}", *resume], capfd)
    assert code == 0, stderr[-2000:]
    in_place = json.loads((original / "summary.json").read_text())
    assert sorted(os.listdir(copy / "checkpoints")) == sorted(os.listdir(original / "checkpoints"))
    assert Path(resumed["best_checkpoint"]).name == Path(in_place["best_checkpoint"]).name
    assert resumed["metrics"] == pytest.approx(in_place["metrics"], abs=1e-6)


def test_sigterm_during_set_up_ends_the_run_interrupted(tmp_path):
    # SIGTERM sent from inside the set-up (building the model), so that it lands there and nowhere else
    script = (
        "import os, signal, sys\n"
        "import rmexp.train as train\n"
        "built = train.build\n"
        "def build_then_sigterm(cfg):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    return built(cfg)\n"
        "train.build = build_then_sigterm\n"
        "sys.argv = ['rmexp-train', *sys.argv[1:]]\n"
        "train.main()\n"
    )
    command = [sys.executable, "-c", script, *ONE_EPOCH, f"hydra.run.dir={tmp_path}"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert result.returncode == 143, result.stderr[-2000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "interrupted" and "SIGTERM" in summary["error"]
    assert "Traceback" not in result.stderr


def test_a_full_disk_during_a_resume_keeps_what_the_run_had(completed_run, tmp_path):
    run_dir = shutil.copytree(completed_run, tmp_path / "run")
    completed = json.loads((run_dir / "summary.json").read_text())
    last = (run_dir / "checkpoints" / "last.ckpt").read_bytes()

    # a process may write no file larger than 1 MB: the next checkpoint (5 MB) fails part-written, as on a full disk
    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (2**20, 2**20))

    command = [sys.executable, "-m", "rmexp.train", f"resume={run_dir}", "trainer.max_epochs=2",
               f"hydra.run.dir={tmp_path / 'log'}"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=300, preexec_fn=small_files)
    assert result.returncode == 2, result.stderr[-2000:]
    assert re.search(rf"{run_dir / 'checkpoints'}/\S+\.ckpt: File too large", result.stderr), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not [path for path in run_dir.rglob("*") if path.name.endswith((".tmp", ".partial"))]
    assert (run_dir / "checkpoints" / "last.ckpt").read_bytes() == last
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "failed" and "File too large" in summary["error"]
    assert summary["before_resume"]["status"] == "completed"
    assert summary["before_resume"]["metrics"] == completed["metrics"]


def test_validation_and_test_metrics_are_of_the_same_checkpoint(compose_train, tmp_path):
    # the checkpoint kept is the one with the highest validation loss: the first epoch, not the last
    cfg = compose_train(*ONE_EPOCH, "trainer.max_epochs=2", "callbacks.checkpoint.mode=max", *QUIET)
    summary = train(cfg, tmp_path)
    best = Path(summary["best_checkpoint"]).name
    assert best.startswith("epoch00-")
    assert summary["metrics"]["val/loss"] == pytest.approx(float(best.split("val_loss")[1][:-5]), abs=1e-4)
