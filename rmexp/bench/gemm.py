"""This machine's matmul peak, measured: the ceiling that model FLOPs utilisation is read against.

A square matrix product of a size that fills the cores, repeated for about a second; the best
repetition counts (2 n^3 operations each), as the others only add the machine's noise. Measured in
the same process settings (threads) as the training it is compared with, in float32 and bfloat16.
"""

import time

import torch

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


def matmul_flops_per_second(size: int = 2048, dtype: torch.dtype = torch.float32, seconds: float = 1.0) -> float:
    generator = torch.Generator().manual_seed(0)
    left = torch.randn(size, size, generator=generator).to(dtype)
    right = torch.randn(size, size, generator=generator).to(dtype)
    torch.matmul(left, right)  # warm-up: the library picks its kernel
    best, spent = float("inf"), 0.0
    while spent < seconds:
        started = time.perf_counter()
        torch.matmul(left, right)
        elapsed = time.perf_counter() - started
        best, spent = min(best, elapsed), spent + elapsed
    return 2 * size**3 / best


def matmul_peaks(size: int = 2048, seconds: float = 1.0) -> dict[str, float]:
    """FLOP/s per dtype name."""
    return {name: matmul_flops_per_second(size, dtype, seconds) for name, dtype in DTYPES.items()}
