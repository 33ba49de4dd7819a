"""Compare: two mask-propagation settings (flow method, key-frame interval k) on the same clip.

Both sides use the bundled key-frame segmentor on the same decoded clip (lib.methods.mask_propagation);
k=1 segments every frame, which is the per-frame baseline MPVSS saves FLOPs against.
"""
from __future__ import annotations

import time

import cv2
import numpy as np

from lib.methods.compare.spec import ComparisonSpec, Progress, Setting, Side, split_progress
from lib.methods.mask_propagation import frame_caption, load_propagation_clip, render_overlay, run_on_frames
from lib.viz import put_label

DISPLAY = 256  # the clip is analysed at 128 px; shown twice as large so masks stay readable
FLOWS = (("mpvss", "MPVSS per-query flow"), ("dis", "one plain optical flow (DIS)"),
         ("none", "no flow (copy the key-frame masks)"))


def side_label(setting: Setting) -> str:
    if setting.number == 1:
        return "per-frame segmentation (k=1)"
    return f"{dict(FLOWS)[setting.variant]}, k={setting.number}"


def timed_run(clip, setting: Setting, progress: Progress):
    """(MaskPropagationResult, wall seconds) of one side's propagation on the decoded clip."""
    started = time.perf_counter()
    result = run_on_frames(clip.frames, flow=setting.variant, k=int(setting.number), fps=clip.fps,
                           ground_truth=clip.ground_truth, progress=progress)
    return result, time.perf_counter() - started


def accuracy_and_cost(result) -> tuple[tuple[str, object], ...]:
    """The rows every propagation side starts with: mIoU against the reference, GFLOPs and GMACs per frame."""
    miou = None if not np.isfinite(result.miou) else round(float(result.miou), 4)
    return ((f"mIoU vs {result.reference_kind}", miou),
            ("GFLOPs per frame (mean)", round(result.gflops_per_frame, 4)),
            ("GMACs per frame (papers' GFLOPs = GFLOPs / 2)", round(result.gflops_per_frame / 2, 4)))


def _side(clip, setting: Setting, progress: Progress) -> Side:
    result, seconds = timed_run(clip, setting, progress)
    warped = ~result.track.is_key
    numbers = accuracy_and_cost(result) + (
        ("key frames segmented", int(result.track.is_key.sum())),
        ("mean warp error (grey levels, warped frames)",
         round(float(result.track.warp_error[warped].mean()), 2) if warped.any() else 0.0),
        ("model time per frame (ms)", round(float(result.track.seconds.mean()) * 1000, 1)),
        ("wall time of the run (s)", round(seconds, 2)),
    )
    return Side(side_label(setting), setting, numbers, len(result.frames), result)


def run(path: str, a: Setting, b: Setting, progress: Progress | None = None) -> tuple[Side, Side]:
    """Decode the clip once (12.5 fps, <= 40 frames, 128 px; ground truth for the bundled toy examples,
    recognised by content) and propagate
    with each setting. Raises UserInputError when k does not fit the clip."""
    clip = load_propagation_clip(path)
    return (_side(clip, a, split_progress(progress, 0.05, 0.5)), _side(clip, b, split_progress(progress, 0.5, 0.98)))


def frame_iou_text(side: Side, t: int) -> str:
    """", IoU 0.83" for frame t of a side ("" without a reference)."""
    iou = side.result.frame_iou[t]
    return f", IoU {iou:.2f}" if np.isfinite(iou) else ""


def frame_picture(side: Side, t: int, text: str) -> np.ndarray:
    """Frame t of a side with its class masks (key frames have a yellow border), DISPLAY px high, labelled."""
    overlay = render_overlay(side.result, t)
    h, w = overlay.shape[:2]
    big = cv2.resize(overlay, (round(w * DISPLAY / h), DISPLAY), interpolation=cv2.INTER_NEAREST)
    return put_label(big, text, corner="bottom-left", scale=0.45)


def render(a: Side, b: Side, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame t of each side with its class masks (key frames have a yellow border), DISPLAY px high."""
    a_image, b_image = (frame_picture(side, t, frame_caption(side.result, t).split(": ", 1)[1] +
                                      frame_iou_text(side, t)) for side in (a, b))
    return a_image, b_image


def caption(a: Side, b: Side, t: int) -> str:
    ref = a.result.reference_kind
    return (f"Frame {t} of {a.num_frames} (12.5 frames per second). Colours are classes; a yellow border marks "
            f"a key frame, where the segmentor ran. IoU is against the {ref}.")


SPEC = ComparisonSpec(
    key="mask-propagation",
    title="Mask propagation: two key-frame settings (MPVSS)",
    description=("Segment only every k-th frame and warp the masks to the frames between: MPVSS warps each mask "
                 "with its own flow, a plain optical flow warps all masks alike, 'no flow' copies them. k=1 "
                 "segments every frame (the per-frame baseline). Numbers: accuracy against the ground truth of "
                 "toy-world examples (else against per-frame segmentation) and FLOPs per frame."),
    variant_label="flow method",
    variants=FLOWS,
    number_label="key-frame interval k (1 = segment every frame)",
    number_range=(1, 40),
    default_a=Setting("mpvss", 5),
    default_b=Setting("mpvss", 1),
    run=run,
    render=render,
    caption=caption,
)
