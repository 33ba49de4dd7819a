"""Training-cost tab: one training step of a small video transformer under each technique, measured.

    for partial in iter_training_cost(video, techniques=("bf16", "checkpointing"), steps=4): ...
    result = run_training_cost(None, data="toy-world batch")        # -> TrainingCostResult (result.py)
    parallel = run_data_parallel(None)                               # 2 gloo processes: DDP vs ZeRO-1
The pictures are in render.py (render_training_cost); the face (lib.methods.training_cost) re-exports both.

Every recipe (the fp32 baseline, each chosen technique alone, and the chosen combination) starts from the
same weights and trains on the same batch. Each recipe's peak memory is predicted first; a recipe that
would not fit the memory budget is refused before anything runs.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from lib.errors import UserInputError
from lib.methods.training_cost.data import TrainingBatch, clip_batch, label_for_video, toy_batch
from lib.methods.training_cost.model import SmallVideoTransformerConfig
from lib.methods.training_cost.parallel import ParallelMeasurement, measure_data_parallel
from lib.methods.training_cost.predict import check_fits
from lib.methods.training_cost.recipe import TECHNIQUES, TrainingRecipe, recipe_for
from lib.methods.training_cost.result import TrainingCostResult
from lib.methods.training_cost.step import initial_state, measure_memory, time_interleaved
from lib.methods.training_cost.taxonomy import machine_description
from lib.toyworld import ACTION_NAMES
from lib.video import Clip, load_clip

DATA_SOURCES = ("toy-world batch", "chosen clip")
DEFAULT_TECHNIQUES = ("bf16", "checkpointing", "token_drop", "freeze", "lora")


def plan_recipes(techniques: Sequence[str], combination: Sequence[str], *, keep_ratio: float = 0.5,
                 micro_batches: int = 2, lora_rank: int = 4) -> tuple[TrainingRecipe, ...]:
    """The fp32 baseline, each technique alone, then the combination (when it has 2+ techniques)."""
    settings = dict(keep_ratio=keep_ratio, micro_batches=micro_batches, lora_rank=lora_rank)
    recipes = [recipe_for([])] + [recipe_for([key], **settings) for key in techniques]
    if len(combination) >= 2:
        recipes.append(recipe_for(list(combination), **settings))
    return tuple(dict.fromkeys(recipes))  # a combination equal to a single technique is measured once


def prepare_batch(video: str | Path | Clip | None, data: str, *, batch_size: int, num_frames: int,
                  image_size: int, seed: int = 0) -> TrainingBatch:
    """The batch to train on: toy-world clips, or augmented views of the chosen clip with its label.

    video: a path (decoded here: num_frames frames, short side max(image_size, 64)), or a Clip of exactly
    num_frames frames (used as it is); only read when data is "chosen clip".
    """
    if data == "toy-world batch":
        return toy_batch(batch_size, num_frames, image_size, seed=seed)
    if data != "chosen clip":
        raise UserInputError(f"Choose the data from: {', '.join(DATA_SOURCES)}.")
    if not (isinstance(video, Clip) or video):
        raise UserInputError("Choose a clip above (or switch the data to the toy-world batch) first.")
    if isinstance(video, Clip):
        if video.num_frames != num_frames:
            raise UserInputError(f"The clip has {video.num_frames} frames; this model takes {num_frames}.")
        clip, source = video, video.source
    else:
        clip, source = load_clip(video, num_frames=num_frames, short_side=max(image_size, 64)), video
        if clip.num_frames < num_frames:  # load_clip gives every frame of a shorter video
            raise UserInputError(f"The clip has {clip.num_frames} frames and this model trains on {num_frames} per "
                                 "clip: choose fewer frames per clip, a longer clip, or the toy-world batch.")
    label, how = label_for_video(source)
    return clip_batch(clip.frames, label, batch_size, image_size, seed=seed, source=f"the chosen clip ({how})")


def iter_training_cost(video: str | Path | Clip | None = None, *, data: str = "toy-world batch",
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
    batch = prepare_batch(video, data, batch_size=batch_size, num_frames=num_frames, image_size=image_size,
                          seed=seed)
    clips, labels = batch.tensors(device)
    state = {k: v.to(device) for k, v in initial_state(config, seed=seed).items()}
    result = TrainingCostResult(config=config, batch=batch, planned=planned, predictions=predictions,
                                measurements=(), steps=steps, budget_mb=budget_mb, machine=machine_description())
    yield result
    runs = []
    for done, runs in enumerate(time_interleaved(config, planned, clips, labels, state, steps=steps, seed=seed), 1):
        if should_stop and should_stop():
            yield replace(result, stopped=True)
            return
        yield replace(result, progress=f"timing: round {done} of {steps} done (every recipe one step per round)",
                      fraction=0.7 * done / steps)
    for run in runs:
        if should_stop and should_stop():
            yield replace(result, stopped=True)
            return
        memory = measure_memory(config, run.recipe, clips, labels, state, seed=seed)
        result = replace(result, measurements=result.measurements + (run.finish(memory),),
                         progress=f"measuring memory: {len(result.measurements) + 1} of {len(planned)} done",
                         fraction=0.7 + 0.3 * (len(result.measurements) + 1) / len(planned))
        yield result


def run_training_cost(video: str | Path | Clip | None = None, **settings) -> TrainingCostResult:
    """Measure every planned recipe; video and settings are iter_training_cost's (video: path, Clip or None)."""
    result = None
    for result in iter_training_cost(video, **settings):
        pass
    return result


def run_data_parallel(video: str | Path | Clip | None = None, *, data: str = "toy-world batch", batch_size: int = 4,
                      num_frames: int = 8, image_size: int = 64, dim: int = 128, depth: int = 4, heads: int = 4,
                      steps: int = 2, seed: int = 0) -> tuple[ParallelMeasurement, ...]:
    """Plain data parallelism and ZeRO-1 with 2 gloo processes on this machine, each on half the batch."""
    if batch_size < 2:
        raise UserInputError("Data parallelism with 2 processes needs a batch of at least 2 clips.")
    config = SmallVideoTransformerConfig(num_frames=num_frames, image_size=image_size, dim=dim, depth=depth,
                                         heads=heads, num_classes=len(ACTION_NAMES))
    batch = prepare_batch(video, data, batch_size=batch_size, num_frames=num_frames, image_size=image_size,
                          seed=seed)
    clips, labels = batch.tensors()
    return tuple(measure_data_parallel(config, clips, labels, mode=mode, steps=steps) for mode in ("ddp", "zero1"))


def technique_choices() -> list[tuple[str, str]]:
    """(title, key) pairs for a checkbox group."""
    return [(t.title, t.key) for t in TECHNIQUES.values()]
