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


def test_the_report_names_each_case_precision_and_what_was_skipped_or_failed():
    from rmexp.bench.command import report_markdown
    from rmexp.bench.tables import summarise_case

    from .test_tables import SCORED, run

    summary = summarise_case({"rmexp": [run(20.0, **SCORED)], "trl": [run(10.0, **SCORED)]}, peak=1e10)
    report = {
        "machine": {"cpu": "a CPU", "cores": 2, "memory_gib": 24.0, "threads": 2, "software": "torch",
                    "load_average": {"start": 0.1, "max": 1.0, "end": 0.5}},
        "matmul_peak": {"float32": 2e11, "bfloat16": 4e11},
        "config": {"precision": "bf16-mixed", "batch_size": 8, "max_length": 256, "seed": 0,
                   "cases": {"tiny": {"precision": "32-true"}, "minilm": {}, "smollm2": {}}},
        "cases": {"tiny": {"summary": summary}, "minilm": {"summary": summary}, "smollm2": {"skipped": "x is absent"}},
        "scaling": {"failed": "a run failed"},
    }  # fmt: skip
    markdown = report_markdown(report)
    assert "### tiny (32-true)" in markdown and "### minilm (bf16-mixed)" in markdown
    assert "### smollm2\n\nskipped: x is absent" in markdown
    assert "### Scaling\n\nfailed: a run failed" in markdown
    assert "matmul peak (float32 / bfloat16): 200.0 / 400.0 GFLOP/s" in markdown
