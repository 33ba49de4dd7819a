"""Compare: two frame encoders under LongVLM's token merging at one budget, on the same sampled frames.

The encoders of current video LLMs differ in what their patch features say: CLIP and SigLIP 2 were trained
against text, DINOv2 without labels (its features separate objects). Both sides run the Token merging tab's
run_token_merging on the clip's same 20 sampled moments (4 segments of 5 frames), each frame prepared by its
encoder's own processor, and merge every segment to the side's target. Besides the groups per frame, the table
gives each encoder's merge fidelity: how much of its patch features' spread the merged tokens leave unexplained,
against average pooling to the same number of tokens (a scale-free figure, so it compares across encoders).
The per-frame view and caption are the two-budget comparison's (compare/token_merging.py).
"""
from __future__ import annotations

import time

from lib.methods.compare.spec import ComparisonSpec, Progress, Setting, Side, split_progress
from lib.methods.compare.token_merging import caption, render
from lib.methods.token_merging import DEFAULT_MODEL, encoder_choices, run_token_merging
from lib.models import get_spec

NUM_FRAMES = 20  # CLIP-L/14's default frame count in the Token merging tab: both sides fit the 10 s rule
NUM_SEGMENTS = 4
NUM_GLOBAL = 5  # the tab's default
SHORT_SIDE = 128  # the bundled encoder's decode size (the towers decode at their own processor's size)
MAX_TARGET = 1280  # a segment of 5 frames holds 5 x 256 patch tokens with CLIP-L/14 or DINOv2-S/14


def side_label(setting: Setting) -> str:
    return f"{setting.variant}, {setting.number} tokens per segment"


def _encode_gflops(model: str) -> float | None:
    per_frame = get_spec(model).gflops_per_input
    return None if per_frame is None else round(per_frame * NUM_FRAMES, 1)


def _side(path: str, setting: Setting, progress: Progress) -> Side:
    started = time.perf_counter()
    result = run_token_merging(path, model=setting.variant, num_frames=NUM_FRAMES, num_segments=NUM_SEGMENTS,
                               tokens_per_segment=int(setting.number), num_global=NUM_GLOBAL, short_side=SHORT_SIDE,
                               progress=progress)
    numbers = (
        ("encoder", setting.variant),
        ("patch grid per frame", f"{result.grid[0]}x{result.grid[1]}"),
        ("patch tokens before merging", result.raw_tokens),
        ("tokens kept (global + segments x per segment)", result.merged_tokens),
        ("merge error (share of feature spread lost)", round(result.merge_error, 3)),
        ("average pooling error at the same count", round(result.pooling_error, 3)),
        ("global tokens from", "CLS" if result.global_from == "cls" else "mean patch token (no CLS)"),
        ("encoder GFLOPs, all frames", _encode_gflops(setting.variant)),
        ("encode time, all segments (s)", round(result.timings["encode"], 2)),
        ("wall time of the run (s)", round(time.perf_counter() - started, 2)),
    )
    return Side(side_label(setting), setting, numbers, int(result.frames.shape[0]), result)


def run(path: str, a: Setting, b: Setting, progress: Progress | None = None) -> tuple[Side, Side]:
    """Encode the clip's 20 sampled frames with each side's encoder and merge each of the 4 segments to the
    side's target. Raises the tab's UserInputError when a target exceeds a segment's patch tokens, and the
    registry's sentence when a pretrained encoder is not downloaded and the Hub cannot be reached."""
    return (_side(path, a, split_progress(progress, 0.02, 0.5)), _side(path, b, split_progress(progress, 0.5, 0.98)))


SPEC = ComparisonSpec(
    key="merge-encoders",
    title="Token merging: two frame encoders",
    description=("LongVLM's token merging with two frame encoders at one budget, on the same 20 sampled moments "
                 "(4 segments of 5 frames): CLIP and SigLIP 2 (trained against text, the towers of current video "
                 "LLMs), DINOv2 (self-supervised: its features separate objects) or the bundled toy encoder. "
                 "Compare which patches each encoder's features merge, and how faithfully the kept tokens stand "
                 "for all patches against average pooling to the same count."),
    variant_label="frame encoder",
    variants=tuple((name, name) for name in encoder_choices()),
    number_label="target tokens per segment",
    number_range=(1, MAX_TARGET),
    default_a=Setting(DEFAULT_MODEL, 32),
    default_b=Setting("dinov2-small", 32),
    run=run,
    render=render,
    caption=caption,
)
