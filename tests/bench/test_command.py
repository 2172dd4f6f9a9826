"""The bench's command: each job in a fresh process, and cases skipped for missing data.

The whole command (`make bench ARGS=bench_mode=quick`) takes minutes; its parts are tested here and in
test_runners.py.
"""

import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from rmexp import CONFIG_DIR
from rmexp.bench.batch_sweep import OutOfMemory
from rmexp.bench.command import Jobs, bench_device, describe_device, missing_data, native_precision, report_markdown
from rmexp.bench.tables import summarise_case
from rmexp.bench.worker import out_of_memory
from rmexp.errors import UserError

from .test_tables import SCORED, run

pytestmark = pytest.mark.e2e  # a whole command, a trained model or a process: make test-fast leaves it out


def compose_bench(*overrides: str):
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose("bench", overrides=list(overrides))


def run_out_of_memory() -> dict:
    """A job whose training ran out of the device's memory, wrapped as Lightning and Hydra wrap errors."""
    try:
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB.\nGPU 0 has a total capacity")
    except torch.OutOfMemoryError as error:
        raise RuntimeError("the training loop stopped") from error


def test_a_job_runs_in_its_own_process_and_reports_its_peak_memory(tmp_path):
    jobs = Jobs(tmp_path, threads=1)
    peaks = jobs.run({"_target_": "rmexp.bench.gemm.matmul_peaks", "size": 64, "seconds": 0.01})
    assert peaks["float32"] > 0 and peaks["bfloat16"] > 0
    assert peaks["peak_memory_mib"] > 50  # a process that imported torch
    assert (tmp_path / "001.job.json").is_file() and (tmp_path / "001.log").is_file()
    with pytest.raises(UserError, match=r"rmexp.bench.gemm.matmul_peaks failed \(exit 1; log .*002.log\)"):
        jobs.run({"_target_": "rmexp.bench.gemm.matmul_peaks", "size": "not a size"})
    with pytest.raises(OutOfMemory, match=r"^out of memory: CUDA out of memory. Tried to allocate 2.00 GiB.$"):
        jobs.run({"_target_": "tests.bench.test_command.run_out_of_memory"})


def test_out_of_memory_is_found_under_the_errors_that_wrap_it():
    with pytest.raises(RuntimeError) as stopped:
        run_out_of_memory()
    assert out_of_memory(stopped.value) == "CUDA out of memory. Tried to allocate 2.00 GiB."
    assert out_of_memory(RuntimeError("another failure")) is None


def test_a_case_whose_data_file_is_absent_is_skipped_with_the_reason(tmp_path):
    cfg = OmegaConf.create({"batch_size": 8, "max_length": 256, "seed": 0, "precision": "32-true"})
    absent = tmp_path / "absent.jsonl.gz"
    case = OmegaConf.create({"train": ["model=tiny", "data=hh_rlhf", f"data.path={absent}"]})
    assert missing_data(cfg, case) == f"{absent} is absent"
    assert missing_data(cfg, OmegaConf.create({"train": ["model=tiny", "data=synthetic"]})) is None


def test_a_case_whose_model_folder_is_absent_is_skipped_with_the_reason(tmp_path):
    """On a GPU machine where run.sh has not yet made the random weights under $MODELS."""
    cfg = OmegaConf.create({"batch_size": 8, "max_length": 256, "seed": 0, "precision": "32-true"})
    case = OmegaConf.create({"train": ["model=minilm", f"model.name_or_path={tmp_path}/minilm", "data=synthetic"]})
    assert missing_data(cfg, case) == f"{tmp_path}/minilm is absent"


def a_report(device: str, device_name: str, peaks: dict[str, float], random_weights: bool = False) -> dict:
    summary = summarise_case({"rmexp": [run(20.0, **SCORED)], "trl": [run(10.0, **SCORED)]}, 1e10, random_weights)
    return {
        "machine": {"device": device_name, "date": "2026-12-01 10:30 UTC", "cpu": "a CPU", "cores": 2,
                    "memory_gib": 24.0, "threads": 2, "software": "torch",
                    "load_average": {"start": 0.1, "max": 1.0, "end": 0.5}},
        "matmul_peak": peaks,
        "config": {"device": device, "random_weights": random_weights, "precision": "bf16-mixed", "batch_size": 8,
                   "max_length": 256, "seed": 0,
                   "cases": {"tiny": {"precision": "32-true"}, "minilm": {}, "smollm2": {}}},
        "cases": {"tiny": {"summary": summary}, "minilm": {"summary": summary}, "smollm2": {"skipped": "x is absent"}},
        "scaling": {"failed": "a run failed"},
    }  # fmt: skip


def test_the_report_names_each_case_precision_and_what_was_skipped_or_failed():
    markdown = report_markdown(a_report("cpu", "the CPU", {"float32": 2e11, "bfloat16": 4e11}))
    assert "### tiny (32-true)" in markdown and "### minilm (bf16-mixed)" in markdown
    assert "### smollm2\n\nskipped: x is absent" in markdown
    assert "### Scaling\n\nfailed: a run failed" in markdown
    assert "- device: the CPU; measured 2026-12-01 10:30 UTC" in markdown
    assert "matmul peak on the device (float32 / bfloat16): 200.0 / 400.0 GFLOP/s" in markdown
    assert "| peak memory, MiB |" in markdown and "| 60.0% | 60.0% |" in markdown


@pytest.mark.parametrize(
    ("requested", "peaks", "expected"),
    [
        ("bf16-mixed", {"float32": 1.7e11, "bfloat16": 3.4e8}, "32-true"),  # AVX2 only: bf16 emulated
        ("bf16-mixed", {"float32": 1.9e11, "bfloat16": 4.1e11}, "bf16-mixed"),  # AVX-512 BF16
        ("32-true", {"float32": 1.7e11, "bfloat16": 3.4e8}, "32-true"),
    ],
)
def test_the_bench_runs_bf16_only_where_the_device_multiplies_it_faster_than_float32(requested, peaks, expected):
    precision, note = native_precision(requested, peaks)
    assert precision == expected
    assert (note is None) == (precision == requested)
    if note:
        assert "0.34 GFLOP/s" in note and "170 GFLOP/s" in note
        report = a_report("cpu", "the CPU", peaks) | {"precision_note": note}
        assert f"- {note}" in report_markdown(report)


def test_the_report_names_the_gpu_its_peak_and_memory_and_leaves_out_random_weights_accuracy(monkeypatch):
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA H200")
    h200 = SimpleNamespace(total_memory=140 * 2**30)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda device=None: h200)
    name = describe_device(torch.device("cuda"))
    assert name == f"NVIDIA H200, 140 GiB, CUDA {torch.version.cuda}"
    markdown = report_markdown(a_report("cuda", name, {"float32": 5.1e13, "bfloat16": 7.2e14}, random_weights=True))
    assert f"- device: {name}; measured" in markdown
    assert f"precision bf16-mixed where a case names none, on {name}" in markdown
    assert "matmul peak on the device (float32 / bfloat16): 51.0 / 720.0 TFLOP/s" in markdown
    assert "| peak GPU memory allocated, MiB |" in markdown
    assert "| not reported (random weights) | not reported (random weights) | - |" in markdown
    assert "60.0%" not in markdown


def test_the_device_is_the_cpu_unless_asked_and_a_device_it_cannot_use_is_refused_in_one_line():
    assert compose_bench().device == "cpu"
    assert bench_device("cpu") == torch.device("cpu")
    with pytest.raises(UserError) as refused:
        bench_device("tpu")
    assert str(refused.value) == "device='tpu': expected auto, cpu, cuda, cuda:<index> or mps"
    if torch.cuda.device_count() > 1:  # TRL takes the first visible GPU: an index is refused with the way out
        with pytest.raises(UserError, match="CUDA_VISIBLE_DEVICES=1 with device=cuda"):
            bench_device("cuda:1")


def test_an_unknown_device_stops_the_bench_before_any_job(tmp_path):
    finished = subprocess.run(
        [sys.executable, "-m", "rmexp.bench", "device=tpu", f"hydra.run.dir={tmp_path}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert finished.returncode == 2
    one_line = "error: device='tpu': expected auto, cpu, cuda, cuda:<index> or mps"
    assert finished.stderr.strip().splitlines() == [one_line]
    assert not (tmp_path / "jobs").exists()


def test_bench_mode_gpu_composes_for_the_gpu_machines_random_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("MODELS", str(tmp_path))
    cfg = compose_bench("bench_mode=gpu")
    assert (cfg.device, cfg.random_weights, list(cfg.batch_sizes)) == ("cuda", True, [8, 16, 32, 64])
    assert cfg.batch_size == 8  # TRL's default batch is still the shared figure
    assert cfg.cases.tiny_lab is None and cfg.scaling is None
    assert list(cfg.cases.minilm_hh.train) == ["model=minilm", f"model.name_or_path={tmp_path}/minilm", "data=hh_rlhf"]
    assert list(cfg.cases.smollm2_hh.train)[1] == f"model.name_or_path={tmp_path}/smollm2"
