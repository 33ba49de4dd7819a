"""Measuring what a computation costs on this machine: best-of wall time and peak tensor memory.

Peak memory on CPU has no `torch.cuda.max_memory_allocated`; we read it from the PyTorch profiler's
memory events instead: with `profile_memory=True` every allocation and free is recorded together with
the allocator's running total ("Total Allocated"), whose maximum over the run is the peak of tensor
memory allocated during the call (tensors that existed before it are not counted).
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable

import torch
from torch.profiler import ProfilerActivity, profile


@contextlib.contextmanager
def _quiet_stderr():
    """Silence file descriptor 2 briefly: the profiler's C++ start/stop lines bypass Python and every log level.

    Not inside a Jupyter kernel: there fd 2 is a pipe the kernel reads, and swapping it under the
    kernel's reader thread has left notebook runs waiting forever for a reply."""
    if "ipykernel" in sys.modules:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def peak_memory_bytes(fn: Callable[[], object]) -> int:
    """Peak bytes of tensor memory allocated while `fn()` runs (CPU allocations through PyTorch)."""
    prof = profile(activities=[ProfilerActivity.CPU], profile_memory=True)
    with _quiet_stderr():  # only around start and stop: errors from fn() still reach stderr
        prof.__enter__()
    try:
        fn()
    finally:
        with _quiet_stderr():
            prof.__exit__(None, None, None)
    with tempfile.TemporaryDirectory() as folder:  # the running totals are only exported in the trace
        path = os.path.join(folder, "trace.json")
        prof.export_chrome_trace(path)
        with open(path, encoding="utf-8") as handle:
            events = json.load(handle)["traceEvents"]
    # The profiler also sees allocations of other threads (e.g. a server handling a request), and its
    # "Total Allocated" is process-wide, so follow only this thread's allocations and frees.
    thread = threading.get_native_id()
    mine = sorted((e for e in events if e.get("name") == "[memory]" and e.get("tid") == thread),
                  key=lambda e: e["ts"])
    running = peak = 0
    for event in mine:
        running += int(event["args"].get("Bytes", 0))
        peak = max(peak, running)
    return peak


def best_time_seconds(fn: Callable[[], object], *, repeats: int = 3, warmup: int = 1) -> float:
    """Fastest of `repeats` wall-clock runs of `fn()` after `warmup` runs.

    The minimum, not the mean: on a shared machine other processes only ever add time.
    """
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def forward_backward(module: torch.nn.Module, inputs: torch.Tensor) -> Callable[[], None]:
    """A closure running one training step's compute (forward, sum, backward; no optimiser) of `module`."""
    def step() -> None:
        module.zero_grad(set_to_none=True)
        module(inputs).float().sum().backward()
    return step


def forward_only(module: torch.nn.Module, inputs: torch.Tensor) -> Callable[[], None]:
    """A closure running `module(inputs)` without autograd."""
    def step() -> None:
        with torch.no_grad():
            module(inputs)
    return step


def available_memory_bytes() -> int:
    """MemAvailable from /proc/meminfo (what can be allocated without swapping), or 4 GiB where unreadable."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 * 1024 ** 3
