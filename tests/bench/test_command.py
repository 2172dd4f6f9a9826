"""The bench's command: each job in a fresh process, and cases skipped for missing data.

The whole command (`make bench ARGS=bench_mode=quick`) takes minutes; its parts are tested here and in
test_runners.py.
"""

import pytest
from omegaconf import OmegaConf

from rmexp.bench.command import Jobs, missing_data
from rmexp.errors import UserError


def test_a_job_runs_in_its_own_process_and_reports_its_peak_memory(tmp_path):
    jobs = Jobs(tmp_path, threads=1)
    peaks = jobs.run({"_target_": "rmexp.bench.gemm.matmul_peaks", "size": 64, "seconds": 0.01})
    assert peaks["float32"] > 0 and peaks["bfloat16"] > 0
    assert peaks["peak_memory_mib"] > 50  # a process that imported torch
    assert (tmp_path / "001.job.json").is_file() and (tmp_path / "001.log").is_file()
    with pytest.raises(UserError, match=r"rmexp.bench.gemm.matmul_peaks failed \(exit 1; log .*002.log\)"):
        jobs.run({"_target_": "rmexp.bench.gemm.matmul_peaks", "size": "not a size"})


def test_a_case_whose_data_file_is_absent_is_skipped_with_the_reason(tmp_path):
    cfg = OmegaConf.create({"batch_size": 8, "max_length": 256, "seed": 0, "precision": "32-true"})
    absent = tmp_path / "absent.jsonl.gz"
    case = OmegaConf.create({"train": ["model=tiny", "data=hh_rlhf", f"data.path={absent}"]})
    assert missing_data(cfg, case) == f"{absent} is absent"
    assert missing_data(cfg, OmegaConf.create({"train": ["model=tiny", "data=synthetic"]})) is None
