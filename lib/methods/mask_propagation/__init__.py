"""Mask propagation (MPVSS, Weng et al., NeurIPS 2023): segment key frames only, warp their masks with one
flow per mask query (or one plain flow, or none) to the frames in between, and measure what that costs.

Usage map (the Gradio tab demos/mask_propagation.py and notebooks/mask_propagation.ipynb call these):

    run_mask_propagation(video, segmentor=, flow=, k=, painting=) -> MaskPropagationResult
                                   video: a path (decoded once, cached) or a lib.video Clip; bundled toy-world
                                   examples (by content) are scored against their ground truth
    run_on_frames(frames, ..., fps=, ground_truth=) -> MaskPropagationResult   the same on (T, H, W, 3) frames
    (a hub Mask2Former segments the frames decoded again from the source at its processor's 384 x 384;
     masks come back to the analysis grid; segmentor_frames(clip, config) gives those frames)
    load_propagation_clip(path) -> PropagationClip      frames at the tab's sampling, ground truth or None
    run_cost_sweep(result, ks) -> CostSweep             every (flow method, k) on the result's clip
    render_frame(result, t) -> (overlay, strip, query flows)   uint8 images of one frame; frame_caption
    render_overlay / render_strip / render_query_flows / render_preview   the single images
    drift_figure(result) / cost_figure(sweep) -> plotly figures; sweep_rows(sweep) -> table rows
    write_overlay_video(result, path) -> mp4; export_bundle(result, folder) -> .zip
    merge_painting(editor value) -> RGBA brush layer; editor_value(frame) -> a fresh editor value
    preview(clip, flow, k) -> PIL image (notebook widgets)
    dis_flow / zero_flow / warp_error                   the flow baselines and the photometric check
    PROPAGATORS: FLOW_METHODS + SAM2 ("sam2": SAM 2.1 hiera-tiny prompted with frame 0's masks, its memory carries
    them; flow=SAM2 in run_*; offered only with CUDA or VIDEO_EXPLORER_GPU_ONLY_ON_CPU=1: check_propagator raises
    the sentence, propagator_label / gpu_note say it); result.baselines: per-frame, MPVSS and DIS beside SAM 2
    propagate_with_sam2(model, frames, key_labels) -> Sam2Propagation   the engine on its own (sam2_propagation.py)
    paper_markdown() -> str                             the paper's claims vs the benchmarks' last runs (JSON)

Steps behind run_mask_propagation: segmentors.py (key-frame masks), propagate.py (warping, diagnostics),
metrics.py (reference, IoUs, drift), sweep.py; models in segmentor_model.py / flow_model.py; training.py.
    real_video_notice(video, model) -> str | None; real_video_advice(...) (+ switch to PRETRAINED_MODEL)
    export_mask_propagation(result, folder, settings={...}, clip=path, sweep=points)  # Download zip
"""
from lib.methods.mask_propagation.export import export_mask_propagation, mask_propagation_export_parts
from lib.methods.mask_propagation.flow import dis_flow, zero_flow
from lib.methods.mask_propagation.metrics import warp_error
from lib.methods.mask_propagation.motion import FLOW_METHODS
from lib.methods.mask_propagation.notice import PRETRAINED_MODEL, real_video_advice, real_video_notice
from lib.methods.mask_propagation.painting import editor_value, merge_painting
from lib.methods.mask_propagation.paper import paper_markdown
from lib.methods.mask_propagation.render import (
    SWEEP_HEADERS,
    cost_figure,
    drift_figure,
    export_bundle,
    frame_caption,
    render_frame,
    render_overlay,
    render_preview,
    render_query_flows,
    render_strip,
    sweep_rows,
    write_overlay_video,
)
from lib.methods.mask_propagation.result import CostSweep, MaskPropagationResult, PropagationClip
from lib.methods.mask_propagation.sam2_propagation import Sam2Propagation, propagate_with_sam2
from lib.methods.mask_propagation.sam2_track import (
    PROPAGATORS,
    SAM2,
    SAM2_MODEL,
    check_propagator,
    gpu_note,
    propagator_label,
)
from lib.methods.mask_propagation.sweep import SWEEP_KS
from lib.methods.mask_propagation.task import (
    BUNDLED_SEGMENTOR,
    PAINTED,
    SEGMENTORS,
    load_propagation_clip,
    run_cost_sweep,
    run_mask_propagation,
    run_on_frames,
)
from lib.methods.mask_propagation.widgets import preview

__all__ = [
    "export_mask_propagation", "mask_propagation_export_parts",

    "PRETRAINED_MODEL", "real_video_advice", "real_video_notice",
    "BUNDLED_SEGMENTOR", "FLOW_METHODS", "PAINTED", "SEGMENTORS", "SWEEP_HEADERS", "SWEEP_KS",
    "CostSweep", "MaskPropagationResult", "PropagationClip",
    "PROPAGATORS", "SAM2", "SAM2_MODEL", "Sam2Propagation", "check_propagator", "gpu_note", "propagate_with_sam2",
    "propagator_label",
    "cost_figure", "dis_flow", "drift_figure", "editor_value", "export_bundle", "frame_caption",
    "load_propagation_clip", "merge_painting", "paper_markdown", "preview", "render_frame", "render_overlay",
    "render_preview",
    "render_query_flows", "render_strip", "run_cost_sweep", "run_mask_propagation", "run_on_frames",
    "sweep_rows", "warp_error", "write_overlay_video", "zero_flow",
]
