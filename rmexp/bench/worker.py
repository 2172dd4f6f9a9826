"""One measurement in a fresh process: python -m rmexp.bench.worker <job.json> <result.json>.

A job is a config whose `_target_` is the function to call (a runner's `train_and_score`, the
matmul peak) and whose other keys are its arguments, plus `threads`. A fresh process per job gives
each system the same start (nothing cached, nothing allocated) and its own peak memory: on a CUDA
GPU the allocator's high-water mark, what the model, activations and optimiser held there; else
the process's, read from the operating system at the end (the resident set's high-water mark).
Running out of memory is a result, not a crash: the batch-size sweep stops there.
"""

import json
import resource
import sys
from pathlib import Path

import torch
from hydra.utils import call

from rmexp.errors import describe_user_error


def peak_memory_mib() -> float:
    if torch.cuda.is_initialized():  # the job ran on the GPU; the bench shows it only the one it measures
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def out_of_memory(error: BaseException) -> str | None:
    """The first line of an out-of-memory error, wherever in the chain (Hydra and Lightning wrap errors)."""
    while error is not None:
        if isinstance(error, torch.OutOfMemoryError):
            return str(error).splitlines()[0] if str(error) else "out of memory"
        error = error.__cause__ or error.__context__
    return None


def main() -> None:
    job_file, result_file = map(Path, sys.argv[1:3])
    job = json.loads(job_file.read_text())
    torch.set_num_threads(job.pop("threads"))  # the parent also sets OMP_NUM_THREADS, for the libraries that read it
    try:
        result = call(job)
    except Exception as error:
        if reason := out_of_memory(error):
            result = {"out_of_memory": reason}
        elif message := describe_user_error(error):
            result = {"error": message}
        else:
            raise
    result["peak_memory_mib"] = peak_memory_mib()
    result_file.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
