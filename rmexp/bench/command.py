"""make bench: rmexp and TRL's RewardTrainer side by side on this machine, and how rmexp's cost grows.

python -m rmexp.bench                        # every case, 3 repeats (under 15 minutes on 2 cores)
python -m rmexp.bench bench_mode=quick       # the tiny lab and MiniLM once each (under 2 minutes)
python -m rmexp.bench repeats=5 precision=32-true cases.minilm_hh.steps=80
python -m rmexp.bench bench_mode=gpu          # both systems on the first visible CUDA GPU, best batch of each

Every measurement runs in a fresh process (rmexp/bench/worker.py) with the same thread count; the
two systems run back to back, case by case, alternating which goes first, so a change in the
machine's load hits both. Both run on `device`, whose matmul peak is measured in the same
invocation. The report goes to the terminal and to bench.md and bench.json in the run folder, with
the machine, the device and the date.
"""

import json
import os
import platform
import subprocess
import sys
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import hydra
import torch
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from rmexp import CONFIG_DIR
from rmexp.bench.batch_sweep import OutOfMemory, sweep_batch_sizes
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
from rmexp.devices import resolve_device
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
        if "out_of_memory" in result:
            raise OutOfMemory(f"out of memory: {result['out_of_memory']}")
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
        "device": cfg.device,
    }
    return run | changes


def case_precision(cfg: DictConfig | dict, case: DictConfig | dict) -> str:
    """The case's own precision where it sets one (the tiny model: float32), else the bench's."""
    return case.get("precision") or cfg["precision"]


def native_precision(requested: str, peaks: dict[str, float]) -> tuple[str, str | None]:
    """The bench's precision on this device, and why it is not the one asked for (or None).

    bf16 pays only where the device multiplies bfloat16 natively: a CPU without AVX-512 (AVX2 only)
    emulates it far below its float32 rate, and a bench in bf16 there would time that emulation, the
    same in both systems, instead of the systems. Both then run in float32, and the report says so.
    """
    if requested.startswith("bf16") and peaks["bfloat16"] < peaks["float32"]:
        return "32-true", (
            f"precision={requested} asked, run as 32-true: this device's bfloat16 matmul peak "
            f"({peaks['bfloat16'] / 1e9:.3g} GFLOP/s) is below its float32 peak ({peaks['float32'] / 1e9:.3g} GFLOP/s)"
        )
    return requested, None


def training_job(cfg: DictConfig, case: DictConfig, system: str, **changes: Any) -> dict[str, Any]:
    job = {"_target_": f"rmexp.bench.{system}_runner.train_and_score", "_convert_": "all"}
    job["run"] = case_run(cfg, case, **changes)
    if system == "trl":
        job["disable_dropout"] = cfg.trl_disable_dropout
    return job


def missing_data(cfg: DictConfig, case: DictConfig) -> str | None:
    """Why the case cannot run here (its data file, or the model folder a path names, is absent), or None."""
    run = CaseRun(list(case.train), 1, 1, cfg.batch_size, cfg.max_length, 0.0, cfg.seed, cfg.precision)
    composed = case_config(run, output_dir=".")
    path = composed.data.get("path")
    if path and not Path(path).exists():
        return f"{path} is absent"
    model_folder = composed.model.get("name_or_path")  # a packaged backbone is a `_target_`, a hub name relative
    if isinstance(model_folder, str) and Path(model_folder).is_absolute() and not Path(model_folder).exists():
        return f"{model_folder} is absent"
    return None


def run_case(cfg: DictConfig, case: DictConfig, jobs: Jobs) -> dict[str, list[dict[str, Any]]]:
    """`repeats` runs of each system, alternating which goes first; the first repeat also scores the test pairs."""
    runs: dict[str, list[dict[str, Any]]] = {system: [] for system in SYSTEMS}
    for repeat in range(case.get("repeats") or cfg.repeats):
        for system in SYSTEMS if repeat % 2 == 0 else SYSTEMS[::-1]:
            runs[system].append(jobs.run(training_job(cfg, case, system, score=repeat == 0)))
    return runs


def run_sweep(cfg: DictConfig, case: DictConfig, jobs: Jobs, system: str,
              at_bench_batch: dict[str, Any]) -> list[dict[str, Any]]:  # fmt: skip
    """Each of `batch_sizes` once for one system, unscored; at the bench's own batch, the repeats' medians."""

    def train_at(batch_size: int) -> dict[str, Any]:
        if batch_size == cfg.batch_size:
            return at_bench_batch
        return jobs.run(training_job(cfg, case, system, batch_size=batch_size))

    return sweep_batch_sizes(train_at, cfg.batch_sizes)


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


def bench_device(requested: str) -> torch.device:
    """The device of `device=`, refused in one line before any job where this machine lacks it.

    TRL (through accelerate) trains on the first visible GPU and takes no index, so neither system
    is given one: CUDA_VISIBLE_DEVICES chooses the GPU, for both.
    """
    device = resolve_device(requested, "device")
    if device.index is not None:
        raise UserError(
            f"device={requested}: the bench runs on the first visible GPU, as TRL does; "
            f"CUDA_VISIBLE_DEVICES={device.index} with device={device.type} runs it there"
        )
    return device


def describe_device(device: torch.device) -> str:
    """The device both systems ran on, as the report names it: a GPU by its name, memory and CUDA version."""
    if device.type == "cuda":
        memory_gib = torch.cuda.get_device_properties(device).total_memory / 2**30
        return f"{torch.cuda.get_device_name(device)}, {memory_gib:.0f} GiB, CUDA {torch.version.cuda}"
    return "Apple MPS" if device.type == "mps" else "the CPU"


def describe_machine(threads: int, device: torch.device) -> dict[str, Any]:
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
        "device": describe_device(device),
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
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
        f"precision {cfg['precision']} where a case names none, on {report['machine']['device']}"
    )
    if report.get("precision_note"):
        parts.append(f"- {report['precision_note']}")
    if cfg.get("random_weights"):
        parts.append("- random weights from each backbone's config: throughput is real, accuracy is not reported")
    for name, case in report["cases"].items():
        if "summary" in case:
            table = case_table(name, case["summary"], case_precision(cfg, cfg["cases"][name]), cfg["device"])
            parts += ["", table]
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
    device = bench_device(cfg.device)
    cfg.device = device.type  # `auto` as resolved, for every job and the report
    output_dir = Path(HydraConfig.get().runtime.output_dir)
    jobs = Jobs(output_dir / "jobs", cfg.threads)
    load_at_start = os.getloadavg()[0]
    machine = describe_machine(cfg.threads, device)
    peaks = jobs.run({"_target_": "rmexp.bench.gemm.matmul_peaks", "size": cfg.matmul_size, "device": cfg.device})
    peaks.pop("peak_memory_mib")
    cfg.precision, precision_note = native_precision(cfg.precision, peaks)
    if precision_note:
        print(precision_note, flush=True)
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
        summary = summarise_case(runs, peak_for(case_precision(cfg, case), peaks), cfg.random_weights)
        cases[name] = {"runs": runs, "summary": summary}
        if cfg.batch_sizes:
            try:
                sweeps = {system: run_sweep(cfg, case, jobs, system, summary[system]) for system in SYSTEMS}
                summary["batch_sweep"] = sweeps
            except UserError as error:  # the figures at the bench's batch are kept
                summary["batch_sweep"] = {"failed": str(error)}
        print(case_table(name, summary, case_precision(cfg, case), cfg.device) + "\n", flush=True)
    try:
        scaling = run_scaling(cfg, jobs) if cfg.get("scaling") else None
    except UserError as error:  # the cases' tables are kept
        scaling = {"failed": str(error)}
    machine["load_average"] = {"start": load_at_start, "max": max(jobs.loads), "end": os.getloadavg()[0]}
    report = {
        "machine": machine,
        "matmul_peak": peaks,
        "precision_note": precision_note,
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
