"""The device's matmul peak, measured: the ceiling that model FLOPs utilisation is read against.

A square matrix product of a size that fills the device, repeated for about a second; the best
repetition counts (2 n^3 operations each), as the others only add the machine's noise. Measured on
the device the training runs on, in the same process settings (threads), in float32 and bfloat16,
so a GPU's utilisation is read against the GPU's own peak, not the host CPU's. Each repetition is
timed from an idle device to an idle device (`device_time`): a GPU returns from `matmul` as soon as
the kernel is queued.
"""

import torch

from rmexp.bench.timing import device_time

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def matmul_flops_per_second(size: int = 2048, dtype: torch.dtype = torch.float32, seconds: float = 1.0,
                            device: torch.device | str = "cpu") -> float:  # fmt: skip
    generator = torch.Generator().manual_seed(0)
    left = torch.randn(size, size, generator=generator).to(device=device, dtype=dtype)
    right = torch.randn(size, size, generator=generator).to(device=device, dtype=dtype)
    torch.matmul(left, right)  # warm-up: the library picks its kernel
    best, spent = float("inf"), 0.0
    while spent < seconds:
        started = device_time(device)
        torch.matmul(left, right)
        elapsed = device_time(device) - started
        best, spent = min(best, elapsed), spent + elapsed
    return 2 * size**3 / best


def matmul_peaks(size: int = 2048, seconds: float = 1.0, device: str = "cpu") -> dict[str, float]:
    """FLOP/s per dtype name, on `device`."""
    return {name: matmul_flops_per_second(size, dtype, seconds, device) for name, dtype in DTYPES.items()}
