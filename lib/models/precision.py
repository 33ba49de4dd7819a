"""The numeric precision pretrained (hub) models run in: bfloat16 where the processor computes it natively.

    with inference_precision(device) as precision:   # precision.name: "bfloat16" or "float32"
        logits = model(pixel_values=x)

On a CPU with AVX-512 BF16 (or AMX) a ViT-B/L forward under bfloat16 autocast takes a third to a half of the
float32 time (benchmarks/hub_models.py measures both side by side); weights stay float32, matmuls and
attention run in bfloat16, and outputs differ from float32 by about 1e-2 relative (tests/test_precision.py).
On CUDA bfloat16 is used when the GPU supports it. `VIDEO_EXPLORER_PRECISION` = auto (default) | float32 |
bfloat16 overrides the choice. The project's own small models never use this: they run float32, bit for bit.
"""
from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass

import torch

PRECISION_ENV = "VIDEO_EXPLORER_PRECISION"
_CHOICES = ("auto", "float32", "bfloat16")


@dataclass(frozen=True)
class Precision:
    """What a forward pass computed in: `name` ("bfloat16" / "float32") and a note for the result's notes."""

    name: str

    @property
    def note(self) -> str:
        if self.name == "float32":
            return "Computed in float32."
        return ("Computed in bfloat16 (weights float32, matmuls bfloat16: about 1% relative difference from "
                f"float32; set {PRECISION_ENV}=float32 to compare).")


@functools.lru_cache(maxsize=4)
def _bf16_native(device_type: str) -> bool:
    if device_type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device_type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):  # a torch build without oneDNN
            return False
    return False


def choose_precision(device: torch.device | str = "cpu") -> Precision:
    """The precision hub models run in on `device` (see the module docstring for the rule and the override)."""
    device_type = torch.device(device).type
    wanted = os.environ.get(PRECISION_ENV, "auto").strip().lower() or "auto"
    if wanted not in _CHOICES:
        raise ValueError(f"{PRECISION_ENV} must be one of {', '.join(_CHOICES)}, not {wanted!r}")
    if wanted == "auto":
        wanted = "bfloat16" if _bf16_native(device_type) else "float32"
    return Precision(wanted)


@contextlib.contextmanager
def inference_precision(device: torch.device | str = "cpu") -> Iterator[Precision]:
    """no_grad, and bfloat16 autocast on `device` when choose_precision says so; yields the Precision used."""
    precision = choose_precision(device)
    device_type = torch.device(device).type
    with torch.no_grad():
        if precision.name == "bfloat16":
            with torch.autocast(device_type, dtype=torch.bfloat16):
                yield precision
        else:
            yield precision


def model_device(model: torch.nn.Module) -> torch.device:
    """The device of a model's first parameter (cpu for a model without parameters)."""
    return next((p.device for p in model.parameters()), torch.device("cpu"))
