"""Models the Attention tab offers only with a GPU, and the blocks it records by default for the big ones.

    offered_models(MODEL_CHOICES)      # the dropdown: V-JEPA 2 only where CUDA is present
    check_offered("vjepa2-vitl-ssv2")  # UserInputError on a CPU, with the seconds measured here
    default_layers("vjepa2-vitl-ssv2", None) -> ((0, 8, 16, 23), "V-JEPA 2: blocks 0, 8, 16, 23 recorded ...")

V-JEPA 2 ViT-L/16 on its trained 16 frames at 256 px is 2,048 tokens through 24 blocks: 1,870 GFLOPs a clip (5.2x
VideoMAE-B's 361), and a block's 16 maps of 2,048^2 are 134 MB in fp16 (all 24: 3.2 GB). Measured on the full-size
rehearsal (benchmarks/hub_models.py rows, figures at GPU_ONLY) it is far over the 10 s rule on a 2-core CPU, so it
is offered where CUDA is (8 frames would cost ~1.6x VideoMAE-B's forward but halve the clip it was trained on);
VIDEO_EXPLORER_GPU_ONLY_ON_CPU=1 lets it run on a CPU anyway (benchmarks, or a patient user of a local copy).
The rule's shared pieces (ALLOW_ENV, GpuOnly, has_gpu, the override) live in lib/models/gpu_only.py, which SAM 2 in
Mask propagation and Compare uses too.
"""
from __future__ import annotations

from collections.abc import Sequence

from lib.errors import UserInputError
from lib.models.gpu_only import ALLOW_ENV, GpuOnly, allowed_on_cpu, has_gpu

__all__ = ["ALLOW_ENV", "DEFAULT_BLOCKS", "GPU_ONLY", "GpuOnly", "check_offered", "default_layers", "frames_note",
           "gpu_sentence", "has_gpu", "offered_models"]

GPU_ONLY: dict[str, GpuOnly] = {
    # benchmarks/hub_models.py, 2026-12-02, 2 busy cores (matmul peak 39 GFLOP/s, quiet: 203): 130.9 s on the 10 s
    # 640x360 clip and 117.5 s on the 5 s 1280x720 one, 3.8x and 4.2x VideoMAE-B's 34.7 / 27.9 s in the same run,
    # so about 20 s where VideoMAE-B takes its quiet 5.1 s; peak RSS 3.2 GB.
    "vjepa2-vitl-ssv2": GpuOnly(
        cpu_seconds=131.0,
        measured="16 frames, 4 of 24 blocks recorded, busy machine; 3.8x VideoMAE-B in the same run, ~20 s on a "
                 "quiet one"),
}
# Blocks recorded when the user leaves "Layers" empty, for models whose every block does not fit the budget.
DEFAULT_BLOCKS: dict[str, tuple[int, ...]] = {"vjepa2-vitl-ssv2": (0, 8, 16, 23)}


def offered_models(choices: Sequence[str]) -> tuple[str, ...]:
    """`choices` without the GPU-only models when no GPU is present (and no override asks for them)."""
    if has_gpu() or allowed_on_cpu():
        return tuple(choices)
    return tuple(name for name in choices if name not in GPU_ONLY)


def gpu_sentence(model: str) -> str:
    """Why `model` is not offered here, with its measured CPU seconds ("" for models any machine runs)."""
    entry = GPU_ONLY.get(model)
    if entry is None:
        return ""
    return (f"{model} needs a GPU: on a 2-core CPU its main action took {entry.cpu_seconds:.0f} s "
            f"({entry.measured}), far over the 10 s an interactive tab allows, so it is offered where CUDA is.")


def check_offered(model: str) -> None:
    """Raise UserInputError (a sentence with the measured seconds) when `model` needs a GPU this machine lacks."""
    if model in GPU_ONLY and not has_gpu() and not allowed_on_cpu():
        raise UserInputError(gpu_sentence(model) + " Pick VideoMAE-B or TimeSformer-B here.")


def frames_note(model: str, estimate: str) -> str:
    """The time estimate shown before a run, with the GPU-only sentence where it applies on this machine."""
    if model in GPU_ONLY and not has_gpu():
        return f"{gpu_sentence(model)} {estimate}"
    return estimate


def default_layers(model: str, layers: Sequence[int] | None) -> tuple[Sequence[int] | None, str]:
    """(blocks to record, a note) for the user's `layers`: None (every block) becomes DEFAULT_BLOCKS for the models
    whose every block would not fit the recording budget; other choices pass unchanged with no note."""
    if layers is not None or model not in DEFAULT_BLOCKS:
        return layers, ""
    blocks = DEFAULT_BLOCKS[model]
    return blocks, (f"Recorded blocks {', '.join(map(str, blocks))} (every block's maps would not fit the memory "
                    "budget); write others under 'Layers', e.g. 4, 12, 20.")
