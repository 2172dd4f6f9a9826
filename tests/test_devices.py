"""Devices: `auto` takes what the machine has; a device it lacks is a one-line mistake, before any model loads."""

import pytest
import torch

from rmexp import devices
from rmexp.devices import resolve_device
from rmexp.errors import UserError

from .conftest import QUICK, SMALL_LAB, run_entry_point
from .test_bad_inputs import write

no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
no_mps = pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has Apple's MPS")


def test_auto_is_a_gpu_where_there_is_one_else_the_cpu():
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name", ["banana", "tpu", "cuda:x", ""])
def test_a_device_torch_does_not_know_is_named_with_what_is_expected(name):
    with pytest.raises(UserError, match=f"device={name!r}: expected auto, cpu, cuda, cuda:<index> or mps"):
        resolve_device(name)


@no_gpu
def test_cuda_without_a_gpu_says_why_and_what_to_use_instead():
    with pytest.raises(UserError) as refused:
        resolve_device("cuda:0", key="bon.device")
    message = str(refused.value)
    assert message.startswith("bon.device=cuda:0: no CUDA GPU; torch ")
    assert message.endswith("use bon.device=cpu or bon.device=auto")


@pytest.mark.parametrize(
    ("trainer", "refusal"),
    [
        pytest.param("gpu", "trainer.accelerator=gpu: no CUDA GPU; torch ", marks=no_gpu, id="cuda"),
        pytest.param(
            "mps", "trainer.accelerator=mps: Apple's MPS is not available here (torch ", marks=no_mps, id="mps"
        ),
    ],
)
def test_training_on_an_accelerator_the_machine_lacks_stops_before_building_with_the_way_out(
    tmp_path, capfd, trainer, refusal
):
    code, stderr = run_entry_point(
        "train", [f"trainer={trainer}", *SMALL_LAB, *QUICK, f"hydra.run.dir={tmp_path}"], capfd
    )
    assert code == 2
    assert f"error: {refusal}" in stderr
    assert "train with trainer=cpu, or trainer=auto to take a GPU wherever there is one" in stderr
    assert "Traceback" not in stderr
    assert not (tmp_path / "checkpoints").exists()


def test_trainer_mps_composes_on_the_cpu_trainer(compose_train):
    trainer = compose_train("trainer=mps").trainer
    assert (trainer.accelerator, trainer.devices, trainer.precision) == ("mps", 1, "32-true")


def test_trainer_auto_trains_on_what_there_is(compose_train, tmp_path):
    from rmexp.train import train

    summary = train(compose_train("trainer=auto", *SMALL_LAB, *QUICK), tmp_path)
    assert summary["status"] == "completed"


@pytest.mark.parametrize("command", ["eval", "score", "bon"])
def test_every_scoring_command_refuses_an_unknown_device_before_loading_a_model(tmp_path, capfd, command):
    rows = write(tmp_path / "rows.jsonl", [{"prompt": "p", "response": "r"}])
    key = "bon.device" if command == "bon" else "device"
    args = {
        "eval": ["reward_model=not_loaded", "device=banana", *SMALL_LAB],
        "score": ["reward_model=not_loaded", f"input={rows}", "device=banana"],
        "bon": ["bon.device=banana", *SMALL_LAB, *QUICK],
    }[command]
    code, stderr = run_entry_point(command, [*args, f"hydra.run.dir={tmp_path / 'out'}"], capfd)
    assert code == 2
    assert f"error: {key}='banana': expected auto, cpu, cuda, cuda:<index> or mps" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("accelerator", "precision", "emulated", "warned"),
    [
        ("cpu", "bf16-mixed", True, True),
        ("auto", "bf16-true", True, not torch.cuda.is_available()),
        ("cpu", "bf16-mixed", False, False),  # AVX-512 or AMX: bf16 runs natively
        ("cpu", "32-true", True, False),
    ],
)
def test_bf16_on_a_cpu_that_only_emulates_it_is_warned_of_with_the_way_out(
    monkeypatch, accelerator, precision, emulated, warned
):
    monkeypatch.setattr(devices, "cpu_emulates_bf16", lambda: emulated)
    warning = devices.slow_precision(accelerator, precision)
    assert (warning is not None) == warned
    if warned:
        assert f"trainer.precision={precision}" in warning and "trainer.precision=32-true" in warning


def test_the_emulation_check_agrees_with_this_cpu():
    """oneDNN runs bf16 natively from AVX-512 on; a CPU with AVX2 at most emulates it."""
    capability = torch.backends.cpu.get_cpu_capability()
    assert devices.cpu_emulates_bf16() == (capability in ("DEFAULT", "NO AVX", "AVX2"))
