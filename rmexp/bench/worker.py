"""One measurement in a fresh process: python -m rmexp.bench.worker <job.json> <result.json>.

A job is a config whose `_target_` is the function to call (a runner's `train_and_score`, the
matmul peak) and whose other keys are its arguments, plus `threads`. A fresh process per job gives
each system the same start (nothing cached, nothing allocated) and its own peak memory, read from
the operating system at the end (the resident set's high-water mark).
"""

import json
import resource
import sys
from pathlib import Path

import torch
from hydra.utils import call

from rmexp.errors import describe_user_error


def peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    job_file, result_file = map(Path, sys.argv[1:3])
    job = json.loads(job_file.read_text())
    torch.set_num_threads(job.pop("threads"))  # the parent also sets OMP_NUM_THREADS, for the libraries that read it
    try:
        result = call(job)
    except Exception as error:
        message = describe_user_error(error)
        if message is None:
            raise
        result = {"error": message}
    result["peak_memory_mib"] = peak_memory_mib()
    result_file.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
