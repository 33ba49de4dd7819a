"""Cost of one S4 layer vs one attention layer as the sequence grows, measured live, under a memory budget.

Attention materialises an (L, L) matrix per head, so its memory grows as L^2; the S4D layer's grows as L.
Before running attention at a length we PREDICT its peak memory from L (formula below, checked against
measurements by the tests) and skip lengths over the budget, so a sweep never runs out of memory.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lib.errors import UserInputError
from lib.methods.long_range.cost_measure import best_time_seconds, forward_backward, forward_only, peak_memory_bytes
from lib.methods.long_range.model import S4Mixer, SelfAttention
from lib.training import seeded

FLOAT_BYTES = 4


def predict_attention_bytes(length: int, dim: int, heads: int, *, batch: int = 1, backward: bool = True) -> int:
    """Upper estimate of the peak bytes of one softmax self-attention layer (float32) on (batch, L, dim).

    Quadratic part: the forward holds scores and probabilities together (2 h L^2 floats); backward holds the
    saved probabilities, their gradient and the scores' gradient (3 h L^2). The linear part (q, k, v,
    outputs and their gradients) is bounded by (7 d + 32 h) floats per position (fitted with margin on
    measurements of this module).
    """
    quadratic = (3 if backward else 2) * heads * length * length
    linear = (7 * dim + 32 * heads) * length
    return FLOAT_BYTES * batch * (quadratic + linear)


def predict_s4_bytes(length: int, dim: int, state_size: int, *, batch: int = 1, chunk: int | None = 2048) -> int:
    """Upper estimate of the peak bytes of one S4D layer (float32, forward+backward) on (batch, L, dim):
    about 14 floats per channel and position (activations, FFT buffers, kernel) plus the kernel chunk's taps."""
    taps = min(length, chunk or length)
    return FLOAT_BYTES * (batch * 14 * dim * length + 8 * dim * (state_size // 2) * taps)


def largest_length_within(budget_bytes: float, predict: Callable[[int], int], *, upper: int = 1 << 24) -> int:
    """Largest L >= 0 with predict(L) <= budget_bytes (predict must grow with L); binary search."""
    if predict(1) > budget_bytes:
        return 0
    low, high = 1, 2
    while high < upper and predict(high) <= budget_bytes:
        low, high = high, high * 2
    high = min(high, upper)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if predict(middle) <= budget_bytes else (low, middle)
    return low


def check_attention_fits(length: int, dim: int, heads: int, budget_mb: float, *, backward: bool = False,
                         what: str = "sequence") -> None:
    """Raise UserInputError naming the largest length that fits when attention at `length` would exceed the budget."""
    budget = budget_mb * 1e6
    needed = predict_attention_bytes(length, dim, heads, backward=backward)
    if needed > budget:
        fits = largest_length_within(budget, lambda n: predict_attention_bytes(n, dim, heads, backward=backward))
        raise UserInputError(
            f"A {what} of {length:,} tokens needs about {needed / 1e6:,.0f} MB for self-attention, over the "
            f"{budget_mb:,.0f} MB memory budget; the largest length that fits is {fits:,} tokens: use fewer "
            "frames or raise the budget."
        )


@dataclass(frozen=True)
class CostCurves:
    """Measured cost of one layer per sequence length (NaN where attention was not run: over budget).

    lengths: (n,) int. *_seconds: best-of wall time of forward(+backward). *_peak_mb: peak tensor memory.
    attn_predicted_mb: the prediction made before running attention at that length.
    attention_limit: the largest length whose predicted attention memory fits the budget.
    """

    lengths: np.ndarray
    s4_seconds: np.ndarray
    s4_peak_mb: np.ndarray
    attn_seconds: np.ndarray
    attn_peak_mb: np.ndarray
    attn_predicted_mb: np.ndarray
    budget_mb: float
    attention_limit: int
    dim: int
    heads: int
    state_size: int
    backward: bool

    @property
    def attention_ran(self) -> np.ndarray:
        return ~np.isnan(self.attn_seconds)


def measure_cost_curves(lengths: Sequence[int], *, dim: int = 64, heads: int = 1, state_size: int = 16,
                        budget_mb: float = 512.0, backward: bool = True, repeats: int = 2, seed: int = 0,
                        on_point: Callable[[int, int], None] | None = None) -> CostCurves:
    """Time and peak memory of one S4D layer and one attention layer at each length (batch 1, float32).

    Attention is run only where its predicted peak fits `budget_mb`; S4 where its own prediction fits.
    on_point(i, n) is called after each length (progress bars).
    """
    lengths = sorted({int(n) for n in lengths})
    if not lengths or lengths[0] < 2:
        raise UserInputError("Choose sequence lengths of at least 2 tokens.")
    if budget_mb <= 0:
        raise UserInputError("The memory budget must be a positive number of MB.")
    with seeded(seed):
        s4, attention = S4Mixer(dim, state_size, 0.0), SelfAttention(dim, heads)
    generator = torch.Generator().manual_seed(seed)
    step = forward_backward if backward else forward_only
    budget = budget_mb * 1e6
    rows = []
    for i, length in enumerate(lengths):
        inputs = torch.randn(1, length, dim, generator=generator)
        row = [math.nan] * 5
        if predict_s4_bytes(length, dim, state_size) <= budget:
            run = step(s4, inputs)
            row[0], row[1] = best_time_seconds(run, repeats=repeats), peak_memory_bytes(run) / 1e6
        predicted = predict_attention_bytes(length, dim, heads, backward=backward)
        row[4] = predicted / 1e6
        if predicted <= budget:
            run = step(attention, inputs)
            row[2], row[3] = best_time_seconds(run, repeats=repeats), peak_memory_bytes(run) / 1e6
        rows.append(row)
        if on_point is not None:
            on_point(i + 1, len(lengths))
    table = np.array(rows, dtype=np.float64)
    limit = largest_length_within(budget, lambda n: predict_attention_bytes(n, dim, heads, backward=backward))
    return CostCurves(lengths=np.array(lengths), s4_seconds=table[:, 0], s4_peak_mb=table[:, 1],
                      attn_seconds=table[:, 2], attn_peak_mb=table[:, 3], attn_predicted_mb=table[:, 4],
                      budget_mb=float(budget_mb), attention_limit=limit, dim=dim, heads=heads,
                      state_size=state_size, backward=backward)


def geometric_lengths(shortest: int, longest: int, count: int) -> list[int]:
    """`count` lengths spaced evenly on a log scale from shortest to longest (distinct integers)."""
    if shortest < 2 or longest < shortest:
        raise UserInputError(f"Need 2 <= shortest <= longest, got {shortest} and {longest}.")
    values = np.geomspace(shortest, longest, num=max(2, count))
    return sorted({int(round(v)) for v in values})
