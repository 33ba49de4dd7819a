"""The training-step harness: build a model for a recipe, run steps, measure time, memory and loss.

Every recipe starts from the same initial weights (`init_state`) and trains on the same batch with the
same token-dropping random stream, so differences come from the technique alone.

    state = initial_state(config, seed=0)
    m = measure_recipe(config, recipe, video, labels, state, steps=6)
    m.seconds_per_step, m.memory.peak_bytes, m.losses
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.profiler import record_function

from lib.methods.training_cost.memory import (
    FORWARD_MARKER,
    STEP_MARKER,
    MemoryProfile,
    profile_cpu_memory,
    profile_cuda_memory,
)
from lib.methods.training_cost.model import SmallVideoTransformer, SmallVideoTransformerConfig
from lib.methods.training_cost.recipe import TrainingRecipe
from lib.training import seeded

LORA_TARGETS = ("qkv", "proj")  # attention projections, as in the LoRA paper's choice of Wq, Wv


@dataclass(frozen=True)
class RecipeMeasurement:
    """What one recipe cost, measured.

    seconds_per_step: fastest timed step (the first step, which also allocates the optimiser state, is
                      excluded when there are at least 2 steps). The minimum, not the mean: on a shared
                      machine other processes only ever add time.
    step_seconds:     every step's wall time, first step included.
    losses:           training loss after each step, (steps,) values >= 0.
    memory:           tensor memory of a separate 2-step run under the memory profiler.
    trainable_params / total_params: parameter counts (LoRA adapters included in both).
    """

    recipe: TrainingRecipe
    seconds_per_step: float
    step_seconds: tuple[float, ...]
    losses: tuple[float, ...]
    memory: MemoryProfile
    trainable_params: int
    total_params: int

    @property
    def trainable_fraction(self) -> float:
        return self.trainable_params / max(1, self.total_params)


def initial_state(config: SmallVideoTransformerConfig, *, seed: int = 0) -> dict[str, torch.Tensor]:
    """The shared starting weights: a seeded random initialisation of the model."""
    with seeded(seed):
        return {k: v.clone() for k, v in SmallVideoTransformer(config).state_dict().items()}


def build_model(config: SmallVideoTransformerConfig, recipe: TrainingRecipe,
                init_state: dict[str, torch.Tensor], device: torch.device | str = "cpu") -> nn.Module:
    """The model for `recipe`, loaded with `init_state`, with the parameters it should not train frozen.

    tuning "head": every parameter but the head's has requires_grad False.
    tuning "lora": peft's LoRA adapters on LORA_TARGETS; peft freezes the base weights and we keep the
    (new, task-specific) head trainable through `modules_to_save`.
    """
    model = SmallVideoTransformer(config)
    model.load_state_dict(init_state)
    model.to(device)
    if recipe.tuning == "head":
        for name, param in model.named_parameters():
            param.requires_grad_(name.startswith("head."))
    elif recipe.tuning == "lora":
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(r=recipe.lora_rank, lora_alpha=2 * recipe.lora_rank, lora_dropout=0.0,
                          target_modules=list(LORA_TARGETS), modules_to_save=["head"])
        model = get_peft_model(model, lora)
    return model


def make_optimizer(model: nn.Module, lr: float = 5e-4) -> torch.optim.Optimizer:
    """AdamW over the trainable parameters only (frozen ones get no optimiser state)."""
    return torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.05)


def training_step(model: nn.Module, optimizer: torch.optim.Optimizer, video: torch.Tensor, labels: torch.Tensor,
                  recipe: TrainingRecipe, *, generator: torch.Generator | None = None,
                  probe: Callable[[str], None] | None = None) -> float:
    """One optimiser step on video (B, 3, T, H, W) float in [0, 1] and labels (B,) int64; returns the loss.

    With micro_batches = k the batch runs as k forward/backward passes whose gradients add up; each
    micro-batch loss is a sum divided by the full batch size, so the gradient equals the full batch's.
    Each forward is a `record_function(FORWARD_MARKER)` range so the memory profiler can find it;
    `probe(moment)` is called at "step_start", "forward_start", "forward_end", "step_end" (used on a GPU).
    """
    optimizer.zero_grad(set_to_none=True)  # before the marked range, so its start holds no gradients
    with record_function(STEP_MARKER):
        if probe:
            probe("step_start")
        loss = forward_backward(model, video, labels, recipe, generator=generator, probe=probe)
        optimizer.step()
        if probe:
            probe("step_end")
    return loss


def forward_backward(model: nn.Module, video: torch.Tensor, labels: torch.Tensor, recipe: TrainingRecipe, *,
                     generator: torch.Generator | None = None,
                     probe: Callable[[str], None] | None = None) -> float:
    """Forward and backward over the batch (as `recipe.micro_batches` micro-batches), gradients added into
    `.grad`; returns the batch's mean loss. No optimiser step."""
    total = 0.0
    batch = len(video)
    device_type = video.device.type
    for chunk, chunk_labels in zip(video.chunk(recipe.micro_batches), labels.chunk(recipe.micro_batches)):
        if probe:
            probe("forward_start")
        with record_function(FORWARD_MARKER):
            autocast = (torch.autocast(device_type, dtype=torch.bfloat16) if recipe.bf16
                        else contextlib.nullcontext())
            with autocast:
                logits = model(chunk, keep_ratio=recipe.keep_ratio, checkpointing=recipe.checkpointing,
                               fused_attention=recipe.fused_attention, generator=generator)
            loss = F.cross_entropy(logits.float(), chunk_labels, reduction="sum") / batch
        if probe:
            probe("forward_end")
        loss.backward()
        total += float(loss.detach())
    return total


def count_params(model: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


def _generator(seed: int, device: torch.device) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def measure_memory(config: SmallVideoTransformerConfig, recipe: TrainingRecipe, video: torch.Tensor,
                   labels: torch.Tensor, init_state: dict[str, torch.Tensor], *, seed: int = 0) -> MemoryProfile:
    """Tensor memory of building the model and optimiser and running 2 steps (the second has Adam state)."""
    device = video.device

    def run(probe: Callable[[str], None] | None = None) -> None:
        model = build_model(config, recipe, init_state, device)
        optimizer = make_optimizer(model)
        generator = _generator(seed, device)
        for _ in range(2):
            training_step(model, optimizer, video, labels, recipe, generator=generator, probe=probe)

    if device.type == "cuda":
        return profile_cuda_memory(run)
    return profile_cpu_memory(run)


class TimedRun:
    """One recipe being trained step by step: its model, optimiser, token-dropping stream, times and losses."""

    def __init__(self, config: SmallVideoTransformerConfig, recipe: TrainingRecipe,
                 init_state: dict[str, torch.Tensor], device: torch.device, seed: int) -> None:
        self.recipe = recipe
        self.model = build_model(config, recipe, init_state, device)
        self.optimizer = make_optimizer(self.model)
        self.generator = _generator(seed, device)
        self.losses: list[float] = []
        self.times: list[float] = []

    def step(self, video: torch.Tensor, labels: torch.Tensor) -> None:
        """One timed training step."""
        if video.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        self.losses.append(training_step(self.model, self.optimizer, video, labels, self.recipe,
                                         generator=self.generator))
        if video.device.type == "cuda":
            torch.cuda.synchronize()
        self.times.append(time.perf_counter() - start)

    def finish(self, memory: MemoryProfile) -> RecipeMeasurement:
        """The measurement, with the memory profile of a separate run; frees the model."""
        trainable, total = count_params(self.model)
        timed = self.times[1:] if len(self.times) >= 2 else self.times
        self.model = self.optimizer = None
        return RecipeMeasurement(recipe=self.recipe, seconds_per_step=min(timed) if timed else float("nan"),
                                 step_seconds=tuple(self.times), losses=tuple(self.losses), memory=memory,
                                 trainable_params=trainable, total_params=total)


def time_interleaved(config: SmallVideoTransformerConfig, recipes: Sequence[TrainingRecipe], video: torch.Tensor,
                     labels: torch.Tensor, init_state: dict[str, torch.Tensor], *, steps: int = 6,
                     seed: int = 0) -> Iterator[list[TimedRun]]:
    """Train every recipe `steps` steps, round-robin (one step of each per round); yields after each round.

    Round-robin, because on a shared machine the load changes over time: interleaving exposes every
    recipe to the same load, where measuring one recipe after another would compare different moments.
    """
    runs = [TimedRun(config, r, init_state, video.device, seed) for r in recipes]
    for _ in range(steps):
        for run in runs:
            run.step(video, labels)
        yield runs


def measure_recipe(config: SmallVideoTransformerConfig, recipe: TrainingRecipe, video: torch.Tensor,
                   labels: torch.Tensor, init_state: dict[str, torch.Tensor], *, steps: int = 6,
                   seed: int = 0, should_stop: Callable[[], bool] | None = None) -> RecipeMeasurement:
    """Train `steps` steps from `init_state` (timed, loss recorded), then measure memory in a separate run.

    `should_stop()` is polled between steps; when it returns True the remaining steps are skipped.
    """
    run = TimedRun(config, recipe, init_state, video.device, seed)
    for _ in range(max(1, steps)):
        if should_stop and should_stop():
            break
        run.step(video, labels)
    memory = measure_memory(config, recipe, video, labels, init_state, seed=seed)
    return run.finish(memory)
