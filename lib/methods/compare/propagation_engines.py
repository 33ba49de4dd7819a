"""Compare "MPVSS vs SAM 2 propagation": the same key-frame masks carried through a clip two ways.

MPVSS segments every k-th frame with the bundled segmentor and warps the masks between with one flow per mask;
SAM 2.1 hiera-tiny is prompted once with frame 0's masks (the same segmentor's) and carries them with its memory.
Both sides run on the same decoded clip (lib.methods.mask_propagation), one frame slider; numbers: mIoU against
the toy world's ground truth (else the per-frame segmentation), FLOPs and seconds per frame. SAM 2 is offered
only with CUDA (or VIDEO_EXPLORER_GPU_ONLY_ON_CPU=1): on a CPU its side is refused with the measured seconds.
"""
from __future__ import annotations

import numpy as np

from lib.methods.compare.mask_propagation import accuracy_and_cost, frame_iou_text, frame_picture, timed_run
from lib.methods.compare.spec import ComparisonSpec, Progress, Setting, Side, split_progress
from lib.methods.mask_propagation import (
    PROPAGATORS,
    SAM2,
    check_propagator,
    frame_caption,
    load_propagation_clip,
)

ENGINES = (("mpvss", "MPVSS per-query flow (k from the number)"), ("dis", "one plain optical flow (DIS)"),
           (SAM2, "SAM 2.1 hiera-tiny memory (prompted on frame 0; GPU)"))


def side_label(setting: Setting) -> str:
    if setting.variant == SAM2:
        return "SAM 2.1 hiera-tiny, prompted on frame 0"
    if setting.number == 1:
        return "per-frame segmentation (k=1)"
    return f"{PROPAGATORS[setting.variant].split(' (')[0]}, k={setting.number}"


def _side(clip, setting: Setting, progress: Progress) -> Side:
    result, seconds = timed_run(clip, setting, progress)
    numbers = accuracy_and_cost(result) + (
        ("GFLOPs of the costliest frame", round(float(result.track.flops.max()) / 1e9, 4)),
        ("frames segmented by the segmentor", int(result.track.is_key.sum())),
        ("model time per frame (ms)", round(float(result.track.seconds.mean()) * 1000, 1)),
        ("wall time of the run (s)", round(seconds, 2)),
    )
    return Side(side_label(setting), setting, numbers, len(result.frames), result)


def run(path: str, a: Setting, b: Setting, progress: Progress | None = None) -> tuple[Side, Side]:
    """Decode the clip once (12.5 fps, <= 40 frames, 128 px; ground truth for the bundled toy examples) and run
    each side on it. Raises UserInputError when k does not fit the clip, or for SAM 2 on a CPU (before any run)."""
    for setting in (a, b):
        check_propagator(setting.variant)
    clip = load_propagation_clip(path)
    return (_side(clip, a, split_progress(progress, 0.05, 0.5)), _side(clip, b, split_progress(progress, 0.5, 0.98)))


def render(a: Side, b: Side, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame t of each side with its class masks (key frames have a yellow border), DISPLAY px high, labelled with
    how the frame got its masks and its IoU."""
    images = []
    for side in (a, b):
        how = frame_caption(side.result, t).split("  \n")[0].split(": ", 1)[1]
        text = ("SAM 2 memory" if side.setting.variant == SAM2 and t else how) + frame_iou_text(side, t)
        images.append(frame_picture(side, t, text))
    return images[0], images[1]


def caption(a: Side, b: Side, t: int) -> str:
    ref = a.result.reference_kind
    return (f"Frame {t} of {a.num_frames} (12.5 frames per second). Colours are classes; a yellow border marks a "
            f"key frame, where the segmentor ran (SAM 2: frame 0 only, its prompt). IoU is against the {ref}.")


SPEC = ComparisonSpec(
    key="propagation-engines",
    title="MPVSS vs SAM 2 propagation",
    description=("The same bundled segmentor's masks carried through the clip two ways: MPVSS segments every k-th "
                 "frame and warps the masks between with one flow per mask; SAM 2.1 hiera-tiny is prompted once "
                 "with frame 0's masks and carries them with its memory of the last 7 frames (its whole image "
                 "encoder at 1024 x 1024 on every frame: offered with a GPU). Numbers: accuracy against the "
                 "ground truth of toy-world examples (else the per-frame segmentation), FLOPs and seconds."),
    variant_label="propagation",
    variants=ENGINES,
    number_label="key-frame interval k (flows; SAM 2 has one key frame)",
    number_range=(1, 40),
    default_a=Setting("mpvss", 5),
    default_b=Setting(SAM2, 5),
    run=run,
    render=render,
    caption=caption,
)
