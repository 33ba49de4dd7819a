"""Compare: LongVLM token merging with two budgets (target tokens per segment) on the same clip.

Both sides run the Token merging tab's run_token_merging (lib.methods.token_merging) with the bundled
frame-vit-toy encoder on the same sampled frames (32 frames as 4 segments of 8); only the target, and
optionally the similarity metric, differ. The per-frame view is the tab's group picture (ToMe-style,
group_picture) of the frame's segment, cut to frame t: every merged token is one coloured outline, filled
with the mean colour of its patches over the whole segment.
"""
from __future__ import annotations

import time

import cv2
import numpy as np

from lib.methods.compare.spec import ComparisonSpec, Progress, Setting, Side, split_progress
from lib.methods.token_merging import DEFAULT_MODEL, TokenMergingResult, group_picture, run_token_merging
from lib.viz import put_label, resize_to_height

METRICS = (("pseudo_heads", "features over 16 pseudo-heads (LongVLM)"), ("keys", "attention keys (ToMe)"))
NUM_FRAMES = 32
NUM_SEGMENTS = 4  # 8 frames per segment: 8 x 144 = 1152 patch tokens each with frame-vit-toy's 12 x 12 grid
NUM_GLOBAL = 5  # the tab's default
SHORT_SIDE = 128  # the tab's default
DISPLAY = 160  # groups are drawn at half the display height; enlarging (nearest) makes outlines 2 px
# Generous on purpose: the real limit (patch tokens per segment) depends on the encoder and is checked by
# the tab's own check_settings, whose sentence says what fits.
MAX_TARGET = 2000


def side_label(setting: Setting) -> str:
    return f"{setting.number} tokens per segment, metric: {dict(METRICS)[setting.variant]}"


def _side(path: str, setting: Setting, progress: Progress) -> Side:
    started = time.perf_counter()
    result = run_token_merging(path, model=DEFAULT_MODEL, num_frames=NUM_FRAMES, num_segments=NUM_SEGMENTS,
                               tokens_per_segment=int(setting.number), num_global=NUM_GLOBAL, metric=setting.variant,
                               short_side=SHORT_SIDE, progress=progress)
    seconds = time.perf_counter() - started
    first = result.segments[0]
    steps = [len(seg.counts) - 1 for seg in result.segments]
    numbers = (
        ("tokens kept (global + segments x per segment)", result.merged_tokens),
        ("patch tokens before merging", result.raw_tokens),
        ("times fewer tokens", round(result.raw_tokens / result.merged_tokens, 1)),
        ("merge steps per segment", steps[0] if len(set(steps)) == 1 else f"{min(steps)}-{max(steps)}"),
        ("tokens after each step (segment 1)", " > ".join(str(int(c)) for c in first.counts)),
        ("largest merged token (patches)", int(max(int(seg.sizes.max()) for seg in result.segments))),
        ("merge time, all segments (ms)", round(result.timings["merge"] * 1000, 1)),
        ("encode time, all segments (ms)", round(result.timings["encode"] * 1000, 1)),
        ("wall time of the run (s)", round(seconds, 2)),
    )
    return Side(side_label(setting), setting, numbers, int(result.frames.shape[0]), result)


def run(path: str, a: Setting, b: Setting, progress: Progress | None = None) -> tuple[Side, Side]:
    """Merge the clip's 32 sampled frames (4 segments of 8, short side 128) with each side's target and
    metric. Raises the tab's UserInputError when a target exceeds a segment's patch tokens."""
    return (_side(path, a, split_progress(progress, 0.05, 0.5)), _side(path, b, split_progress(progress, 0.5, 0.98)))


def _where(result: TokenMergingResult, t: int) -> tuple[int, int]:
    """(segment, frame within the segment) of sampled frame t."""
    return divmod(int(t), result.frames_per_segment)


def _groups_in_frame(result: TokenMergingResult, t: int) -> tuple[int, int]:
    """(merged tokens with a patch in frame t, tokens of its segment)."""
    segment, frame = _where(result, t)
    seg = result.segments[segment]
    here = seg.assignment.reshape(seg.frames, seg.patches)[frame]
    return len(np.unique(here)), seg.num_tokens


def render(a: Side, b: Side, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame t of each side as the tab's group picture: outline colour = merged token, fill = its mean colour."""
    images = []
    for side in (a, b):
        r: TokenMergingResult = side.result
        segment, frame = _where(r, t)
        m = r.frames_per_segment
        frames = np.stack([resize_to_height(f, DISPLAY) for f in r.frames[segment * m:(segment + 1) * m]])
        picture = group_picture(frames, r.segments[segment].assignment, r.grid)[frame]
        picture = cv2.resize(picture, None, fx=2, fy=2, interpolation=cv2.INTER_NEAREST)  # label stays sharp
        here, total = _groups_in_frame(r, t)
        images.append(put_label(picture, f"frame {t}: {here} of segment {segment + 1}'s {total} tokens",
                                corner="bottom-left", scale=0.45))
    return images[0], images[1]


def caption(a: Side, b: Side, t: int) -> str:
    r: TokenMergingResult = a.result
    segment, frame = _where(r, t)
    m = r.frames_per_segment
    return (f"Frame {t} of {a.num_frames}: frame {frame + 1} of segment {segment + 1} (frames {segment * m}-"
            f"{segment * m + m - 1}), which is merged as one block. Each outlined area is one merged token "
            "(outline colour = token), filled with the mean colour of all its patches in the segment; one token "
            "can cover patches that are far apart (alike background cells) and patches in several frames.")


SPEC = ComparisonSpec(
    key="token-merging",
    title="Token merging: two budgets",
    description=("LongVLM merges each segment's patch tokens (8 frames x 144 patches with the bundled frame-vit-toy) "
                 "down to a target number by repeated bipartite matching. Set A's and B's target tokens per "
                 "segment (and the similarity metric) and compare how coarse the merged groups get in each frame, "
                 "how many tokens reach the language model, how many merge steps it took and what it cost."),
    variant_label="similarity metric",
    variants=METRICS,
    number_label="target tokens per segment",
    number_range=(1, MAX_TARGET),
    default_a=Setting("pseudo_heads", 16),
    default_b=Setting("pseudo_heads", 128),
    run=run,
    render=render,
    caption=caption,
)
