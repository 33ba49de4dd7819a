"""Predicting a recipe's peak training memory before running it, and refusing what will not fit.

The prediction is arithmetic on the architecture, never a trial run, so an over-budget combination is
refused before it allocates anything. Tensor memory of a step = weights + optimiser state (AdamW: two
fp32 moments per trainable parameter) + gradients + what autograd stores for backward.

Stored activations per block and sample are a * N * D + b * H * N^2 elements of 4 bytes (N tokens incl.
CLS, D width, H heads). The coefficients were counted from this model's block: LayerNorm inputs and
outputs, q/k/v, the attention output, the fc1 output and GELU output (4D wide each) add up to about
16 N*D, plus the softmax output H*N^2 when attention is written out in full (fused attention stores no
N^2 matrix). Under bf16 autocast the matmul inputs are stored in 2 bytes but LayerNorm stays fp32
(about 11 N*D and H*N^2 / 2). With LoRA the frozen fc1/fc2 need not keep their inputs (about 2/3 left).
`tests/test_training_cost_predict.py` checks the prediction against the profiler's measurement.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from lib.errors import UserInputError
from lib.methods.training_cost.model import SmallVideoTransformerConfig
from lib.methods.training_cost.recipe import TrainingRecipe

FP32 = 4
MB = 2 ** 20


@dataclass(frozen=True)
class MemoryPrediction:
    """Predicted tensor memory of training with a recipe, in bytes."""

    weights: int
    optimizer_state: int
    gradients: int
    activations: int  # stored for backward (plus one block's recomputation or working set)

    @property
    def total(self) -> int:
        return self.weights + self.optimizer_state + self.gradients + self.activations


def parameter_counts(config: SmallVideoTransformerConfig, recipe: TrainingRecipe) -> tuple[int, int]:
    """(total, trainable) parameters of the model under `recipe`, LoRA adapters included."""
    d, hidden, c = config.dim, config.mlp_ratio * config.dim, config.num_classes
    t, h, w = config.tubelet
    block = 2 * 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + (d * hidden + hidden) + (hidden * d + d)
    head = d * c + c
    total = 3 * t * h * w * d + d + config.num_tokens * d + d + config.depth * block + 2 * d + head
    if recipe.tuning == "head":
        return total, head
    if recipe.tuning == "lora":  # adapters on qkv (d -> 3d) and proj (d -> d); peft keeps a trainable head copy
        adapters = config.depth * recipe.lora_rank * ((d + 3 * d) + (d + d))
        return total + adapters + head, adapters + head
    return total, total


def predict_memory(config: SmallVideoTransformerConfig, recipe: TrainingRecipe, batch_size: int) -> MemoryPrediction:
    """Predicted peak tensor memory of a training step with `recipe` on `batch_size` clips."""
    total, trainable = parameter_counts(config, recipe)
    n = config.kept_tokens(recipe.keep_ratio) + 1
    d, heads, depth = config.dim, config.heads, config.depth
    per_micro = math.ceil(batch_size / recipe.micro_batches)
    a, b = (11.0, 0.5) if recipe.bf16 else (16.0, 1.0)
    if recipe.fused_attention:
        b = 0.0
    if recipe.tuning == "lora":
        a *= 2 / 3
    block = (a * n * d + b * heads * n * n) * FP32  # bytes per block and sample
    pixels = 3 * config.num_frames * config.image_size ** 2
    embed = (pixels + 2 * config.num_tokens * d) * FP32 if recipe.tuning == "full" else config.num_tokens * d * FP32
    if recipe.tuning == "head":  # nothing in the encoder needs gradients: one block's working set at a time
        activations = per_micro * (2 * heads * n * n + 8 * n * d) * FP32
    elif recipe.checkpointing:  # each block's input is kept; one block is recomputed at a time
        activations = per_micro * (depth * n * d * FP32 + block + embed)
    else:
        activations = per_micro * (depth * block + embed)
    return MemoryPrediction(weights=total * FP32, optimizer_state=2 * trainable * FP32, gradients=trainable * FP32,
                            activations=int(activations))


def check_fits(config: SmallVideoTransformerConfig, recipe: TrainingRecipe, batch_size: int,
               budget_mb: float) -> MemoryPrediction:
    """The prediction, or UserInputError with a sentence when it exceeds `budget_mb` megabytes."""
    prediction = predict_memory(config, recipe, batch_size)
    if prediction.total > budget_mb * MB:
        raise UserInputError(
            f"'{recipe.label}' would need about {prediction.total / MB:.0f} MB "
            f"(activations {prediction.activations / MB:.0f} MB) but the memory budget is {budget_mb:.0f} MB: "
            "add activation checkpointing, token dropping or more micro-batches, use a smaller batch, "
            "or raise the budget.")
    return prediction
