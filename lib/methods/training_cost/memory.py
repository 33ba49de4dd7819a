"""Peak memory of a training run, measured in-process so every technique gets a fresh zero.

Why not process RSS: its high-water mark (ru_maxrss / VmHWM) only ever grows, so in one process the
second technique measured would inherit the first one's peak; and glibc keeps freed pages, so RSS lags
what the program actually needs. Instead, on CPU we read PyTorch's own allocator accounting through the
profiler (`profile_memory=True`): every allocation and free is recorded together with the running total
of bytes allocated while profiling ("Total Allocated"). That total, relative to its level when the
measured function starts, is exactly what the CUDA allocator's peak statistic measures on a GPU: tensor
memory (weights, gradients, optimiser state, activations, temporaries), not the Python interpreter or
library code. On a GPU we use the CUDA allocator's statistics directly.

`rss_peak_isolated` (lib.methods.training_cost.rss) gives the process-RSS view as a cross-check, by
running one technique per fresh spawned process.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.profiler import ProfilerActivity, profile

FORWARD_MARKER = "training_cost.forward"
STEP_MARKER = "training_cost.step"


@dataclass(frozen=True)
class MemoryProfile:
    """Tensor memory of one measured run, in bytes above the level at its start.

    peak_bytes:       highest total at any moment (weights + grads + optimiser state + activations + temporaries).
    activation_bytes: stored activations: the largest growth over one forward pass (what autograd keeps for
                      backward, plus the forward's outputs), i.e. allocated at the end of a forward minus at its
                      start.
    state_bytes:      allocated when the last step starts: weights + optimiser state (gradients are freed by
                      zero_grad(set_to_none=True) before the step).
    step_peak_bytes:  peak within the last step above its start: activations + gradients + temporaries
                      (recomputation under checkpointing included).
    method:           how it was measured ("torch-profiler-cpu-allocator" or "cuda-allocator").
    """

    peak_bytes: int
    activation_bytes: int
    state_bytes: int
    step_peak_bytes: int
    method: str


def _memory_timeline(events: list[dict]) -> tuple[list[float], list[int], int]:
    """CPU memory events -> (timestamps, running totals, level before the first event)."""
    mem = [e for e in events if e.get("name") == "[memory]" and e.get("args", {}).get("Device Type", 0) == 0]
    mem.sort(key=lambda e: e["ts"])  # stable: events at the same instant keep their recorded order
    if not mem:
        return [], [], 0
    times = [float(e["ts"]) for e in mem]
    totals = [int(e["args"]["Total Allocated"]) for e in mem]
    start = totals[0] - int(mem[0]["args"]["Bytes"])
    return times, totals, start


def _level_at(times: list[float], totals: list[int], start: int, when: float, *, inclusive: bool) -> int:
    """Running total just before (or, inclusive, at) time `when`."""
    level = start
    for t, total in zip(times, totals):
        if t > when or (t == when and not inclusive):
            break
        level = total
    return level


def profile_cpu_memory(fn: Callable[[], object], *, marker: str = FORWARD_MARKER) -> MemoryProfile:
    """Run `fn()` under the profiler and read peak, per-forward growth and final tensor memory.

    Forward passes are found as `torch.profiler.record_function(marker)` ranges inside `fn`.
    """
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    with tempfile.TemporaryDirectory() as folder:  # the running totals are only exported in the trace
        path = os.path.join(folder, "trace.json")
        prof.export_chrome_trace(path)
        with open(path, encoding="utf-8") as handle:
            events = json.load(handle)["traceEvents"]
    times, totals, start = _memory_timeline(events)
    peak = max(totals, default=start) - start
    forwards = [e for e in events if e.get("ph") == "X" and e.get("name") == marker]
    growth = [_level_at(times, totals, start, float(e["ts"]) + float(e["dur"]), inclusive=True)
              - _level_at(times, totals, start, float(e["ts"]), inclusive=False) for e in forwards]
    steps = sorted((e for e in events if e.get("ph") == "X" and e.get("name") == STEP_MARKER), key=lambda e: e["ts"])
    state, step_peak = 0, 0
    if steps:
        first, last = float(steps[-1]["ts"]), float(steps[-1]["ts"]) + float(steps[-1]["dur"])
        level = _level_at(times, totals, start, first, inclusive=False)
        inside = [total for t, total in zip(times, totals) if first <= t <= last]
        state, step_peak = level - start, max(inside, default=level) - level
    return MemoryProfile(peak_bytes=int(peak), activation_bytes=int(max(growth, default=0)), state_bytes=int(state),
                         step_peak_bytes=int(step_peak), method="torch-profiler-cpu-allocator")


class CudaForwardProbe:
    """Callable passed to the training step on a GPU: records allocated bytes at forward start/end."""

    def __init__(self) -> None:
        self.growth: list[int] = []
        self.state = 0
        self.step_peak = 0
        self._at_forward = 0

    def __call__(self, moment: str) -> None:
        torch.cuda.synchronize()
        now = torch.cuda.memory_allocated()
        if moment == "step_start":
            self.state = now
            torch.cuda.reset_peak_memory_stats()
        elif moment == "step_end":
            self.step_peak = torch.cuda.max_memory_allocated() - self.state
        elif moment == "forward_start":
            self._at_forward = now
        elif moment == "forward_end":
            self.growth.append(now - self._at_forward)


def profile_cuda_memory(fn: Callable[[CudaForwardProbe], object]) -> MemoryProfile:
    """Run `fn(probe)` and read the CUDA allocator's statistics above the level at the start.

    The whole-run peak is the larger of the steps' peaks and what the run held at a step's start, since the
    probe resets the peak statistic at every step start.
    """
    torch.cuda.synchronize()
    start = torch.cuda.memory_allocated()
    probe = CudaForwardProbe()
    fn(probe)
    torch.cuda.synchronize()
    state = probe.state - start
    return MemoryProfile(peak_bytes=int(state + probe.step_peak), activation_bytes=int(max(probe.growth, default=0)),
                         state_bytes=int(state), step_peak_bytes=int(probe.step_peak), method="cuda-allocator")
