"""Compare: STPT-tiny (local windows early, global late) vs its all-global twin, layer by layer.

One lib.methods.attention.run_attention call records both models on the same 64 input frames (and runs
their action detectors over the clip). The per-frame view: where the patch at the centre of frame t
attends within frame t, at each side's chosen layer, on one colour scale; white boxes are local windows.
"""
from __future__ import annotations

import time

import numpy as np

from lib.errors import UserInputError
from lib.methods.attention import (  # attention_panels: one blend for both tabs
    STPT_MODEL,
    STPT_TWIN,
    AttentionResult,
    attention_panels,
    layer_label,
    mean_average_precision,
    query_token,
    run_attention,
)
from lib.methods.compare.spec import ComparisonSpec, Progress, Setting, Side

MODELS = ((STPT_MODEL, "STPT-tiny (local windows early, global late)"), (STPT_TWIN, "all-global twin"))
MIN_SCORE = 0.2  # detections below this score are not counted (as in the Attention tab's timeline)
MAX_WINDOWS = 4  # 64-frame windows the detectors cover (about 41 s of 25 fps video)


def _view_index(result: AttentionResult, variant: str) -> int:
    return [v.model_name for v in result.views].index(variant)


def _detection_numbers(result: AttentionResult, name: str) -> tuple[tuple[str, object], ...]:
    fps = result.fps or 25.0
    found = [d for d in result.detections.get(name, ()) if d.score >= MIN_SCORE]
    best = max(found, key=lambda d: d.score, default=None)
    best_text = None if best is None else (f"{result.labels[best.label]} {best.start / fps:.1f}-{best.end / fps:.1f} s "
                                           f"({best.score:.2f})")
    truths = [s for s in result.ground_truth if s.start < result.span[1]]
    m_ap = None
    if truths:
        m_ap = round(mean_average_precision([list(result.detections.get(name, ()))], [truths], (0.5,))[0.5], 3)
    return ((f"detections (score >= {MIN_SCORE})", len(found)), ("best detection", best_text),
            ("mAP@0.5 vs ground truth (toy_long)", m_ap))


def _side(result: AttentionResult, setting: Setting, seconds: float) -> Side:
    view = result.views[_view_index(result, setting.variant)]
    layer = int(setting.number)
    if not 0 <= layer < len(view.layers):
        raise UserInputError(f"{dict(MODELS)[setting.variant]} has attention layers 0 to {len(view.layers) - 1}; "
                             "pick one of them.")
    stats = view.stats[layer]
    numbers = (
        ("attention layer", layer_label(view, layer)),
        ("GFLOPs per 64-frame window (whole model)", round(view.gflops, 3)),
        ("GMACs per 64-frame window (papers' GFLOPs = GFLOPs / 2)", round(view.gmacs, 3)),
        ("this layer: mean reach in time (frames)", round(float(stats.temporal.mean()), 2)),
        ("this layer: mean reach in space (frame sides)", round(float(stats.spatial.mean()), 3)),
        ("this layer: attention entropy (nats)", round(float(stats.entropy.mean()), 2)),
        *_detection_numbers(result, setting.variant),
        ("wall time, both models in one run (s)", round(seconds, 2)),
    )
    label = f"{dict(MODELS)[setting.variant]}, layer {layer_label(view, layer)}"
    return Side(label, setting, numbers, len(result.frames), result,
                extra=(("view", _view_index(result, setting.variant)),))


def run(path: str, a: Setting, b: Setting, progress: Progress | None = None) -> tuple[Side, Side]:
    """Record STPT (and its twin when a side asks for it) on the clip; both sides share that one run."""
    report = progress or (lambda fraction, message: None)
    report(0.1, "decoding, detecting actions and recording attention")
    need_twin = STPT_TWIN in (a.variant, b.variant)
    started = time.perf_counter()
    result = run_attention(path, model=STPT_MODEL, compare=need_twin, max_windows=MAX_WINDOWS)
    seconds = time.perf_counter() - started
    return _side(result, a, seconds), _side(result, b, seconds)


def _volume(side: Side, t: int):
    result: AttentionResult = side.result
    view = result.views[side.get("view")]
    layer = view.layers[int(side.setting.number)]
    centre = result.frames.shape[1] / 2
    query = query_token(result, layer, t, centre, centre)
    return layer, layer.query_volume(query, None), layer.grid.coords(query)


def render(a: Side, b: Side, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame t of each side: attention of the centre patch of frame t within frame t, one colour scale.
    Cyan box: the query token; white box: its local window (windowed layers only)."""
    picked = [_volume(side, t) for side in (a, b)]
    slices = [volume[min(t // layer.grid.tubelet[0], volume.shape[0] - 1)] for layer, volume, _ in picked]
    vmax = max(float(s.max()) for s in slices) or 1.0
    images = [attention_panels(side.result, layer, volume, [t], t, cell, vmax, "")[0]
              for side, (layer, volume, cell) in zip((a, b), picked)]
    return images[0], images[1]


def caption(a: Side, b: Side, t: int) -> str:
    shares = []
    for name, side in (("A", a), ("B", b)):
        layer, volume, _ = _volume(side, t)
        here = volume[min(t // layer.grid.tubelet[0], volume.shape[0] - 1)].sum() / max(float(volume.sum()), 1e-12)
        peak = float(volume.max()) / max(float(volume.sum()), 1e-12)
        shares.append(f"{name} keeps {here:.0%} of its attention in this frame's time slice (brightest key "
                      f"{peak:.1%})")
    return (f"Frame {t} of {a.num_frames}: the query is the patch at the centre of frame {t} (cyan); "
            + "; ".join(shares) + ". One colour scale for A and B.")


SPEC = ComparisonSpec(
    key="attention",
    title="Attention: STPT local windows vs the all-global twin",
    description=("STPT attends only inside small 3-D windows in its early layers (0-2) and globally later; its "
                 "twin is global everywhere. Compare what a layer costs, how far it reaches in space and time, "
                 "and what the two detectors find (mAP against the ground truth of the long toy example)."),
    variant_label="model",
    variants=MODELS,
    number_label="attention layer (0-2 are local in STPT)",
    number_range=(0, 5),
    default_a=Setting(STPT_MODEL, 0),
    default_b=Setting(STPT_TWIN, 0),
    run=run,
    render=render,
    caption=caption,
)
