"""How long a pretrained model's work will take on this machine, said before it runs.

    estimate = estimate_seconds("clip-vit-l14", inputs=24)   # Estimate: seconds, GFLOPs, the rate assumed
    estimate.sentence("24 frames")                            # "about 7 s here (24 frames x 162 GFLOPs ...)"
    record_speed("clip-vit-l14", gflops=..., seconds=...)     # after a run: later estimates use what it measured
    fitting_inputs("clip-vit-l14", budget_s=8.0)              # how many inputs fit in a time budget
    machine_estimate("videomae-base-k400", 1)                 # from the matmul rate only (stable defaults)

Before a model has run in this process the rate is a guess: this machine's dense matmul rate in the precision
the model runs in (lib.models.precision; measured once, ~0.3 s) times EFFICIENCY, the share of that peak a ViT
forward reaches here (benchmarks/hub_models.py prints both). After a run the model's measured rate (its
GFLOPs over the seconds its caller timed: Token merging times its encoder) replaces the guess, so estimates of a
repeated action are close.
FLOPs come from ModelSpec.gflops_per_input (counted on the real architectures), never from a run.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from lib.models.matmul import matmul_rate
from lib.models.precision import choose_precision
from lib.models.registry import get_spec

# Share of the matmul peak a whole tab action reaches before its own rate is known, per precision: float32 0.6;
# bfloat16 reaches less of its (higher) peak, since softmax, normalisations and copies do not speed up with it
# (CLIP-B/16 in Token merging's batches on a 2-core AMX Xeon: 200 of 613 GFLOP/s).
EFFICIENCY = {"float32": 0.6, "bfloat16": 0.33}
_MEASURED: dict[str, float] = {}  # model name -> GFLOP/s of its last action in this process
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Estimate:
    """Predicted cost of `inputs` inputs of one model: seconds at `rate_gflops` GFLOP/s (measured or guessed)."""

    model: str
    inputs: int
    gflops: float
    rate_gflops: float
    measured: bool

    @property
    def seconds(self) -> float:
        return self.gflops / max(self.rate_gflops, 1e-9)

    def sentence(self, what: str) -> str:
        """One line for the page, e.g. "About 7 s on this machine: 24 frames x 162 GFLOPs at 560 GFLOP/s (guess)"."""
        seconds = self.seconds
        said = f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"
        basis = "as measured on its last run" if self.measured else "estimated from this machine's matmul speed"
        return (f"About {said} on this machine: {what} x {self.gflops / max(self.inputs, 1):.0f} GFLOPs at "
                f"{self.rate_gflops:.0f} GFLOP/s ({basis}).")


def _gflops_per_input(model: str) -> float:
    value = get_spec(model).gflops_per_input
    if value is None:
        raise ValueError(f"{model} has no gflops_per_input in the catalog: no estimate for it")
    return float(value)


def estimate_seconds(model: str, inputs: int, *, device: str = "cpu") -> Estimate:
    """Predicted cost of running `model` (a hub entry of the catalog) on `inputs` inputs (frames or clips)."""
    gflops = _gflops_per_input(model) * max(int(inputs), 0)
    with _LOCK:
        measured = _MEASURED.get(model)
    if measured is not None:
        return Estimate(model, int(inputs), gflops, measured, True)
    return machine_estimate(model, inputs, device=device)


def machine_estimate(model: str, inputs: int, *, device: str = "cpu") -> Estimate:
    """The estimate from this machine's matmul rate alone, whatever earlier runs measured: a stable figure for
    choosing defaults (a measured rate depends on what the last run recorded)."""
    gflops = _gflops_per_input(model) * max(int(inputs), 0)
    precision = choose_precision(device).name
    return Estimate(model, int(inputs), gflops, matmul_rate(precision) * EFFICIENCY[precision], False)


def record_speed(model: str, *, inputs: int, seconds: float) -> None:
    """Remember the rate `model` reached on its last action (`inputs` inputs in `seconds` s)."""
    if seconds <= 0 or inputs <= 0 or get_spec(model).gflops_per_input is None:
        return
    with _LOCK:
        _MEASURED[model] = _gflops_per_input(model) * inputs / seconds


def fitting_inputs(model: str, budget_s: float, *, device: str = "cpu") -> int:
    """How many inputs of `model` fit in `budget_s` seconds by the current estimate (at least 1)."""
    per_input = estimate_seconds(model, 1, device=device).seconds
    return max(1, int(budget_s / max(per_input, 1e-9)))


def forget_speeds() -> None:
    """Drop every measured rate (tests)."""
    with _LOCK:
        _MEASURED.clear()
