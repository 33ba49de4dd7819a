"""What the Attention tab's Download holds: the views as the main action opens them, arrays and numbers.

    path = export_attention(result, folder, settings={...}, clip="clip.mp4")   # folder/attention.zip
"""
from __future__ import annotations

from pathlib import Path

from lib.export import ExportParts, arrays_of, write_export
from lib.methods.attention.render import cost_table, plot_layer_stats, plot_timeline, query_views, summary
from lib.methods.attention.result import AttentionResult

COST_HEADERS = ("model", "GFLOPs per window", "x first model", "recorded maps (MB)", "GMACs per window")
START_QUERY = 96  # the tab's first query pixel (y and x), the centre of the 192 px frames


def attention_export_parts(result: AttentionResult, *, settings: dict | None = None,
                           clip: str | Path | None = None) -> ExportParts:
    """The zip's parts: first recorded map, mean of heads, middle frame, centre query (as the tab opens)."""
    middle = (len(result.frames) - 1) // 2
    views = query_views(result, layer=0, head=None, frame=middle, y=START_QUERY, x=START_QUERY, shown=middle)
    pictures = {"picker": views.picker, "query": views.query, "rollout": views.rollout}
    if views.compare is not None:
        pictures["local_vs_global"] = views.compare
    if views.cls is not None:  # DINOv2 / TimeSformer: the CLS token's heads on the query frame
        pictures["cls_heads"] = views.cls
    numbers = {"costs": {"headers": COST_HEADERS, "rows": cost_table(result)},
               "gflops": {v.model_name: v.gflops for v in result.views},
               "detections": {name: list(found) for name, found in result.detections.items()},
               "ground_truth": list(result.ground_truth), "span": result.span,
               "window": result.window, "query": {"layer": 0, "frame": middle, "y": START_QUERY, "x": START_QUERY,
                                                  "caption": views.layer_text}}
    return ExportParts(
        tab="attention", models=tuple(v.model_name for v in result.views), settings=settings or {},
        numbers=numbers, clip=clip, pictures=pictures,
        figures={"timeline": plot_timeline(result), "layer_stats": plot_layer_stats(result)},
        arrays={"result": arrays_of(result)}, texts={"summary.md": summary(result)})


def export_attention(result: AttentionResult, folder: str | Path, *, settings: dict | None = None,
                     clip: str | Path | None = None) -> Path:
    """Write the Attention tab's zip into `folder`; returns its path (folder/attention.zip)."""
    return write_export(attention_export_parts(result, settings=settings, clip=clip), folder)
