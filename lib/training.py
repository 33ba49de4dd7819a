"""One training loop for every training script in scripts/: optimiser step, gradient clipping, schedule, log.

A script owns its data and its loss; it hands `fit` a stream of losses, one per step, computed lazily:

    def losses():
        for step in range(steps):
            batch = draw(rng)                       # the script's data, in the script's random order
            out = model(batch.inputs)
            yield loss_fn(out, batch), {"acc": ...}  # a scalar tensor, optionally with numbers to log

    optimiser = torch.optim.AdamW(model.parameters(), lr=1e-3)
    fit(model, losses(), optimiser, cosine_with_warmup(optimiser, steps, warmup=steps // 20))

Because the generator computes each loss only when `fit` asks for it, the order of random draws,
forward passes and optimiser steps is exactly that of a hand-written loop.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn

StepLoss = torch.Tensor | tuple[torch.Tensor, dict[str, float]]
Optimizer = torch.optim.Optimizer


@dataclass(frozen=True)
class FitLog:
    """What `fit` saw: the loss of every step and the seconds it took in all."""

    losses: tuple[float, ...]
    seconds: float
    extras: tuple[dict[str, float], ...] = field(default=())

    @property
    def final_loss(self) -> float:
        return self.losses[-1] if self.losses else math.nan


def cosine_with_warmup(optimiser: Optimizer, steps: int, *, warmup: int) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up over `warmup` steps, then a half cosine from the base learning rate to 0 at `steps`."""
    warmup = max(1, warmup)
    return torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps))))


def one_cycle(optimiser: Optimizer, steps: int, *, pct_start: float = 0.3) -> torch.optim.lr_scheduler.OneCycleLR:
    """PyTorch's one-cycle schedule peaking at each parameter group's current learning rate."""
    return torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=[g["lr"] for g in optimiser.param_groups],
                                               total_steps=steps, pct_start=pct_start)


def fit(model: nn.Module, losses: Iterable[StepLoss], optimiser: torch.optim.Optimizer,
        schedule: torch.optim.lr_scheduler.LRScheduler | None = None, *, clip_norm: float | None = 1.0,
        log_every: int = 50, total_steps: int | None = None, log: Callable[[str], None] | None = print) -> FitLog:
    """Take one optimiser step per loss in `losses`: zero the gradients, backward, clip, step, schedule.

    losses: scalar tensors, or (tensor, {name: number}) pairs whose numbers are logged next to the loss.
    clip_norm: the gradient-norm clip (None: no clipping). Logs every `log_every` steps and at the last
    step (when `total_steps` is known) through `log` (None: silent). Returns the per-step losses.
    """
    start = time.time()
    seen: list[float] = []
    extras: list[dict[str, float]] = []
    for step, item in enumerate(losses):
        loss, extra = item if isinstance(item, tuple) else (item, {})
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        if clip_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        optimiser.step()
        if schedule is not None:
            schedule.step()
        seen.append(float(loss.detach()))
        extras.append(dict(extra))
        last = total_steps is not None and step == total_steps - 1
        if log is not None and (step % log_every == 0 or last):
            numbers = "".join(f"  {name} {float(value):.4g}" for name, value in extra.items())
            log(f"step {step:5d}  loss {seen[-1]:.4f}{numbers}  ({time.time() - start:.0f} s)")
    return FitLog(tuple(seen), time.time() - start, tuple(extras))


_GLOBAL_RNG = threading.Lock()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Torch's global RNG seeded with `seed` inside the block and restored after it.

    Modules draw their initial weights from the global RNG; a server handler that seeds it must not change
    another request's draws, so the block holds a lock and leaves the RNG as it found it."""
    with _GLOBAL_RNG, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
