"""make bench: rmexp and TRL's RewardTrainer side by side on this machine, and how rmexp's cost grows.

python -m rmexp.bench                        # every case, 3 repeats (under 15 minutes on 2 cores)
python -m rmexp.bench bench_mode=quick       # the tiny lab and MiniLM once each (under 2 minutes)
python -m rmexp.bench repeats=5 precision=32-true cases.minilm_hh.steps=80

Every measurement runs in a fresh process (rmexp/bench/worker.py) with the same thread count; the
two systems run back to back, case by case, alternating which goes first, so a change in the
machine's load hits both. The machine's matmul peak is measured in the same invocation. The report
goes to the terminal and to bench.md and bench.json in the run folder, with the machine described.
"""

import json
import os
import platform
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from rmexp import CONFIG_DIR
from rmexp.bench.case_config import CaseRun, case_config
from rmexp.bench.tables import (
    SYSTEMS,
    case_table,
    data_size_table,
    machine_lines,
    max_length_table,
    peak_for,
    summarise_case,
)
from rmexp.errors import UserError, exit_on_user_error

LOG_TAIL = 2000


class Jobs:
    """Runs worker jobs one at a time, each in a fresh process, keeping its job, result and log files."""

    def __init__(self, folder: Path, threads: int):
        self.folder, self.threads, self.count = folder, threads, 0
        self.loads: list[float] = []
        folder.mkdir(parents=True, exist_ok=True)

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        self.count += 1
        stem = self.folder / f"{self.count:03d}"
        job_file, result_file, log_file = (stem.with_suffix(suffix) for suffix in (".job.json", ".json", ".log"))
        job_file.write_text(json.dumps({**job, "threads": self.threads}, indent=1))
        self.loads.append(os.getloadavg()[0])
        threads = str(self.threads)
        env = os.environ | {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "TOKENIZERS_PARALLELISM": "false"}
        with log_file.open("w") as log:
            finished = subprocess.run(
                [sys.executable, "-m", "rmexp.bench.worker", str(job_file), str(result_file)],
                stdout=log, stderr=subprocess.STDOUT, env=env, check=False,
            )  # fmt: skip
        if finished.returncode != 0 or not result_file.is_file():
            tail = log_file.read_text()[-LOG_TAIL:]
            raise UserError(f"{job['_target_']} failed (exit {finished.returncode}; log {log_file}):\n{tail}")
        result = json.loads(result_file.read_text())
        if "error" in result:
            raise UserError(result["error"])
        return result


def case_run(cfg: DictConfig, case: DictConfig, **changes: Any) -> dict[str, Any]:
    """A `CaseRun` of the case with the bench's shared settings, as a config a job instantiates."""
    run = {
        "_target_": "rmexp.bench.case_config.CaseRun",
        "train": list(case.train),
        "steps": case.steps,
        "warmup_steps": cfg.warmup_steps,
        "batch_size": cfg.batch_size,
        "max_length": cfg.max_length,
        "learning_rate": case.learning_rate,
        "seed": cfg.seed,
        "precision": case_precision(cfg, case),
        "score_batch_size": cfg.score_batch_size,
        "score_pairs": case.get("score_pairs"),
    }
    return run | changes


def case_precision(cfg: DictConfig | dict, case: DictConfig | dict) -> str:
    """The case's own precision where it sets one (the tiny model: float32), else the bench's."""
    return case.get("precision") or cfg["precision"]


def training_job(cfg: DictConfig, case: DictConfig, system: str, **changes: Any) -> dict[str, Any]:
    job = {"_target_": f"rmexp.bench.{system}_runner.train_and_score", "_convert_": "all"}
    job["run"] = case_run(cfg, case, **changes)
    if system == "trl":
        job["disable_dropout"] = cfg.trl_disable_dropout
    return job


def missing_data(cfg: DictConfig, case: DictConfig) -> str | None:
    """Why the case cannot run here (its data file is absent), or None."""
    run = CaseRun(list(case.train), 1, 1, cfg.batch_size, cfg.max_length, 0.0, cfg.seed, cfg.precision)
    composed = case_config(run, output_dir=".")
    path = composed.data.get("path")
    return f"{path} is absent" if path and not Path(path).exists() else None


def run_case(cfg: DictConfig, case: DictConfig, jobs: Jobs) -> dict[str, list[dict[str, Any]]]:
    """`repeats` runs of each system, alternating which goes first; the first repeat also scores the test pairs."""
    runs: dict[str, list[dict[str, Any]]] = {system: [] for system in SYSTEMS}
    for repeat in range(case.get("repeats") or cfg.repeats):
        for system in SYSTEMS if repeat % 2 == 0 else SYSTEMS[::-1]:
            runs[system].append(jobs.run(training_job(cfg, case, system, score=repeat == 0)))
    return runs


def run_scaling(cfg: DictConfig, jobs: Jobs) -> dict[str, Any]:
    scaling, results = cfg.scaling, {}
    if scaling.get("max_length"):
        case = cfg.cases[scaling.max_length.case]
        results["max_length"] = {
            str(length): jobs.run(training_job(cfg, case, "rmexp", max_length=length, steps=scaling.max_length.steps))
            for length in scaling.max_length.lengths
        }
        results["trl_kept"] = jobs.run({
            "_target_": "rmexp.bench.trl_runner.kept_pairs", "_convert_": "all", "run": case_run(cfg, case),
            "max_lengths": list(scaling.max_length.lengths),
        })  # fmt: skip
    if scaling.get("data_size"):
        case = cfg.cases[scaling.data_size.case]
        train = [override for override in case.train if not override.startswith("data.lab.num_prompts=")]
        results["data_size"] = {
            str(prompts): jobs.run(
                training_job(cfg, case, "rmexp", train=[*train, f"data.lab.num_prompts={prompts}"], steps=-1)
            )  # fmt: skip
            for prompts in scaling.data_size.num_prompts
        }
    return results


def describe_machine(threads: int) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    cpuinfo, meminfo = Path("/proc/cpuinfo"), Path("/proc/meminfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    memory_kib = int(meminfo.read_text().split()[1]) if meminfo.is_file() else 0
    packages = ("torch", "pytorch-lightning", "transformers", "trl")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory_kib / 2**20,
        "threads": threads,
        "python": platform.python_version(),
        "software": ", ".join(f"{name} {version(name)}" for name in packages),
    }


def report_markdown(report: dict[str, Any]) -> str:
    cfg = report["config"]
    parts = ["## rmexp bench", "", machine_lines(report["machine"], report["matmul_peak"])]
    parts.append(
        f"- both systems: {cfg['batch_size']} pairs a step, max length {cfg['max_length']}, seed {cfg['seed']}, "
        f"precision {cfg['precision']} where a case names none"
    )
    for name, case in report["cases"].items():
        if "summary" in case:
            parts += ["", case_table(name, case["summary"], case_precision(cfg, cfg["cases"][name]))]
        else:
            parts += ["", f"### {name}", "", f"skipped: {case.get('skipped') or case.get('failed')}"]
    scaling = report.get("scaling") or {}
    if "failed" in scaling:
        parts += ["", "### Scaling", "", f"failed: {scaling['failed']}"]
    if "max_length" in scaling:
        parts += [
            "",
            "### Cost per pair against max length (rmexp)",
            "",
            max_length_table(scaling["max_length"], scaling["trl_kept"]),
        ]
    if "data_size" in scaling:
        parts += ["", "### Cost per pair against data size (rmexp, one epoch of the lab)", "",
                  data_size_table(scaling["data_size"])]  # fmt: skip
    return "\n".join(parts) + "\n"


def run_bench(cfg: DictConfig) -> dict[str, Any]:
    if cfg.threads < 1 or cfg.repeats < 1 or cfg.warmup_steps < 1:
        raise UserError("threads, repeats and warmup_steps must be at least 1")
    output_dir = Path(HydraConfig.get().runtime.output_dir)
    jobs = Jobs(output_dir / "jobs", cfg.threads)
    load_at_start = os.getloadavg()[0]
    machine = describe_machine(cfg.threads)
    peaks = jobs.run({"_target_": "rmexp.bench.gemm.matmul_peaks", "size": cfg.matmul_size})
    peaks.pop("peak_memory_mib")
    cases: dict[str, Any] = {}
    for name, case in cfg.cases.items():
        if case is None:
            continue
        if reason := missing_data(cfg, case):
            cases[name] = {"skipped": reason}
            continue
        try:
            runs = run_case(cfg, case, jobs)
        except UserError as error:  # reported; the other cases go on
            cases[name] = {"failed": str(error)}
            continue
        cases[name] = {"runs": runs, "summary": summarise_case(runs, peak_for(case_precision(cfg, case), peaks))}
        print(case_table(name, cases[name]["summary"], case_precision(cfg, case)) + "\n", flush=True)
    try:
        scaling = run_scaling(cfg, jobs) if cfg.get("scaling") else None
    except UserError as error:  # the cases' tables are kept
        scaling = {"failed": str(error)}
    machine["load_average"] = {"start": load_at_start, "max": max(jobs.loads), "end": os.getloadavg()[0]}
    report = {
        "machine": machine,
        "matmul_peak": peaks,
        "config": OmegaConf.to_container(cfg, resolve=True),
        "cases": cases,
        "scaling": scaling,
    }
    (output_dir / "bench.json").write_text(json.dumps(report, indent=1))
    (output_dir / "bench.md").write_text(report_markdown(report))
    return report


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="bench")
def main(cfg: DictConfig) -> None:
    report = exit_on_user_error(run_bench, cfg)
    print(report_markdown(report))
    print(f"written: {HydraConfig.get().runtime.output_dir}/bench.md and bench.json")
