"""Which device a command runs on: `device=auto` takes a GPU where there is one, the CPU elsewhere.

`rmexp-eval`, `rmexp-score` and `rmexp-bon` take a `device` key, and a training run's
`trainer.accelerator`; a device this machine does not have is a user's mistake, said in one line
before any model loads, not a CUDA error deep in a forward pass.
"""

import torch

from rmexp.errors import UserError

EXPECTED = "auto, cpu, cuda, cuda:<index> or mps"
GPU_ACCELERATORS = ("gpu", "cuda")


def no_cuda_reason() -> str:
    build = "a CPU-only build" if not torch.backends.cuda.is_built() else "built with CUDA, but it finds no GPU"
    return f"torch {torch.__version__} here is {build} (README, 'GPU' says how to install a CUDA build)"


def no_mps_reason() -> str:
    if not torch.backends.mps.is_built():
        return f"torch {torch.__version__} here is built without MPS, which only Apple-silicon Macs have"
    return "torch is built with MPS, but this Mac offers none (macOS 12.3 or later and Apple silicon needed)"


def resolve_device(requested: str, key: str = "device") -> torch.device:
    """The torch device `requested` names; `auto` is the first CUDA GPU, else Apple's MPS, else the CPU."""
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if torch.backends.mps.is_available() else "cpu")
    try:
        device = torch.device(str(requested))
    except (RuntimeError, TypeError):
        raise UserError(f"{key}={requested!r}: expected {EXPECTED}") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"{key}={requested}: no CUDA GPU; {no_cuda_reason()}; use {key}=cpu or {key}=auto")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UserError(f"{key}={requested}: this machine has {torch.cuda.device_count()} CUDA GPU(s), from cuda:0")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise UserError(f"{key}={requested}: Apple's MPS is not available here; use {key}=cpu or {key}=auto")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise UserError(f"{key}={requested!r}: expected {EXPECTED}")
    return device


def check_accelerator(accelerator: str) -> None:
    """Refuse `trainer.accelerator=gpu` (or `mps`) on a machine without one, with the reason and the way out."""
    way_out = "train with trainer=cpu, or trainer=auto to take a GPU wherever there is one"
    if str(accelerator) in GPU_ACCELERATORS and not torch.cuda.is_available():
        raise UserError(f"trainer.accelerator={accelerator}: no CUDA GPU; {no_cuda_reason()}; {way_out}")
    if str(accelerator) == "mps" and not torch.backends.mps.is_available():
        raise UserError(f"trainer.accelerator=mps: Apple's MPS is not available here ({no_mps_reason()}); {way_out}")


def cpu_emulates_bf16() -> bool:
    """True where this CPU has no native bfloat16 arithmetic (oneDNN's test: AVX-512 at least, e.g. AVX2 only).

    There torch falls back to a scalar bfloat16 matmul, hundreds of times slower than float32.
    """
    try:
        return not torch.ops.mkldnn._is_mkldnn_bf16_supported()
    except (AttributeError, RuntimeError):  # a torch without the check: assume nothing
        return False


def slow_precision(accelerator: str, precision: str | int | None) -> str | None:
    """A one-line warning for bf16 on a CPU that only emulates it (the run is valid, only very slow), or None."""
    on_cpu = str(accelerator) == "cpu" or (str(accelerator) == "auto" and not torch.cuda.is_available())
    if not (on_cpu and str(precision).startswith("bf16") and cpu_emulates_bf16()):
        return None
    capability = torch.backends.cpu.get_cpu_capability()
    return (
        f"trainer.precision={precision} on a CPU without native bfloat16 (torch sees {capability}, no AVX-512): "
        "every bfloat16 matmul is emulated, far slower than float32; train with trainer.precision=32-true"
    )
