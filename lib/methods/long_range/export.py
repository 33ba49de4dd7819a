"""What the Long range tab's Download holds: the views the main action shows, the cost curves when they were
measured, the results' arrays and numbers.

    path = export_long_range(result, folder, settings={...}, clip=None, curves=curves)   # folder/long_range.zip
"""
from __future__ import annotations

from pathlib import Path

from lib.export import ExportParts, arrays_of, write_export
from lib.methods.long_range.cost_curves import CostCurves
from lib.methods.long_range.render import (
    cost_summary,
    render_attention_vs_kernels,
    render_cost_curves,
    render_filmstrip,
    render_prediction,
    render_receptive_fields,
    render_stages,
    stage_rows,
)
from lib.methods.long_range.result import LongRangeResult
from lib.methods.long_range.task import ATTENTION_MODEL, ENCODER_MODEL, S4_MODEL

STAGE_HEADERS = ("stage", "tokens", "channels", "seconds per token")


def long_range_export_parts(result: LongRangeResult | None, *, settings: dict | None = None,
                            clip: str | Path | None = None, curves: CostCurves | None = None) -> ExportParts:
    """The zip's parts: the read video's views (query at the middle frame, as the tab opens) and/or the curves."""
    numbers, pictures, figures, arrays, texts = {}, {}, {}, {}, {}
    if result is not None:
        middle = int(result.frame_indices[len(result.frame_indices) // 2])
        numbers.update({
            "source": result.source, "tokens": result.num_tokens, "true_label": result.true_label,
            "decoders": {run.name: {"predicted": run.predicted, "probabilities": run.probs, "seconds": run.seconds}
                         for run in (result.s4, result.attention_run)},
            "class_labels": result.class_labels, "stages": {"headers": STAGE_HEADERS, "rows": stage_rows(result)},
            "query_frame": middle})
        pictures["filmstrip"] = render_filmstrip(result)
        figures.update({"prediction": render_prediction(result),
                        "kernels_vs_attention": render_attention_vs_kernels(result, query_frame=middle),
                        "receptive_fields": render_receptive_fields(result), "stages": render_stages(result)})
        arrays["result"] = arrays_of(result)
        texts["summary.md"] = result.summary()
    if curves is not None:
        numbers["cost_curves"] = {"lengths": curves.lengths, "s4_seconds": curves.s4_seconds,
                                  "s4_peak_mb": curves.s4_peak_mb, "attention_seconds": curves.attn_seconds,
                                  "attention_peak_mb": curves.attn_peak_mb,
                                  "attention_predicted_mb": curves.attn_predicted_mb,
                                  "budget_mb": curves.budget_mb, "attention_limit": curves.attention_limit}
        figures["cost_curves"] = render_cost_curves(curves)
        arrays["cost_curves"] = arrays_of(curves)
        texts["cost_curves.md"] = cost_summary(curves)
    return ExportParts(tab="long_range", models=(ENCODER_MODEL, S4_MODEL, ATTENTION_MODEL) if result else (),
                       settings=settings or {}, numbers=numbers, clip=clip, pictures=pictures, figures=figures,
                       arrays=arrays, texts=texts)


def export_long_range(result: LongRangeResult | None, folder: str | Path, *, settings: dict | None = None,
                      clip: str | Path | None = None, curves: CostCurves | None = None) -> Path:
    """Write the Long range tab's zip into `folder`; returns its path (folder/long_range.zip)."""
    return write_export(long_range_export_parts(result, settings=settings, clip=clip, curves=curves), folder)
