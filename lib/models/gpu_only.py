"""Models the app offers only where CUDA is: their main action takes minutes on this project's 2-core CPU.

    offered(choices, GPU_ONLY_MODELS)   # the choices without the GPU-only ones, unless a GPU (or the override)
    refuse_on_cpu("sam2.1-hiera-tiny", "Pick MPVSS here.")   # UserInputError with the measured seconds, on a CPU
    gpu_sentence("sam2.1-hiera-tiny") -> "sam2.1-hiera-tiny needs a GPU: on a 2-core CPU ..."

The same rule as the Attention tab's V-JEPA 2 (lib/methods/attention/gpu_only.py builds on this module and keeps
its own sentence and default blocks). VIDEO_EXPLORER_GPU_ONLY_ON_CPU=1 lets them run on a CPU anyway (benchmarks,
notebooks on a short clip, a patient user of a local copy).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from lib.errors import UserInputError

ALLOW_ENV = "VIDEO_EXPLORER_GPU_ONLY_ON_CPU"


@dataclass(frozen=True)
class GpuOnly:
    """Why a model needs a GPU: seconds of its unit of work on this project's 2-core CPU (`unit`: what takes that
    long, e.g. "a frame") and how that was measured."""

    cpu_seconds: float
    measured: str
    unit: str = "a main action"


GPU_ONLY_MODELS: dict[str, GpuOnly] = {
    # 2026-12-02, 2 shared cores, 3 held-out toy clips (2, 1, 4 objects), 128 px frames upsampled to 1024 x 1024:
    # frames 1-2 took 15-36 s (86-103 s while the machine was busy; the first commit's test: 99 s), the prompted
    # frame 10-13 s; FLOPs grow with the memory until frame 7 (2 objects: 323 -> 1,533 GFLOPs, then flat; frames
    # 3-8 took 30-67 s on a busy machine), so a 40-frame clip of the tab is 15+ minutes.
    "sam2.1-hiera-tiny": GpuOnly(
        cpu_seconds=25.0, unit="a frame",
        measured="frames after the prompt, full-size random weights, 1 to 4 objects, shared machine; 30-100 s "
                 "while busy; the tab's 40-frame clips take 15 minutes or more"),
}


def has_gpu() -> bool:
    return torch.cuda.is_available()


def allowed_on_cpu() -> bool:
    """VIDEO_EXPLORER_GPU_ONLY_ON_CPU is set to 1 / true / yes / on."""
    return os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def runs_here() -> bool:
    """Whether GPU-only models may run in this process: CUDA is present, or the override asks for it."""
    return has_gpu() or allowed_on_cpu()


def offered(choices: Sequence[str], gpu_only: Sequence[str] = tuple(GPU_ONLY_MODELS)) -> tuple[str, ...]:
    """`choices` without those in `gpu_only` when they cannot run here (no GPU, no override)."""
    if runs_here():
        return tuple(choices)
    return tuple(name for name in choices if name not in gpu_only)


def gpu_sentence(model: str) -> str:
    """Why `model` is not offered here, with its measured CPU seconds ("" for models any machine runs)."""
    entry = GPU_ONLY_MODELS.get(model)
    if entry is None:
        return ""
    return (f"{model} needs a GPU: on a 2-core CPU it took {entry.cpu_seconds:.0f} s {entry.unit} "
            f"({entry.measured}), far over the 10 s an interactive tab allows, so it is offered where CUDA is.")


def refuse_on_cpu(model: str, alternative: str = "") -> None:
    """Raise UserInputError (the GPU sentence, then `alternative`) when `model` needs a GPU that is not here."""
    if model in GPU_ONLY_MODELS and not runs_here():
        raise UserInputError(f"{gpu_sentence(model)} {alternative}".strip())
