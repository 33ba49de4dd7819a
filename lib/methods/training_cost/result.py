"""What the training-cost tab keeps about one run: the result type and the arithmetic on its measurements.

Shared by task.py (which fills it) and render.py (which draws it); the types it refers to are imported only
for annotations, so render never imports the model or the training step through it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lib.methods.training_cost.data import TrainingBatch
    from lib.methods.training_cost.model import SmallVideoTransformerConfig
    from lib.methods.training_cost.predict import MemoryPrediction
    from lib.methods.training_cost.recipe import TrainingRecipe
    from lib.methods.training_cost.step import RecipeMeasurement

MB = 2 ** 20
MEMORY_MEASURES = {"peak": "peak tensor memory", "activations": "stored activations", "step": "step peak"}
TABLE_HEADERS = ["recipe", "ms / step", "× time", "peak MB", "× peak", "stored activations MB", "predicted MB",
                 "trainable %", "first loss", "last loss"]


def memory_of(m: RecipeMeasurement, measure: str) -> int:
    """Bytes for one of MEMORY_MEASURES: whole-run peak, stored activations, or the last step's peak."""
    return {"peak": m.memory.peak_bytes, "activations": m.memory.activation_bytes,
            "step": m.memory.step_peak_bytes}[measure]


def ratios(m: RecipeMeasurement, baseline: RecipeMeasurement, measure: str = "peak") -> tuple[float, float]:
    """(time ratio, memory ratio) of `m` relative to the baseline (1.0 = same; < 1 = cheaper)."""
    time_ratio = m.seconds_per_step / baseline.seconds_per_step
    base_memory = memory_of(baseline, measure)
    return time_ratio, (memory_of(m, measure) / base_memory if base_memory else float("nan"))


@dataclass(frozen=True)
class TrainingCostResult:
    """Measurements so far (baseline first) of the planned recipes on one batch."""

    config: SmallVideoTransformerConfig
    batch: TrainingBatch
    planned: tuple[TrainingRecipe, ...]
    predictions: tuple[MemoryPrediction, ...]
    measurements: tuple[RecipeMeasurement, ...]
    steps: int
    budget_mb: float
    machine: str
    stopped: bool = False
    progress: str = "planned"
    fraction: float = 0.0  # of the whole run done, in [0, 1]

    @property
    def complete(self) -> bool:
        return len(self.measurements) == len(self.planned)

    def table(self) -> list[list]:
        """One row per measured recipe (TABLE_HEADERS), ratios against the baseline."""
        rows = []
        for m, predicted in zip(self.measurements, self.predictions):
            t, mem = ratios(m, self.measurements[0], "peak")
            rows.append([m.recipe.label, round(m.seconds_per_step * 1000, 1), round(t, 2),
                         round(m.memory.peak_bytes / MB, 1), round(mem, 2), round(m.memory.activation_bytes / MB, 1),
                         round(predicted.total / MB, 1), round(100 * m.trainable_fraction, 2),
                         round(m.losses[0], 3) if m.losses else None, round(m.losses[-1], 3) if m.losses else None])
        return rows

    def summary(self) -> str:
        """Markdown: what ran on what, and how far the run got."""
        c = self.config
        state = "stopped early" if self.stopped else "done" if self.complete else self.progress
        return (f"**{state}** · model: {c.depth} blocks, width {c.dim}, {c.heads} heads, "
                f"{c.num_tokens} tokens per clip ({c.num_frames}×{c.image_size}² frames, tubelet {c.tubelet}) · "
                f"data: {self.batch.source} · {self.steps} steps per recipe, taken in turns (one step of each recipe "
                f"per round) so all share the machine's load; time = fastest step after the first · "
                f"memory: PyTorch's CPU allocator through the profiler (tensor memory, not process RSS) · "
                f"budget {self.budget_mb:.0f} MB · machine: {self.machine}")
