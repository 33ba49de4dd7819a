"""Which toy-world seeds train a model and which score it: one convention for every method.

Each method keeps its own ranges (changing them would change every trained model and benchmark figure):

    SEEDS = SeedSplit(train_start=100_000, held_out_start=500_000)
    SEEDS.train(3000)      # [100000, ..., 102999]
    SEEDS.held_out(40)     # [500000, ..., 500039], never used in training
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeedSplit:
    """Training seeds count up from `train_start`, held-out seeds from `held_out_start`."""

    held_out_start: int
    train_start: int = 0

    def __post_init__(self) -> None:
        if self.held_out_start <= self.train_start:
            raise ValueError("held-out seeds must start above the training seeds")

    def train(self, count: int) -> list[int]:
        if self.train_start + count > self.held_out_start:
            raise ValueError(f"{count} training seeds from {self.train_start} would reach the held-out seeds")
        return list(range(self.train_start, self.train_start + count))

    def held_out(self, count: int) -> list[int]:
        return list(range(self.held_out_start, self.held_out_start + count))
