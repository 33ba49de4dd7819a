"""Compare: where one patch attends in VideoMAE-B, TimeSformer-B or V-JEPA 2, one block each, on the same clip.

Each side runs the Attention tab's run_attention on its model's own trained window of the clip (VideoMAE 16
frames 4 apart at 224 px, 2-frame tubelets; TimeSformer 8 frames 32 apart, one token per frame patch, divided
attention: time, then space; V-JEPA 2 16 x 4 at 256 px, 2-frame tubelets), recording only the chosen block
(both of TimeSformer's maps in it). When both sides pick the same model, one run records both blocks. The
query is the Attention tab's first one, the patch under the centre of the frame, on each side's input frame
nearest one shared moment (the middle of the part of the video both windows cover); the slider runs over the
source frames either side read (compare/video_attention_view.py draws each moment).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from lib.errors import UserInputError
from lib.methods.attention import AttentionResult, gpu_sentence, offered_models, run_attention
from lib.methods.compare.spec import ComparisonSpec, Progress, Setting, Side
from lib.methods.compare.video_attention_view import (
    QueryFocus,
    block_layers,
    frame_words,
    query_focus,
    seconds_of,
    side_picture,
)

VIDEOMAE, TIMESFORMER, VJEPA2 = "videomae-base-k400", "timesformer-base-k400", "vjepa2-vitl-ssv2"
NAMES = {VIDEOMAE: "VideoMAE-B", TIMESFORMER: "TimeSformer-B", VJEPA2: "V-JEPA 2 ViT-L/16"}
OFFERED = offered_models(tuple(NAMES))  # V-JEPA 2 only where lib.methods.attention runs it (a GPU)
MODELS = (
    (VIDEOMAE, "VideoMAE-B (global, 2-frame tubelets)"),
    (TIMESFORMER, "TimeSformer-B (time, then space)"),
    (VJEPA2, "V-JEPA 2 ViT-L/16 (global, 256 px)"),
)
MIN_SCALE = 2.0  # the colour scale reaches at least twice uniform, so a uniform map reads mid-scale, not as a peak
MAX_BLOCK = 23  # V-JEPA 2 has 24 blocks, VideoMAE-B and TimeSformer-B 12: run_attention checks each model's


def _check_offered(setting: Setting, side: str) -> None:
    if setting.variant not in offered_models((setting.variant,)):
        raise UserInputError(f"Setting {side}: {gpu_sentence(setting.variant)} Pick VideoMAE-B or TimeSformer-B here.")


@dataclass(frozen=True)
class VideoModelsSpec(ComparisonSpec):
    """The menu holds the models this machine runs (V-JEPA 2 only with a GPU); a caller naming a model left out gets
    the GPU sentence, or runs it where it is offered by now (VIDEO_EXPLORER_GPU_ONLY_ON_CPU set after import)."""

    def check(self, setting: Setting, side: str) -> Setting:
        if setting.variant in NAMES and setting.variant not in dict(self.variants):
            _check_offered(setting, side)
            return ComparisonSpec.check(replace(self, variants=MODELS), setting, side)
        return ComparisonSpec.check(self, setting, side)


def _record(path: str, model: str, blocks: list[int], sides: str) -> tuple[AttentionResult, float]:
    """One run_attention of `model` recording only `blocks`; (result, wall seconds)."""
    started = time.perf_counter()
    try:
        result = run_attention(path, model=model, layers=blocks, parts="both")
    except UserInputError as err:
        raise UserInputError(f"Setting {sides} ({NAMES[model]}): {err}") from err
    return result, time.perf_counter() - started


def shared_moment(results: tuple[AttentionResult, AttentionResult]) -> float:
    """The query's moment (source seconds): the middle of the span both windows cover (the middle of both spans
    when they do not overlap)."""
    spans = [(seconds_of(r)[0], seconds_of(r)[-1]) for r in results]
    lo, hi = max(s[0] for s in spans), min(s[1] for s in spans)
    if lo > hi:
        lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
    return (lo + hi) / 2


def _block_words(focus: QueryFocus, result: AttentionResult, block: int) -> tuple[str, str]:
    """(what the block's attention is, keys per query) in words."""
    layers = block_layers(result, block)
    if focus.kind == "global":
        n = layers["global"].grid.num_cells
        return "global: every token to every token", f"{n:,}"
    g = layers["time"].grid
    return (f"divided: time (the same patch in {g.t} frames), then space (the same frame)",
            f"{g.t}, then {1 + g.h * g.w} (CLS + {g.h}x{g.w} patches)")


def _window_words(result: AttentionResult) -> str | None:
    window = result.window
    if window is None:
        return None
    if window.covers_video:
        return (f"the whole {window.duration:.1f} s video (its {window.length:.2f} s window runs past the end: "
                "last frame repeated)")
    return f"{window.start:.2f}-{window.end:.2f} ({window.length:.2f} s of {window.duration:.1f} s)"


def _numbers(result: AttentionResult, setting: Setting, focus: QueryFocus, seconds: float, shared: bool):
    block = int(setting.number)
    layers = block_layers(result, block)
    view = result.main
    stats = {view.layers[i].kind: view.stats[i] for i in range(len(view.layers)) if view.block_of(i) == block}
    space, reach = stats.get("global", stats.get("space")), stats.get("global", stats.get("time"))
    grid = next(iter(layers.values())).grid
    times = seconds_of(result)
    window = result.window  # None only for a Clip handed in: then the spacing of the frames it holds
    spacing = (window.frame_stride / window.trained_fps if window is not None
               else float((times[-1] - times[0]) / max(len(times) - 1, 1)))  # as trained: the model's time step
    kind, keys = _block_words(focus, result, block)
    cls = "1 CLS + " if setting.variant == TIMESFORMER else ""
    ft, fy, fx = grid.tubelet
    return (
        ("attention in this block", kind),
        ("tokens (time x height x width)", f"{cls}{grid.num_cells:,} = {grid.t}x{grid.h}x{grid.w}"),
        ("window used (s of the video)", _window_words(result)),
        ("input (frames x pixels)", f"{len(times)} x {result.input_size}x{result.input_size}"),
        ("tubelet (frames x pixels)", f"{ft}x{fy}x{fx}" + (" (one frame per token)" if ft == 1 else "")),
        ("seconds of video between input frames", round(spacing, 3)),
        ("keys per query in this block", keys),
        ("GFLOPs per clip (whole model, FlopCounterMode)", round(view.gflops, 1)),
        ("GMACs per clip (papers' GFLOPs = GFLOPs / 2)", round(view.gmacs, 1)),
        ("block: mean reach in space (frame sides)", round(float(space.spatial.mean()), 3)),
        ("block: mean reach in time (input frames)", round(float(reach.temporal.mean()), 2)),
        ("block: mean reach in time (s of video)", round(float(reach.temporal.mean()) * spacing, 2)),
        ("query: input frame and moment (s)", f"{focus.query_frame} at {times[focus.query_frame]:.2f}"),
        ("query: share on its own time step", round(focus.own_step_share, 3)),
        ("query: mean reach in time (s of video)", round(focus.reach_seconds, 2)),
        ("recorded maps (MB, fp16)", round(view.record_bytes / 1e6, 1)),
        ("computed in", view.precision),
        ("wall time of the model's run (s)" + (", both blocks in one run" if shared else ""), round(seconds, 2)),
    )


def run(path: str, a: Setting, b: Setting, progress: Progress | None = None) -> tuple[Side, Side]:
    """Record each side's block on its model's window of the clip (one run per model), then each side's query."""
    report = progress or (lambda fraction, message: None)
    for setting, side in ((a, "A"), (b, "B")):
        _check_offered(setting, side)
    wanted: dict[str, list[int]] = {}
    for setting in (a, b):
        wanted.setdefault(setting.variant, []).append(int(setting.number))
    runs = {}
    for k, (model, blocks) in enumerate(wanted.items()):
        report(0.05 + 0.45 * k, f"{NAMES[model]}: decoding its window and recording block(s) "
                                f"{', '.join(map(str, sorted(set(blocks))))}")
        sides = "A and B" if len(wanted) == 1 else ("A" if model == a.variant else "B")
        runs[model] = _record(path, model, sorted(set(blocks)), sides)
    results = (runs[a.variant][0], runs[b.variant][0])
    moment = shared_moment(results)
    focus = [query_focus(r, int(s.number), moment) for r, s in zip(results, (a, b))]
    positions = np.unique(np.concatenate([r.source_frames for r in results])).astype(np.int64)
    times = np.concatenate([seconds_of(r) for r in results])
    shared = dict(positions=positions, moment=moment, axis=(float(times.min()), float(times.max())),
                  vmax=max(MIN_SCALE, *(float(f.volume.max()) for f in focus)),
                  share_max=max(float(f.shares.max()) for f in focus))
    out = []
    for setting, result, f in zip((a, b), results, focus):
        numbers = _numbers(result, setting, f, runs[setting.variant][1], len(wanted) == 1)
        label = f"{NAMES[setting.variant]}, block {setting.number}"
        out.append(Side(label, setting, numbers, len(positions), result, extra=(("focus", f), *shared.items())))
    return out[0], out[1]


def position_seconds(side: Side, t: int) -> float:
    """Source seconds of shared slider position t."""
    return float(side.get("positions")[int(t)]) / float(side.result.fps or 1.0)


def render(a: Side, b: Side, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Each side's input frame nearest slider position t with the centre query's attention in its block, on one
    colour scale (attention x number of cells, 0..the larger maximum of A and B, at least MIN_SCALE), and the
    query's attention per time step on the shared time axis."""
    moment = position_seconds(a, t)
    images = [side_picture(s.result, s.get("focus"), moment, s.get("axis"), s.get("vmax"), s.get("share_max"))
              for s in (a, b)]
    return images[0], images[1]


def caption(a: Side, b: Side, t: int) -> str:
    moment = position_seconds(a, t)
    parts = []
    for name, side in (("A", a), ("B", b)):
        focus: QueryFocus = side.get("focus")
        frame = int(np.argmin(np.abs(seconds_of(side.result) - moment)))
        step = min(frame // focus.tubelet[0], len(focus.shares) - 1)
        parts.append(f"{name} shows {frame_words(side.result, focus, moment)}: {focus.shares[step]:.0%} of the "
                     "query's attention")
    query = a.get("moment")
    divided = any(side.get("focus").kind == "divided" for side in (a, b))
    return (f"Moment {t + 1} of {a.num_frames}: {moment:.2f} s of the video. " + "; ".join(parts) + ". The query "
            f"(cyan) is the patch under the centre of the frame at {query:.2f} s on both sides. Colour: attention x "
            f"number of key cells (1 = uniform), 0 to {a.get('vmax'):.1f} on both"
            + ("; TimeSformer's block is its time map then its space map, multiplied." if divided else "."))


SPEC = VideoModelsSpec(
    key="attention-video-models",
    title="Attention: VideoMAE vs TimeSformer vs V-JEPA 2",
    description=("The same patch (under the centre of the frame, at one moment both models see) in two pretrained "
                 "video transformers, one block each: VideoMAE attends globally over 2-frame tubelets of a 2 s "
                 "window, TimeSformer first along time (the same patch in 8 frames over 7.5 s), then within the "
                 "frame, V-JEPA 2 globally over 2,048 tubelets at 256 px. The slider runs over the video's time; "
                 "each side shows its own nearest input frame, and the strip below it where in time the query's "
                 "attention goes. One colour scale for both."
                 + ("" if VJEPA2 in OFFERED else " " + gpu_sentence(VJEPA2))),
    variant_label="model",
    variants=tuple(item for item in MODELS if item[0] in OFFERED),
    number_label="block",
    number_range=(0, MAX_BLOCK),
    default_a=Setting(VIDEOMAE, 5),
    default_b=Setting(TIMESFORMER, 5),
    run=run,
    render=render,
    caption=caption,
)
