"""FLOP counts measured by PyTorch's own counter (torch.utils.flop_counter), never by hand.

Safe while other threads run models (Gradio serves sessions in worker threads and shares cached models):
FlopCounterMode's dispatch mode is thread-local, but its ModuleTracker installs process-wide module hooks,
which ran in every thread's forward passes, attributed their modules to the count and registered backward
hooks there (a forward under inference_mode in another thread then failed inside the tracker). Our tracker
ignores other threads, and registers backward hooks only where a backward can follow.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn
from torch.utils import flop_counter
from torch.utils.flop_counter import FlopCounterMode
from torch.utils.module_tracker import ModuleTracker

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


def _count_fused_attention_on_cpu() -> None:
    """Give the CPU's fused attention kernels the FLOP formulas of their CUDA twins.

    torch 2.13's flop_registry knows aten._scaled_dot_product_flash_attention (CUDA) but not the kernel that
    F.scaled_dot_product_attention dispatches to on CPU, so every fused attention there counted 0 FLOPs (a CLIP
    tower without recorded maps lost its attention matmuls from the count). The CPU kernels take the same leading
    arguments (query, key, value; backward: grad_out, query, key, value), so the same formulas apply."""
    aten = torch.ops.aten
    pairs = ((getattr(aten, "_scaled_dot_product_flash_attention_for_cpu", None), flop_counter.sdpa_flop),
             (getattr(aten, "_scaled_dot_product_flash_attention_for_cpu_backward", None),
              flop_counter.sdpa_backward_flop))
    for op, formula in pairs:
        if op is not None and op not in flop_counter.flop_registry:
            flop_counter.register_flop_formula(op, get_raw=True)(formula)  # the formulas come shape-wrapped


_count_fused_attention_on_cpu()


def _grad_can_follow() -> bool:
    return torch.is_grad_enabled() and not torch.is_inference_mode_enabled()


class _ThreadModuleTracker(ModuleTracker):
    """torch's ModuleTracker, acting only on forward passes of the thread that entered it."""

    def __enter__(self):
        self._owner = threading.get_ident()
        return super().__enter__()

    def _fw_pre_hook(self, mod, input) -> None:
        if threading.get_ident() != self._owner:
            return
        if _grad_can_follow():
            super()._fw_pre_hook(mod, input)
        else:  # no backward can follow: only the module stack, no gradient hooks (they fail in inference_mode)
            self._get_append_fn(self._get_mod_name(mod), False)()

    def _fw_post_hook(self, mod, input, output) -> None:
        if threading.get_ident() != self._owner:
            return
        if _grad_can_follow():
            super()._fw_post_hook(mod, input, output)
        else:
            self._get_pop_fn(self._get_mod_name(mod), False)()


def _counter() -> FlopCounterMode:
    """A FlopCounterMode whose module tracking sees only the calling thread."""
    counter = FlopCounterMode(display=False, depth=None)
    counter.mod_tracker = _ThreadModuleTracker()
    return counter


def count_flops(fn: Callable[[], Any]) -> FlopReport:
    """Run `fn()` once under FlopCounterMode and report what it spent. The result of `fn` is dropped.

    Only work done by the calling thread is counted; forward passes in other threads are left alone."""
    counter = _counter()
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
