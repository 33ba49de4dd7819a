"""Compare: TubeViT-tiny (99 sparse tube tokens) vs its dense twin (576 tubelets) on the same clip.

Both sides run lib.methods.tubes.run_tubes; the per-frame view is each model's attention-pooling weight on
the frames it read, with one colour scale for A and B (weight per pixel, so 99 large tubes and 576 small
tubelets compare fairly). Forward FLOPs are counted with FlopCounterMode on the model's own input.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from lib.errors import UserInputError
from lib.examples import identify_example
from lib.methods.compare.spec import ComparisonSpec, Progress, Setting, Side, split_progress
from lib.methods.tubes import count_tube_flops, pooling_heat, run_tubes
from lib.video import Clip
from lib.viz import blend_heat, put_label

MODELS = (("tubevit-tiny-toy", "TubeViT-tiny (sparse tubes)"), ("vivit-dense-tiny-toy", "dense twin (8x4x4 tubelets)"))
NUM_FRAMES = 32
SHORT_SIDE = 224


def true_action(path: str | Path) -> str | None:
    """The action of a bundled single-action toy example, else None.

    The file is an example by its content (lib.examples.identify_example: the same bytes), never by its name,
    so an upload merely called toy_left.mp4 is not scored against toy_left's ground truth.
    """
    from lib.toyworld import ACTION_NAMES, load_example_ground_truth

    example = identify_example(path)
    if example is None:
        return None
    try:
        truth = load_example_ground_truth(example.name)
    except (UserInputError, OSError, KeyError, ValueError):  # an example without ground truth (e.g. a photo pan)
        return None
    if truth.action is None or int(truth.action) < 0:  # several actions in one clip: no single true label
        return None
    return ACTION_NAMES[int(truth.action)]


def _heat_stats(result) -> tuple[float, float]:
    """(mean, 99th percentile) of the pooling weight per pixel over all frames the model read."""
    heats = np.stack([pooling_heat(result.model_layout, result.pool_weights, t)
                      for t in range(len(result.model_frames))])
    mean = max(float(heats.mean()), 1e-12)
    return mean, float(np.percentile(heats, 99)) / mean


def _side(clip: Clip, setting: Setting, truth: str | None, progress: Progress) -> Side:
    progress(0.1, f"running {setting.variant}")
    started = time.perf_counter()
    result = run_tubes(clip, model_name=setting.variant)
    seconds = time.perf_counter() - started
    progress(0.8, f"counting {setting.variant}'s FLOPs")
    gflops = count_tube_flops(result)
    top = int(np.argmax(result.probabilities))
    predicted = result.class_names[top]
    t, h, w = result.model_layout.input_shape
    numbers = (
        ("tokens", int(result.model_layout.num_tokens)),
        ("forward GFLOPs (FlopCounterMode)", round(gflops, 4)),
        ("forward GMACs (papers' GFLOPs = GFLOPs / 2)", round(gflops / 2, 4)),
        ("top-1 class", f"{predicted} ({result.probabilities[top]:.0%})"),
        ("true action (toy example)", truth),
        ("top-1 correct", None if truth is None else predicted == truth),
        ("tokens the pooling effectively uses (1 / sum of squared weights)",
         round(float(1.0 / np.square(result.pool_weights).sum()), 1)),
        ("model input (frames x height x width)", f"{t}x{h}x{w}"),
        ("wall time of the run (s)", round(seconds, 2)),
    )
    return Side(dict(MODELS)[setting.variant], setting, numbers, len(result.model_frames), result,
                extra=tuple(zip(("heat_mean", "heat_top"), _heat_stats(result))))


def run(path: str, a: Setting, b: Setting, progress: Progress | None = None) -> tuple[Side, Side]:
    """Decode the clip once (32 frames, short side 224) and run both models on it (each centre-crops and resizes)."""
    from lib.video import load_clip

    truth = true_action(path)
    clip = load_clip(path, num_frames=NUM_FRAMES, short_side=SHORT_SIDE)
    return (_side(clip, a, truth, split_progress(progress, 0.05, 0.5)),
            _side(clip, b, truth, split_progress(progress, 0.5, 0.98)))


def render(a: Side, b: Side, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Model frame t of each side with its pooling weight per pixel, relative to the model's own average
    over the clip, as a heat map; one colour scale for A and B (top: the larger 99th percentile)."""
    top = max(a.get("heat_top"), b.get("heat_top"), 1.0)
    images = []
    for side in (a, b):
        r = side.result
        y0, y1, x0, x1 = r.crop
        frame = r.frames[int(r.model_frames[t]), y0:y1, x0:x1]
        heat = pooling_heat(r.model_layout, r.pool_weights, t) / side.get("heat_mean")
        image = blend_heat(frame, heat, top)
        live = int(((r.model_layout.starts[:, 0] <= t) & (t < r.model_layout.ends[:, 0])).sum())
        images.append(put_label(image, f"frame {t}: {live} tokens read it", corner="bottom-left", scale=0.45))
    return images[0], images[1]


def caption(a: Side, b: Side, t: int) -> str:
    return (f"Frame {t} of the {a.num_frames} the models read (centre square). Bright = pixels whose tokens the "
            "attention pooling weighed most, relative to the model's average pixel (one colour scale for A and B).")


SPEC = ComparisonSpec(
    key="tubes",
    title="Tubes: TubeViT-tiny vs its dense twin",
    description=("The same tiny encoder reads the clip through 99 sparse tube tokens (TubeViT) or 576 "
                 "non-overlapping 8x4x4 tubelets (dense, ViViT-style). Compare the tokens and FLOPs they spend, "
                 "what they predict, and where their attention pooling looks in each frame. Both were trained on "
                 "toy clips like the examples (distractors, moving camera)."),
    variant_label="model",
    variants=MODELS,
    number_label=None,
    number_range=(0, 0),
    default_a=Setting("tubevit-tiny-toy"),
    default_b=Setting("vivit-dense-tiny-toy"),
    run=run,
    render=render,
    caption=caption,
)
