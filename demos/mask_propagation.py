"""Mask propagation tab (MPVSS): segment key frames, warp their masks with per-query or plain flow."""
from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr
import numpy as np

from demos.common import NO_VIDEO, friendly_errors
from lib.errors import UserInputError
from lib.methods.mask_propagation.task import (
    FLOW_METHODS,
    PAINTED,
    SEGMENTORS,
    cost_figure,
    drift_figure,
    export_bundle,
    frame_caption,
    load_propagation_clip,
    render_frame,
    run_cost_sweep,
    run_mask_propagation,
    write_overlay_video,
)

ABOUT = """**MPVSS** (Weng et al., NeurIPS 2023) runs a query-based segmentor only on key frames (every *k*-th),
predicts one flow field per mask query from (current frame, key frame, key-frame queries), and warps each key-frame
mask with its own flow, reusing the key frame's classes. Compare it with one plain optical flow for all masks (DIS,
the DFF-style baseline) and with no flow at all. The bundled models are tiny and trained on the toy world; for other
videos paint the masks yourself on the first frame."""


def _clip(path: str | None):
    if not path:
        raise UserInputError(NO_VIDEO)
    return load_propagation_clip(path)


def _painting(editor) -> np.ndarray | None:
    """The brush layers of the ImageEditor value merged into one RGBA image (None when empty)."""
    if not editor or not editor.get("layers"):
        return None
    layers = [np.asarray(layer) for layer in editor["layers"] if layer is not None]
    if not layers:
        return None
    merged = np.zeros((*layers[0].shape[:2], 4), np.uint8)
    for layer in layers:
        rgba = layer if layer.shape[-1] == 4 else np.concatenate([layer, np.full((*layer.shape[:2], 1), 255, np.uint8)], -1)
        merged = np.where(rgba[..., 3:] > 0, rgba, merged)
    return merged


@friendly_errors
def first_frame(path: str | None):
    """Handler: put the first frame (as propagated) under the brush."""
    if not path:
        return None
    frame = _clip(path).frames[0]
    return {"background": frame, "layers": [], "composite": frame}


@friendly_errors
def propagate(path, segmentor, flow, k, editor=None, progress=gr.Progress()):
    """Main action (api_name="propagate"): video + settings -> overlay video, metrics, cached result."""
    clip = _clip(path)
    result = run_mask_propagation(clip.frames, segmentor=segmentor, flow=flow, k=int(k), fps=clip.fps,
                                  painting=_painting(editor) if segmentor == PAINTED else None,
                                  ground_truth=clip.ground_truth, progress=lambda f, m: progress(f, desc=m))
    video_path = write_overlay_video(result, Path(tempfile.mkdtemp(prefix="mask-prop-")) / "overlay.mp4")
    start = min(result.k, len(result.frames)) - 1  # the last warped frame before the next key: most drift
    _, strip, flows = render_frame(result, start)
    slider = gr.Slider(minimum=0, maximum=len(result.frames) - 1, value=start, step=1, interactive=True)
    return (str(video_path), result.metrics(), result, slider, strip, flows, frame_caption(result, start),
            drift_figure(result))


def show_frame(result, t):
    """Handler: frame slider -> images from the cached result (no model runs)."""
    if result is None:
        return None, None, ""
    t = int(min(max(int(t), 0), len(result.frames) - 1))
    _, strip, flows = render_frame(result, t)
    return strip, flows, frame_caption(result, t)


@friendly_errors
def sweep(result, progress=gr.Progress()):
    if result is None:
        raise UserInputError("Propagate first: the sweep reuses that clip's segmentations.")
    points = run_cost_sweep(result, progress=lambda f, m: progress(f, desc=m))
    table = [[p.method, p.k, round(p.gflops_per_frame, 4), round(p.miou, 4), round(p.mean_warp_error, 2),
              round(p.seconds_per_frame * 1000, 1)] for p in points.points]
    return cost_figure(points), table


@friendly_errors
def export(result):
    if result is None:
        raise UserInputError("Propagate first, then export.")
    return str(export_bundle(result, tempfile.mkdtemp(prefix="mask-prop-export-")))


def build_tab(video: gr.Video) -> None:
    gr.Markdown(ABOUT)
    state = gr.State(None)
    with gr.Row():
        segmentor = gr.Dropdown([(label, name) for name, label in SEGMENTORS.items()], value="query-segmentor-tiny-toy",
                                label="Key-frame segmentor", elem_id="mp-segmentor")
        flow = gr.Dropdown([(label, name) for name, label in FLOW_METHODS.items()], value="mpvss",
                           label="Flow method", elem_id="mp-flow")
        k = gr.Slider(1, 10, value=5, step=1, label="Key-frame interval k (1 = segment every frame)", elem_id="mp-k")
    with gr.Accordion("Paint key-frame masks (for 'Masks I paint on the first frame')", open=False):
        gr.Markdown("One brush colour per region; unpainted pixels are background.")
        editor = gr.ImageEditor(label="First frame", type="numpy", height=320, elem_id="mp-editor",
                                brush=gr.Brush(colors=["#e6194b", "#3cb44b", "#4363d8", "#f58231"], color_mode="fixed"))
    run = gr.Button("Propagate", variant="primary", elem_id="mp-run")
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            overlay_video = gr.Video(label="Propagated masks (key frames have a yellow border)", height=300,
                                     elem_id="mp-video")
            metrics = gr.JSON(label="Metrics", elem_id="mp-metrics")
        with gr.Column(scale=3):
            frame = gr.Slider(0, 1, value=0, step=1, label="Frame", elem_id="mp-frame")
            caption = gr.Markdown(elem_id="mp-caption")
            strip = gr.Image(label="Mask | flow used | warp error", interactive=False, format="png", elem_id="mp-strip")
            flows = gr.Image(label="Per-query flows of this frame (colour wheel)", interactive=False, format="png",
                             elem_id="mp-flows")
    drift = gr.Plot(label="Drift", elem_id="mp-drift")
    with gr.Row():
        sweep_button = gr.Button("Measure cost vs accuracy (every method, k = 1, 2, 3, 5, 8, 10)", elem_id="mp-sweep")
        export_button = gr.Button("Export masks, video and metrics", elem_id="mp-export")
    cost = gr.Plot(label="Cost vs accuracy", elem_id="mp-cost")
    table = gr.Dataframe(headers=["method", "k", "GFLOPs/frame", "mIoU", "warp error", "ms/frame"],
                         label="Sweep measurements", interactive=False, elem_id="mp-table")
    bundle = gr.File(label="Download", elem_id="mp-bundle")

    video.change(first_frame, inputs=video, outputs=editor, api_visibility="private")
    run.click(propagate, inputs=[video, segmentor, flow, k, editor],
              outputs=[overlay_video, metrics, state, frame, strip, flows, caption, drift],
              api_name="propagate")
    frame.change(show_frame, inputs=[state, frame], outputs=[strip, flows, caption], api_visibility="private")
    sweep_button.click(sweep, inputs=state, outputs=[cost, table], api_visibility="private")
    export_button.click(export, inputs=state, outputs=bundle, api_visibility="private")
