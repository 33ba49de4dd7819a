"""FLOP counts measured by PyTorch's own counter (torch.utils.flop_counter), never by hand."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

GLOBAL = "Global"  # FlopCounterMode's name for the whole call
# FlopCounterMode counts a multiply-add as 2 FLOPs; fvcore, ptflops and most papers count it as 1 ("GFLOPs").
MACS_NOTE = "papers' GFLOPs are multiply-adds (GMACs): 1 MAC = 2 FLOPs here"


def macs_of(flops: float) -> float:
    """Multiply-accumulates of a FlopCounterMode count: flops / 2 (what papers print as "FLOPs")."""
    return flops / 2


@dataclass(frozen=True)
class FlopReport:
    """FLOPs of one call, as counted by FlopCounterMode (a multiply-add counts 2; `macs` = total / 2).

    total:        FLOPs of the whole call.
    per_module:   module path -> FLOPs spent inside it (nested: a parent includes its children;
                  paths are prefixed with the top module's class name, e.g. "Linear" or "Net.fc").
    per_operator: aten operator name (e.g. "aten.mm") -> FLOPs over the whole call.
    Only operators FlopCounterMode knows (matmuls, convolutions, attention) are counted;
    elementwise work such as softmax or layer norm counts 0.
    """

    total: int
    per_module: dict[str, int] = field(default_factory=dict)
    per_operator: dict[str, int] = field(default_factory=dict)

    @property
    def gflops(self) -> float:
        return self.total / 1e9

    @property
    def macs(self) -> float:
        """Multiply-accumulates: total / 2, the number papers print as "FLOPs" (see MACS_NOTE)."""
        return macs_of(self.total)

    @property
    def gmacs(self) -> float:
        return self.macs / 1e9


def count_flops(fn: Callable[[], Any]) -> FlopReport:
    """Run `fn()` once under FlopCounterMode and report what it spent. The result of `fn` is dropped."""
    counter = FlopCounterMode(display=False, depth=None)
    with counter:
        fn()
    counts = counter.get_flop_counts()
    per_module = {name: int(sum(ops.values())) for name, ops in counts.items() if name != GLOBAL}
    per_operator = {str(op): int(n) for op, n in counts.get(GLOBAL, {}).items()}
    return FlopReport(total=int(counter.get_total_flops()), per_module=per_module, per_operator=per_operator)


def count_model_flops(model: nn.Module, *inputs: Any, **kwargs: Any) -> FlopReport:
    """FLOPs of one inference call `model(*inputs, **kwargs)` (under torch.no_grad)."""

    def run() -> None:
        with torch.no_grad():
            model(*inputs, **kwargs)

    return count_flops(run)
