"""Attention: where a patch looks inside STPT (local windows early, global late) and hub video ViTs.

    result = run_attention("clip.mp4", model=STPT_MODEL, compare=True)   # a path (decoded once) or a Clip
    result = run_stpt(frames, source_frames, fps)                        # frames already sampled (notebook)

    render_query(result, layer=0, head=None, frame=10, y=40, x=80)       # where that patch attends
    render_rollout(result, frame=10, y=40, x=80)                         # what the last layer draws on
    render_compare(result, layer=0, head=None, frame=10, y=40, x=80, shown_frame=10)  # local | global
    render_picker(result, frame=10, y=40, x=80)                          # the query frame, query marked
    query_views(result, layer=0, head=None, frame=10, y=40, x=80, shown=10)  # all four + the layer text
    render_cls(result, layer=11, frame=3)                                # DINOv2 / TimeSformer: CLS heads on a frame
    plot_layer_stats(result), plot_timeline(result)                      # plotly figures
    cost_table(result), summary(result), layer_label(view, layer)        # table rows (GFLOPs and GMACs), text
    PARTS: what of TimeSformer's divided blocks run_attention(parts=...) records ("both", "time", "space").
    query_picker(result), local_vs_global(result)                        # ipywidgets (notebook; lazy)

Everything returns an AttentionResult (result.py) or reads one; images are (H, W, 3) uint8.
MODEL_CHOICES lists the models run_attention takes (DINOv2-S reads frames one by one; V-JEPA 2 needs a GPU:
offered_models(MODEL_CHOICES) is what this machine offers, gpu_sentence(model) says why not); STPT_MODEL /
STPT_TWIN are the bundled pair; time_estimate(model) says how long a pretrained model's run takes here, before it runs.
default_layers_text(model) is what the "Layers" box proposes (fewer blocks where recording all is slow here;
fitted_note(model) says so).
Toy-world data: toy_window(seed) (one held-out detection window), SEEDS (the train / held-out split);
window_token_indices(grid, window) shows how a token grid is cut into 3-D windows.
    real_video_notice(video, model) -> str | None; real_video_advice(...) (+ switch to PRETRAINED_MODEL)
    export_attention(result, folder, settings={...}, clip=path)  # Download zip
"""
from __future__ import annotations

from lib.hooks.flops import MACS_NOTE
from lib.methods.attention.data import SEEDS, toy_window
from lib.methods.attention.detection import Detection, Segment, mean_average_precision
from lib.methods.attention.export import attention_export_parts, export_attention
from lib.methods.attention.fitted_blocks import default_layers_text, fitted_note
from lib.methods.attention.gpu_only import gpu_sentence, offered_models
from lib.methods.attention.notice import PRETRAINED_MODEL, real_video_advice, real_video_notice
from lib.methods.attention.record import PARTS
from lib.methods.attention.render import (
    QueryViews,
    attention_panels,
    cost_table,
    layer_label,
    plot_layer_stats,
    plot_timeline,
    query_token,
    query_views,
    render_compare,
    render_picker,
    render_query,
    render_rollout,
    summary,
)
from lib.methods.attention.render_cls import render_cls, token_geometry
from lib.methods.attention.result import AttentionResult
from lib.methods.attention.task import (
    DISPLAY_SIZE,
    MODEL_CHOICES,
    STPT_MODEL,
    STPT_TWIN,
    run_attention,
    run_stpt,
    time_estimate,
)
from lib.methods.attention.windows import window_token_indices

_WIDGETS = ("query_picker", "local_vs_global")  # loaded on first use: the app never needs ipywidgets


def __getattr__(name: str):
    if name in _WIDGETS:
        from lib.methods.attention import widgets

        return getattr(widgets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WIDGETS])


__all__ = [
    "export_attention", "attention_export_parts", "default_layers_text", "fitted_note", "gpu_sentence",
    "offered_models", "render_cls", "token_geometry",

    "PRETRAINED_MODEL", "real_video_advice", "real_video_notice",
    "DISPLAY_SIZE", "MACS_NOTE", "MODEL_CHOICES", "PARTS", "SEEDS", "STPT_MODEL", "STPT_TWIN", "AttentionResult",
    "Detection", "QueryViews", "Segment", "attention_panels", "cost_table", "layer_label", "local_vs_global",
    "mean_average_precision",
    "plot_layer_stats", "plot_timeline", "query_picker", "query_token", "query_views", "render_compare",
    "render_picker", "render_query", "render_rollout", "run_attention", "run_stpt", "summary", "time_estimate",
    "toy_window", "window_token_indices",
]
