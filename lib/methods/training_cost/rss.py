"""Process-RSS view of a recipe's training memory: one fresh spawned process per measurement.

The kernel's high-water mark of resident memory (VmHWM) never goes down within a process, so each
recipe runs in its own new interpreter: baseline RSS is read after torch is imported and the batch exists,
then the model and optimiser are built and 2 training steps run; the figure is VmHWM minus that baseline.
It includes what PyTorch's allocator accounting does not see (allocator slack, oneDNN scratch space, pages
glibc keeps after a free), so it is larger and noisier than the tensor-memory figure, but it is what the
operating system charges the process.
"""
from __future__ import annotations

import multiprocessing
from dataclasses import asdict

from lib.methods.training_cost.model import SmallVideoTransformerConfig
from lib.methods.training_cost.recipe import TrainingRecipe


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise OSError(f"{field} not in /proc/self/status")


def _child(config_fields: dict, recipe_fields: dict, batch_size: int, seed: int, threads: int, queue) -> None:
    import torch

    from lib.methods.training_cost.step import build_model, initial_state, make_optimizer, training_step

    torch.set_num_threads(threads)
    config = SmallVideoTransformerConfig(**{**config_fields, "tubelet": tuple(config_fields["tubelet"])})
    recipe = TrainingRecipe(**recipe_fields)
    state = initial_state(config, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    video = torch.rand(batch_size, 3, config.num_frames, config.image_size, config.image_size, generator=generator)
    labels = torch.randint(0, config.num_classes, (batch_size,), generator=generator)
    if recipe.tuning == "lora":
        import peft  # noqa: F401  (imported before the baseline: its code is not training memory)
    before = _status_kib("VmRSS")
    model = build_model(config, recipe, state)
    optimizer = make_optimizer(model)
    for _ in range(2):
        training_step(model, optimizer, video, labels, recipe, generator=torch.Generator().manual_seed(seed))
    queue.put((_status_kib("VmHWM") - before) * 1024)


def rss_peak_isolated(config: SmallVideoTransformerConfig, recipe: TrainingRecipe, batch_size: int, *,
                      seed: int = 0, threads: int = 2, timeout_s: float = 600.0) -> int:
    """Peak resident-memory growth (bytes) of building the model and running 2 steps, in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(asdict(config), asdict(recipe), batch_size, seed, threads, queue))
    process.start()
    try:
        return int(queue.get(timeout=timeout_s))
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
