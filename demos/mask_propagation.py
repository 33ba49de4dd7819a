"""Mask propagation tab (MPVSS): segment key frames, warp their masks with per-query or plain flow."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from demos.common import AdviceView, bind, friendly_errors, keep, real_video_switch, result_state, stored, video_handler
from demos.gpu import ProgressRelay, gpu
from demos.stop import cancel_on, stop_button, stoppable
from demos.tab_controls import register
from lib.errors import UserInputError
from lib.methods.mask_propagation import (
    BUNDLED_SEGMENTOR,
    PAINTED,
    PRETRAINED_MODEL,
    PROPAGATORS,
    SEGMENTORS,
    SWEEP_HEADERS,
    cost_figure,
    drift_figure,
    editor_value,
    export_mask_propagation,
    frame_caption,
    gpu_note,
    load_propagation_clip,
    merge_painting,
    paper_markdown,
    propagator_label,
    real_video_advice,
    render_frame,
    run_cost_sweep,
    run_mask_propagation,
    sweep_rows,
    write_overlay_video,
)

ABOUT = """**MPVSS** (Weng et al., NeurIPS 2023) runs a query-based segmentor only on key frames (every *k*-th),
predicts one flow field per mask query from (current frame, key frame, key-frame queries), and warps each key-frame
mask with its own flow, reusing the key frame's classes; here a light refiner then corrects the warped masks from the
current frame's low-level features, where warping cannot know what is there (newly visible background). Compare it
with one plain optical flow for all masks (DIS, the DFF-style baseline), with no flow at all, and (with a GPU) with
SAM 2.1, which takes the first frame's masks as prompts and carries them with its memory. The bundled models
are tiny and trained on the toy world; for other videos paint the masks yourself on the first frame."""


@dataclass(frozen=True)
class PropagationView:
    """The components the handlers fill (handlers return {component: value} for them)."""

    overlay_video: gr.Video
    metrics: gr.JSON
    state: gr.State
    info: gr.State
    sweep: gr.State
    frame: gr.Slider
    strip: gr.Image
    flows: gr.Image
    caption: gr.Markdown
    drift: gr.Plot
    cost: gr.Plot
    table: gr.Dataframe

    @property
    def propagate_outputs(self) -> list:
        """The outputs of the "propagate" api endpoint, in its order (clients read them by position)."""
        return [self.overlay_video, self.metrics, self.state, self.info, self.sweep, self.frame, *self.frame_outputs,
                self.drift]

    @property
    def frame_outputs(self) -> list:
        return [self.strip, self.flows, self.caption]


def _frame_views(view: PropagationView, result, t: int) -> dict:
    _, strip, flows = render_frame(result, t)
    return {view.strip: strip, view.flows: flows, view.caption: frame_caption(result, t)}


@friendly_errors
def first_frame(path: str | None):
    """Handler: put the first frame (as propagated) under the brush; clearing the video clears the editor."""
    if not path:
        return None
    return editor_value(load_propagation_clip(path).frames[0])  # decoded once: the run reuses this decode


@gpu(duration_s=90)  # Mask2Former Swin-T on every key frame of a long clip is the slowest run
def compute(path: str, segmentor: str, flow: str, k: int, painting, progress: gr.Progress):
    """The model run (a ZeroGPU call on a ZeroGPU Space): plain values in, the picklable MaskPropagationResult out."""
    return run_mask_propagation(path, segmentor=segmentor, flow=flow, k=k, painting=painting,
                                progress=ProgressRelay(progress))


@gpu(duration_s=90)  # every flow method at six key-frame intervals, the key-frame segmentations reused
def compute_sweep(result, progress: gr.Progress):
    """The sweep (a ZeroGPU call on a ZeroGPU Space): the stored result in, the picklable CostSweep out."""
    return run_cost_sweep(result, progress=ProgressRelay(progress))


@stoppable
@video_handler
def propagate(path: str, segmentor: str, flow: str, k: float, editor: dict | None = None,
              progress: gr.Progress = gr.Progress(), *, view: PropagationView):
    """Mask propagation tab (MPVSS, NeurIPS 2023): segment only every k-th frame of a video and warp the masks to
    the frames between with optical flow; measure accuracy, drift and FLOPs (api_name="propagate").

    Args:
        path: the video file to segment (MP4 H.264 works best).
        segmentor: "query-segmentor-tiny-toy" (bundled), "mask2former-swin-t-ade" / "-cityscapes" (hub), "painted".
        flow: how masks reach the frames between keys: "mpvss" (a flow per mask), "dis" (one optical flow), "none",
            or "sam2" (SAM 2.1 hiera-tiny prompted with frame 0's masks; needs a GPU, refused on a CPU).
        k: the key-frame interval, 1 to 10 (5 by default); 1 segments every frame.
        editor: masks painted on the first frame (an image editor value); used only with segmentor "painted".
    Returns:
        the propagated masks as an MP4 video, metrics (mIoU against the ground truth or the per-frame segmentation,
        FLOPs per frame), a frame's mask, flow and warp error, and the drift between key frames.
    """
    result = compute(path, segmentor, flow, int(k), merge_painting(editor) if segmentor == PAINTED else None,
                     progress)
    progress(0.95, desc="encoding the overlay video and drawing the frame views")
    start = min(result.k, len(result.frames)) - 1  # the last warped frame before the next key: most drift
    slider = gr.Slider(minimum=0, maximum=len(result.frames) - 1, value=start, step=1, interactive=True)
    # a generator: the overlay's folder is deleted once Gradio has copied the video into its cache
    with tempfile.TemporaryDirectory(prefix="mask-prop-") as folder:
        video_path = write_overlay_video(result, Path(folder) / "overlay.mp4")
        yield {view.overlay_video: str(video_path), view.metrics: result.metrics(),
               view.state: keep(result, "Mask propagation"), view.sweep: None, view.frame: slider,
               view.info: {"settings": {"segmentor": segmentor, "flow": flow, "k": int(k)}, "clip": path},
               **_frame_views(view, result, start), view.drift: drift_figure(result)}


def show_frame(handle, t, *, view: PropagationView) -> dict:
    """Handler: frame slider -> images from the cached result (no model runs)."""
    result = stored(handle)
    if result is None:
        return {view.strip: None, view.flows: None, view.caption: ""}
    return _frame_views(view, result, int(min(max(int(t), 0), len(result.frames) - 1)))


@stoppable
@friendly_errors
def sweep(handle, progress=gr.Progress(), *, view: PropagationView) -> dict:
    """Handler: every flow method at k = 1, 2, 3, 5, 8, 10 on the propagated clip -> figure and table."""
    result = stored(handle)
    if result is None:
        raise UserInputError("Propagate first: the sweep reuses that clip's segmentations.")
    points = compute_sweep(result, progress)
    return {view.sweep: points, view.cost: cost_figure(points), view.table: sweep_rows(points)}


@friendly_errors
def download(handle, info, points, progress=gr.Progress()):
    """Handler (api_name="propagate_download"): the stored result -> mask_propagation.zip (masks as PNG class ids,
    arrays as NPZ, the overlay MP4, the sweep when measured, manifest.json); nothing is recomputed.
    A generator: the zip's folder is deleted once Gradio has copied the zip."""
    result = stored(handle)
    if result is None:
        raise UserInputError("Propagate first, then download.")
    progress(0.2, desc="writing masks, arrays and the overlay video into one zip")
    with tempfile.TemporaryDirectory(prefix="mask-prop-export-") as folder:
        yield str(export_mask_propagation(result, folder, sweep=points, **(info or {})))


def build_tab(video: gr.Video) -> PropagationView:
    gr.Markdown(ABOUT)
    state, info, sweep_state = result_state(), gr.State(None), gr.State(None)
    with gr.Row():
        segmentor = gr.Dropdown([(label, name) for name, label in SEGMENTORS.items()], value=BUNDLED_SEGMENTOR,
                                label="Key-frame segmentor", elem_id="mp-segmentor")
        flow = gr.Dropdown([(propagator_label(name), name) for name in PROPAGATORS], value="mpvss",
                           label="Flow method", elem_id="mp-flow")
        k = gr.Slider(1, 10, value=5, step=1, label="Key-frame interval k (1 = segment every frame)", elem_id="mp-k")
    register("Mask propagation", segmentor=segmentor, flow=flow, k=k)
    if gpu_note():  # SAM 2 stays in the menu, refused with this sentence where it cannot run
        gr.Markdown(gpu_note(), elem_id="mp-gpu-note")
    real_video_switch(video, segmentor, AdviceView(real_video_advice, PRETRAINED_MODEL), "mp")
    with gr.Accordion("Paint key-frame masks (for 'Masks I paint on the first frame')", open=False):
        gr.Markdown("One brush colour per region; unpainted pixels are background.")
        editor = gr.ImageEditor(label="First frame", type="numpy", height=320, elem_id="mp-editor",
                                brush=gr.Brush(colors=["#e6194b", "#3cb44b", "#4363d8", "#f58231"], color_mode="fixed"))
    with gr.Row():
        run = gr.Button("Propagate", variant="primary", elem_id="mp-run")
        stop = stop_button("mp-stop")
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
        sweep_stop = stop_button("mp-sweep-stop")
        export_button = gr.Button("Download (zip)", elem_id="mp-export")
    cost = gr.Plot(label="Cost vs accuracy", elem_id="mp-cost")
    with gr.Accordion("Paper vs the bundled models (measured)", open=False):
        gr.Markdown(paper_markdown())
    table = gr.Dataframe(headers=SWEEP_HEADERS, label="Sweep measurements", interactive=False, elem_id="mp-table")
    bundle = gr.File(label="Download", elem_id="mp-bundle")
    view = PropagationView(overlay_video=overlay_video, metrics=metrics, state=state, info=info, sweep=sweep_state,
                           frame=frame, strip=strip,
                       flows=flows, caption=caption, drift=drift, cost=cost, table=table)

    video.change(first_frame, inputs=video, outputs=editor, api_visibility="private")
    event = run.click(bind(propagate, view), inputs=[video, segmentor, flow, k, editor],
                      outputs=view.propagate_outputs, api_name="propagate")
    cancel_on(stop, event)
    # input (the user moved it), not change: a run sets the slider and draws that frame itself; a change event drew
    # it again into the same cached file while the browser read the first (h11: "Too much data for declared
    # Content-Length", a broken image)
    frame.input(bind(show_frame, view), inputs=[state, frame], outputs=view.frame_outputs, api_visibility="private",
                trigger_mode="always_last")
    sweep_event = sweep_button.click(bind(sweep, view), inputs=state, outputs=[sweep_state, cost, table],
                                     api_name="propagate_sweep", api_visibility="undocumented")
    cancel_on(sweep_stop, sweep_event)
    export_button.click(download, inputs=[state, info, sweep_state], outputs=bundle, api_name="propagate_download",
                        api_visibility="undocumented")
    return view
