"""What the Mask propagation tab's Download holds: masks (PNG class ids), the propagation arrays (NPZ), the
overlay video (MP4 H.264), the views as the main action opens them, the sweep when it was measured, numbers.

    path = export_mask_propagation(result, folder, settings={...}, clip="clip.mp4", sweep=points)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from lib.export import ExportParts, arrays_of, write_export
from lib.methods.mask_propagation.render import (
    SWEEP_HEADERS,
    cost_figure,
    drift_figure,
    frame_caption,
    render_frame,
    render_overlay,
    sweep_rows,
)
from lib.methods.mask_propagation.result import CostSweep, MaskPropagationResult
from lib.methods.mask_propagation.sam2_track import SAM2, SAM2_MODEL
from lib.methods.mask_propagation.task import MOTION_MODEL


def mask_propagation_export_parts(result: MaskPropagationResult, *, settings: dict | None = None,
                                  clip: str | Path | None = None, sweep: CostSweep | None = None) -> ExportParts:
    """The zip's parts; the frame views are those of the frame the tab opens on (the last one before a key)."""
    track = result.track
    start = min(result.k, len(result.frames)) - 1
    _, strip, flows = render_frame(result, start)
    masks = {f"masks/frame_{t:04d}": labels.astype(np.uint8) for t, labels in enumerate(track.labels)}
    numbers = {**result.metrics(), "class_names": list(track.class_names), "frame_iou": result.frame_iou,
               "shown_frame": {"index": start, "caption": frame_caption(result, start)}}
    figures = {"drift": drift_figure(result)}
    arrays = {"propagation": {"labels": track.labels, "is_key": track.is_key, "key_index": track.key_index,
                              "flow": track.flow, "warp_error": track.warp_error, "flops": track.flops,
                              "frame_iou": result.frame_iou, "class_names": np.array(track.class_names)},
              "result": arrays_of(result)}
    if sweep is not None:
        numbers["sweep"] = {"headers": SWEEP_HEADERS, "rows": sweep_rows(sweep), "reference": sweep.reference_kind}
        figures["cost_vs_accuracy"] = cost_figure(sweep)
        arrays["sweep"] = arrays_of(sweep)
    overlay = np.stack([render_overlay(result, t) for t in range(len(result.frames))])
    return ExportParts(
        tab="mask_propagation", models=(result.segmentor, *_propagation_models(result.flow)),
        settings={**(settings or {}), "segmentor": result.segmentor, "flow": result.flow, "k": result.k},
        numbers=numbers, clip=clip, pictures={**masks, "strip": strip, "flows": flows}, figures=figures,
        arrays=arrays, videos={"overlay": (overlay, max(1.0, result.fps))})


def _propagation_models(flow: str) -> tuple[str, ...]:
    """The catalog models that carried the masks beside the segmentor (the flows DIS and none use none)."""
    return {"mpvss": (MOTION_MODEL,), SAM2: (SAM2_MODEL,)}.get(flow, ())


def export_mask_propagation(result: MaskPropagationResult, folder: str | Path, *, settings: dict | None = None,
                            clip: str | Path | None = None, sweep: CostSweep | None = None) -> Path:
    """Write the Mask propagation tab's zip into `folder`; returns its path (folder/mask_propagation.zip)."""
    return write_export(mask_propagation_export_parts(result, settings=settings, clip=clip, sweep=sweep), folder)
