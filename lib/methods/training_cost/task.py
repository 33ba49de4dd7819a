"""Training-cost tab: one training step of a small video transformer under each technique, measured.

    for partial in iter_training_cost(path, techniques=("bf16", "checkpointing"), steps=4): ...
    result = run_training_cost(None, data="toy-world batch")
    taxonomy, bars, losses, table, summary = render_training_cost(result)

Every recipe (the fp32 baseline, each chosen technique alone, and the chosen combination) starts from the
same weights and trains on the same batch. Each recipe's peak memory is predicted first; a recipe that
would not fit the memory budget is refused before anything runs.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import plotly.graph_objects as go

from lib.errors import UserInputError
from lib.methods.training_cost.data import TrainingBatch, clip_batch, label_for_video, toy_batch
from lib.methods.training_cost.model import SmallVideoTransformerConfig
from lib.methods.training_cost.parallel import ParallelMeasurement, measure_data_parallel
from lib.methods.training_cost.predict import MemoryPrediction, check_fits
from lib.methods.training_cost.recipe import TECHNIQUES, TrainingRecipe, recipe_for
from lib.methods.training_cost.render import (
    MB,
    MEMORY_MEASURES,
    cost_bars_figure,
    loss_curves_figure,
    ratios,
    taxonomy_figure,
)
from lib.methods.training_cost.step import RecipeMeasurement, initial_state, measure_memory, time_interleaved
from lib.methods.training_cost.taxonomy import machine_description
from lib.toyworld import ACTION_NAMES

DATA_SOURCES = ("toy-world batch", "chosen clip")
DEFAULT_TECHNIQUES = ("bf16", "checkpointing", "token_drop", "freeze", "lora")
TABLE_HEADERS = ["recipe", "ms / step", "× time", "peak MB", "× peak", "stored activations MB", "predicted MB",
                 "trainable %", "first loss", "last loss"]


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
                f"data: {self.batch.source} · {self.steps} steps per recipe, taken in turns (one step of each recipe per "
                f"round) so all share the machine's load; time = fastest step after the first · "
                f"memory: PyTorch's CPU allocator through the profiler (tensor memory, not process RSS) · "
                f"budget {self.budget_mb:.0f} MB · machine: {self.machine}")


def plan_recipes(techniques: Sequence[str], combination: Sequence[str], *, keep_ratio: float = 0.5,
                 micro_batches: int = 2, lora_rank: int = 4) -> tuple[TrainingRecipe, ...]:
    """The fp32 baseline, each technique alone, then the combination (when it has 2+ techniques)."""
    settings = dict(keep_ratio=keep_ratio, micro_batches=micro_batches, lora_rank=lora_rank)
    recipes = [recipe_for([])] + [recipe_for([key], **settings) for key in techniques]
    if len(combination) >= 2:
        recipes.append(recipe_for(list(combination), **settings))
    return tuple(dict.fromkeys(recipes))  # a combination equal to a single technique is measured once


def prepare_batch(video_path: str | None, data: str, *, batch_size: int, num_frames: int, image_size: int,
                  seed: int = 0) -> TrainingBatch:
    """The batch to train on: toy-world clips, or augmented views of the chosen clip with its label."""
    if data == "toy-world batch":
        return toy_batch(batch_size, num_frames, image_size, seed=seed)
    if data != "chosen clip":
        raise UserInputError(f"Choose the data from: {', '.join(DATA_SOURCES)}.")
    if not video_path:
        raise UserInputError("Choose a clip above (or switch the data to the toy-world batch) first.")
    from lib.video import load_clip

    clip = load_clip(video_path, num_frames=num_frames, short_side=max(image_size, 64))
    label, how = label_for_video(video_path)
    return clip_batch(clip.frames, label, batch_size, image_size, seed=seed, source=f"the chosen clip ({how})")


def iter_training_cost(video_path: str | None = None, *, data: str = "toy-world batch",
                       techniques: Sequence[str] = DEFAULT_TECHNIQUES, combination: Sequence[str] = (),
                       keep_ratio: float = 0.5, micro_batches: int = 2, lora_rank: int = 4, batch_size: int = 4,
                       num_frames: int = 8, image_size: int = 64, dim: int = 128, depth: int = 4, heads: int = 4,
                       steps: int = 4, budget_mb: float = 1024.0, seed: int = 0, device: str = "cpu",
                       should_stop: Callable[[], bool] | None = None) -> Iterator[TrainingCostResult]:
    """Yield the result after planning (nothing measured yet), after each timing round (all recipes train
    in turns) and after each recipe's memory is measured (then it joins `measurements`).

    Raises UserInputError for impossible settings and, before running anything, when any planned recipe's
    predicted memory exceeds `budget_mb`.
    """
    if not 1 <= batch_size <= 32 or not 2 <= steps <= 50:
        raise UserInputError("Use a batch of 1 to 32 clips and 2 to 50 steps.")
    try:
        config = SmallVideoTransformerConfig(num_frames=num_frames, image_size=image_size, dim=dim, depth=depth,
                                             heads=heads, num_classes=len(ACTION_NAMES))
    except ValueError as err:
        raise UserInputError(f"That model does not fit the clip: {err}.") from err
    planned = plan_recipes(techniques, combination, keep_ratio=keep_ratio, micro_batches=micro_batches,
                           lora_rank=lora_rank)
    if any(r.micro_batches > batch_size for r in planned):
        raise UserInputError(f"{micro_batches} micro-batches need a batch of at least {micro_batches} clips.")
    predictions = tuple(check_fits(config, r, batch_size, budget_mb) for r in planned)  # refuse before running
    batch = prepare_batch(video_path, data, batch_size=batch_size, num_frames=num_frames, image_size=image_size,
                          seed=seed)
    video, labels = batch.tensors(device)
    state = {k: v.to(device) for k, v in initial_state(config, seed=seed).items()}
    result = TrainingCostResult(config=config, batch=batch, planned=planned, predictions=predictions,
                                measurements=(), steps=steps, budget_mb=budget_mb, machine=machine_description())
    yield result
    runs = []
    for done, runs in enumerate(time_interleaved(config, planned, video, labels, state, steps=steps, seed=seed), 1):
        if should_stop and should_stop():
            yield replace(result, stopped=True)
            return
        yield replace(result, progress=f"timing: round {done} of {steps} done (every recipe one step per round)",
                      fraction=0.7 * done / steps)
    for run in runs:
        if should_stop and should_stop():
            yield replace(result, stopped=True)
            return
        memory = measure_memory(config, run.recipe, video, labels, state, seed=seed)
        result = replace(result, measurements=result.measurements + (run.finish(memory),),
                         progress=f"measuring memory: {len(result.measurements) + 1} of {len(planned)} done",
                         fraction=0.7 + 0.3 * (len(result.measurements) + 1) / len(planned))
        yield result


def run_training_cost(video_path: str | None = None, **settings) -> TrainingCostResult:
    """Measure every planned recipe; the settings are iter_training_cost's."""
    result = None
    for result in iter_training_cost(video_path, **settings):
        pass
    return result


def render_training_cost(result: TrainingCostResult | None, *, measure: str = "peak",
                         parallel: tuple[ParallelMeasurement, ...] = ()
                         ) -> tuple[go.Figure, go.Figure | None, go.Figure | None, list[list], str]:
    """(taxonomy sunburst, cost bars, loss curves, table rows, summary markdown); bars and losses are None
    until the baseline is measured. `measure` is one of MEMORY_MEASURES; `parallel` (from run_data_parallel)
    annotates the data-parallel leaf of the taxonomy."""
    if measure not in MEMORY_MEASURES:
        raise UserInputError(f"Choose the memory measure from: {', '.join(MEMORY_MEASURES)}.")
    measured = result.measurements if result is not None else ()
    bars = cost_bars_figure(measured, measure=measure) if measured else None
    losses = loss_curves_figure(measured) if measured else None
    extra = {}
    modes = {p.mode: p for p in parallel}
    if {"ddp", "zero1"} <= set(modes):
        share = max(modes["zero1"].optimizer_state_bytes) / max(modes["ddp"].optimizer_state_bytes)
        extra["data_parallel"] = (f"ZeRO-1: optimiser state ×{share:.2f}/process",
                                  f"measured with {modes['ddp'].world_size} gloo processes: ZeRO-1 keeps "
                                  f"×{share:.2f} of plain data parallelism's AdamW state per process")
    table = result.table() if result is not None else []
    summary = result.summary() if result is not None else ""
    return taxonomy_figure(measured, measure=measure, extra=extra), bars, losses, table, summary


PARALLEL_HEADERS = ["mode", "process", "parameters MB", "optimiser state MB", "peak MB", "replicas identical",
                    "last loss (process 0)"]


def run_data_parallel(video_path: str | None = None, *, data: str = "toy-world batch", batch_size: int = 4,
                      num_frames: int = 8, image_size: int = 64, dim: int = 128, depth: int = 4, heads: int = 4,
                      steps: int = 2, seed: int = 0) -> tuple[ParallelMeasurement, ...]:
    """Plain data parallelism and ZeRO-1 with 2 gloo processes on this machine, each on half the batch."""
    if batch_size < 2:
        raise UserInputError("Data parallelism with 2 processes needs a batch of at least 2 clips.")
    config = SmallVideoTransformerConfig(num_frames=num_frames, image_size=image_size, dim=dim, depth=depth,
                                         heads=heads, num_classes=len(ACTION_NAMES))
    batch = prepare_batch(video_path, data, batch_size=batch_size, num_frames=num_frames, image_size=image_size,
                          seed=seed)
    video, labels = batch.tensors()
    return tuple(measure_data_parallel(config, video, labels, mode=mode, steps=steps) for mode in ("ddp", "zero1"))


def parallel_table(parallel: tuple[ParallelMeasurement, ...]) -> list[list]:
    """Rows of PARALLEL_HEADERS, one per mode and process."""
    names = {"ddp": "data parallel", "zero1": "ZeRO-1 (optimiser sharded)"}
    return [[names[p.mode], rank, round(p.parameter_bytes[rank] / MB, 2), round(p.optimizer_state_bytes[rank] / MB, 2),
             round(p.peak_bytes[rank] / MB, 2), p.replicas_identical, round(p.losses[-1], 4)]
            for p in parallel for rank in range(p.world_size)]


def technique_choices() -> list[tuple[str, str]]:
    """(title, key) pairs for a checkbox group."""
    return [(t.title, t.key) for t in TECHNIQUES.values()]


def training_cost_explorer(result: TrainingCostResult):
    """Notebook widget: a memory-measure picker re-drawing the bars and the taxonomy from `result` (no re-run)."""
    import ipywidgets as widgets
    from IPython.display import display

    picker = widgets.ToggleButtons(options=[(label, key) for key, label in MEMORY_MEASURES.items()], value="peak",
                                   description="memory")
    output = widgets.Output()

    def draw(change: dict | None = None) -> None:
        taxonomy, bars, _, _, _ = render_training_cost(result, measure=picker.value)
        output.clear_output(wait=True)
        with output:
            display(bars)
            display(taxonomy)

    picker.observe(draw, names="value")
    draw()
    return widgets.VBox([picker, output])
