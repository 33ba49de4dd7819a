"""This machine's dense matmul rate: what the time estimates (lib.models.speed) scale FLOPs by.

    matmul_rate("bfloat16")   # best GFLOP/s of a 2048 x 2048 matmul on this process's threads, measured once
"""
from __future__ import annotations

import functools
import time

import torch


@functools.lru_cache(maxsize=2)
def matmul_rate(precision: str, n: int = 2048, repeats: int = 3) -> float:
    """Best GFLOP/s of an n x n matmul in `precision` ("float32" or "bfloat16") on this process's threads."""
    dtype = torch.bfloat16 if precision == "bfloat16" else torch.float32
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    torch.matmul(a, b)  # warm-up: the first call sets up the kernel
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.matmul(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9
