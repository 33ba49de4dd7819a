"""What the Tubes tab's Download holds: the views the main action shows, the result's arrays and numbers.

    path = export_tubes(result, folder, settings={...}, clip="clip.mp4")   # folder/tubes.zip
"""
from __future__ import annotations

from pathlib import Path

from lib.export import ExportParts, arrays_of, write_export
from lib.methods.tubes.render import (
    render_costs,
    render_kernel_animation,
    render_kernels,
    render_position,
    render_prediction,
    render_sampling,
    render_summary,
    render_volume,
)
from lib.methods.tubes.result import TubesResult

COST_HEADERS = ("tokeniser", "tokens", "GFLOPs (forward)", "x sparse GFLOPs", "GMACs (papers' GFLOPs)")


def tubes_export_parts(result: TubesResult, *, settings: dict | None = None, clip: str | Path | None = None
                       ) -> ExportParts:
    """The zip's parts: the first frame's views (frame 0, token 0, 8 channels by norm, as the tab opens)."""
    label, overlay, weights_fig = render_prediction(result)
    rows, cost_fig = render_costs(result)
    kernels = {f"kernels_{i}": image for i, (image, _) in enumerate(render_kernels(result))}
    tubes = [{"kernel": t.kernel, "stride": t.stride, "offset": t.offset} for t in result.layout.tubes]
    numbers = {"prediction": label, "tokens": result.layout.num_tokens, "model_tokens": result.model_layout.num_tokens,
               "pool_weight_per_tube": result.pool_by_tube, "costs": {"headers": COST_HEADERS, "rows": rows}}
    return ExportParts(
        tab="tubes", models=(result.model_name,), settings={**(settings or {}), "analysed_tubes": tubes},
        numbers=numbers, clip=clip,
        pictures={"pooling": overlay, "sampling_frame0_token0": render_sampling(result, 0, 0), **kernels},
        figures={"tube_weights": weights_fig, "volume": render_volume(result), "costs": cost_fig,
                 "position_token0": render_position(result, 0)},
        arrays={"result": arrays_of(result)}, videos={"kernels": (render_kernel_animation(result), 4.0)},
        texts={"summary.md": render_summary(result)})


def export_tubes(result: TubesResult, folder: str | Path, *, settings: dict | None = None,
                 clip: str | Path | None = None) -> Path:
    """Write the Tubes tab's zip into `folder`; returns its path (folder/tubes.zip)."""
    return write_export(tubes_export_parts(result, settings=settings, clip=clip), folder)
