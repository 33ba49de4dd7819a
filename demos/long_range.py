"""Long-range tab: ViS4mer's S4 decoder vs self-attention on long videos (kernels, stages, cost curves)."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass

import gradio as gr

from demos.common import bind, friendly_errors, keep, require_video, result_state, stored
from demos.gpu import ProgressRelay, gpu
from demos.stop import cancel_on, stop_button, stoppable
from demos.tab_controls import register
from lib.errors import UserInputError
from lib.methods.long_range import (
    cost_summary,
    export_long_range,
    real_video_notice,
    render_attention_vs_kernels,
    render_cost_curves,
    render_filmstrip,
    render_prediction,
    render_receptive_fields,
    render_stages,
    run_cost_curves,
    run_long_range,
    stage_rows,
)

SOURCES = ("long toy video", "chosen video")
INTRO = """### Long range: S4 state-space layers vs self-attention (ViS4mer, ECCV 2022)
ViS4mer encodes each frame into tokens and reads the long token sequence with a multi-scale **S4**
decoder: each layer is a learned causal convolution as long as the video, computed with an FFT in
O(L log L), then the sequence is pooled by 2 and the channels halved. Its twin replaces S4 by
self-attention, whose L x L matrix grows quadratically. Both bundled decoders were trained the same way
to **count how many times the actor bounces** in a 41-second toy video: the bounces are spread over the
whole video, so no short window can answer."""


def _parse_channels(text: str) -> list[int] | None:
    """"0, 5; 17" -> [0, 5, 17]; empty -> None (a spread of memory lengths)."""
    values = [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]
    try:
        return [int(v) for v in values] or None
    except ValueError as err:
        raise UserInputError("Channels must be whole numbers separated by commas, e.g. 0, 5, 17.") from err


@dataclass(frozen=True)
class LongRangeView:
    """The components the main action fills (built in build_tab; handlers return {component: value})."""

    state: gr.State
    info: gr.State
    summary: gr.Markdown
    strip: gr.Image
    prediction: gr.Plot
    kernels: gr.Plot
    receptive: gr.Plot
    stages: gr.Plot
    stages_table: gr.Dataframe
    query: gr.Slider

    def outputs(self) -> list:
        return [self.state, self.info, self.summary, self.strip, self.prediction, self.kernels, self.receptive,
                self.stages, self.stages_table, self.query]


@gpu(duration_s=60)  # encoding 8,192 frame pairs, then both decoders
def compute(video: str | None, seed: int, num_frames: int, budget_mb: float, progress: gr.Progress):
    """The model run (a ZeroGPU call on a ZeroGPU Space): plain values in, the picklable LongRangeResult out."""
    return run_long_range(video, seed=seed, num_frames=num_frames, budget_mb=budget_mb,
                          progress=ProgressRelay(progress))


@gpu(duration_s=60)  # one S4D and one attention layer timed at six lengths, forward and backward
def compute_curves(longest: int, dim: int, heads: int, budget_mb: float, backward: bool, progress: gr.Progress):
    """The measurement (a ZeroGPU call on a ZeroGPU Space): plain values in, the picklable CostCurves out."""
    return run_cost_curves(longest=longest, dim=dim, heads=heads, budget_mb=budget_mb, backward=backward,
                           progress=ProgressRelay(progress))


@stoppable
@friendly_errors  # not @video_handler: with the toy video chosen, no clip (None) is a valid first input
def read_video(video: str | None, source_name: str, seed_value: float, frames_value: float, budget_mb: float,
               progress: gr.Progress = gr.Progress(), *, view: LongRangeView) -> dict:
    """Long range tab (ViS4mer, ECCV 2022): encode a long video's frames, read them with an S4 decoder and with its
    attention twin, and count the bounces of the toy world's ball (api_name="longrange").

    Args:
        video: the chosen video file; read only when source_name is the chosen clip (may be empty otherwise).
        source_name: "long toy video" (generated, its bounce count known) or "chosen video" (the video argument).
        seed_value: the toy-world video's seed (a whole number; the same seed gives the same video).
        frames_value: the toy video's length in frames at 25 fps, 256 to 8192 in steps of 64 (1024 by default).
        budget_mb: memory the attention twin may use, 64 to 8192 MB (1024 by default); past it only S4 runs.
    Returns:
        both decoders' answers with per-part contributions, a filmstrip, S4 kernels next to attention rows,
        receptive fields and the decoder stages.
    """
    chosen = require_video(video) if source_name == SOURCES[1] else None
    result = compute(chosen, int(seed_value or 0), int(frames_value), float(budget_mb), progress)
    progress(0.95, desc="drawing kernels, receptive fields, stages and the prediction")
    last = int(result.frame_indices[-2])
    middle = int(result.frame_indices[len(result.frame_indices) // 2])
    info = {"settings": {"source": source_name, "seed": int(seed_value or 0), "num_frames": int(frames_value),
                         "budget_mb": float(budget_mb)}, "clip": chosen}
    return {view.state: keep(result, "Long range"), view.info: info, view.summary: result.summary(),
            view.strip: render_filmstrip(result),
            view.prediction: render_prediction(result),
            view.kernels: render_attention_vs_kernels(result, query_frame=middle),
            view.receptive: render_receptive_fields(result), view.stages: render_stages(result),
            view.stages_table: stage_rows(result), view.query: gr.update(maximum=last, value=middle)}


@friendly_errors
def redraw_kernels(handle, query_frame, channel_text):
    """Handler: query frame or channel list -> the kernels-vs-attention figure from the cached result."""
    result = stored(handle)
    if result is None:
        return gr.update()
    return render_attention_vs_kernels(result, channels=_parse_channels(channel_text), query_frame=int(query_frame))


@stoppable
@friendly_errors
def measure(longest_value: float, width_value: int, heads_value: int, backward_value: bool, budget_mb: float,
            progress: gr.Progress = gr.Progress()):
    """Long range tab, cost curves: time and memory of one S4D layer vs one attention layer as the sequence grows,
    measured live on this machine (api_name="longrange_costs").

    Args:
        longest_value: the longest sequence measured, 1024 to 32768 tokens (8192 by default); six lengths from 256.
        width_value: the layers' width in channels: 32, 64 (default) or 128.
        heads_value: the attention layer's head count: 1 (default), 2 or 4.
        backward_value: also time the backward pass (training), not only the forward pass.
        budget_mb: memory attention may use, 64 to 8192 MB (1024 by default); lengths over it are not run.
    Returns:
        the cost-curve figure, a one-line reading of it, and the measured curves.
    """
    curves = compute_curves(int(longest_value), int(width_value), int(heads_value), float(budget_mb),
                            bool(backward_value), progress)
    return render_cost_curves(curves), cost_summary(curves), curves


@friendly_errors
def download(handle, info, curves, progress=gr.Progress()):
    """Handler (api_name="longrange_download"): the stored result and/or cost curves -> long_range.zip (pictures,
    figures, arrays, manifest.json); nothing is recomputed. The folder goes once Gradio has copied the zip."""
    result = stored(handle)
    if result is None and curves is None:
        raise UserInputError("Read the video or measure the cost curves first, then download.")
    progress(0.2, desc="writing figures and arrays into one zip")
    with tempfile.TemporaryDirectory(prefix="longrange-export-") as folder:
        yield str(export_long_range(result, folder, curves=curves, **(info or {})))


def show_notice(video, source_name):
    """Handler: clip or source changed -> the one-line notice, shown when the toy decoders would read a real clip."""
    line = real_video_notice(video) if source_name == SOURCES[1] else None
    return gr.update(value=line or "", visible=line is not None)


def build_tab(video: gr.Video) -> None:
    """Components and events of the tab; `video` is the app's shared chooser (a path or None)."""
    gr.Markdown(INTRO)
    with gr.Row():
        source = gr.Radio(list(SOURCES), value=SOURCES[0], label="Video to read")
        seed = gr.Number(900_000, precision=0, label="Toy video seed (900000+ were never seen in training)")
        num_frames = gr.Slider(256, 8192, value=1024, step=64, label="Toy video length (frames at 25 fps)")
        budget = gr.Slider(64, 8192, value=1024, step=64, label="Memory budget for attention (MB)")
    real_notice = gr.Markdown(visible=False, elem_id="longrange-real-notice")
    with gr.Row():
        run_button = gr.Button("Read the video with both decoders", variant="primary", elem_id="longrange-run")
        stop = stop_button("longrange-stop")
    state, info, curves_state, summary = result_state(), gr.State(None), gr.State(None), gr.Markdown()
    strip = gr.Image(label="Sampled frames", format="png", interactive=False, elem_id="longrange-strip")
    prediction_plot = gr.Plot(label="Prediction and where it came from")
    with gr.Row():
        query = gr.Slider(0, 1024, value=512, step=1, label="Query token at frame (attention row)")
        channels = gr.Textbox(label="S4 channels to draw (comma separated; empty: a spread of memory lengths)")
    kernels_plot = gr.Plot(label="S4 kernels vs attention rows")
    with gr.Row():
        receptive_plot = gr.Plot(label="Effective receptive field")
        stages_plot = gr.Plot(label="Decoder stages")
    stages_table = gr.Dataframe(headers=["stage", "tokens", "channels", "seconds per token"], interactive=False)
    view = LongRangeView(state, info, summary, strip, prediction_plot, kernels_plot, receptive_plot, stages_plot,
                         stages_table, query)

    gr.Markdown("### Cost curves, measured now on this machine\nOne S4D layer vs one attention layer of the "
                "same width as the sequence grows. Attention memory is predicted from L before each run; "
                "lengths over the budget are not run.")
    with gr.Row():
        longest = gr.Slider(1024, 32768, value=8192, step=1024, label="Longest sequence (tokens)")
        width = gr.Dropdown([32, 64, 128], value=64, label="Width (channels)")
        heads = gr.Dropdown([1, 2, 4], value=1, label="Attention heads")
        backward = gr.Checkbox(value=True, label="Include the backward pass (training)")
    with gr.Row():
        cost_button = gr.Button("Measure cost curves", elem_id="longrange-costs-run")
        cost_stop = stop_button("longrange-costs-stop")
    cost_plot = gr.Plot(label="Time and peak memory")
    cost_note_view = gr.Markdown()
    with gr.Row():
        download_button = gr.Button("Download (zip)", scale=0,
                                    elem_id="longrange-download")
        bundle = gr.File(label="Download", elem_id="longrange-bundle")

    register("Long range", budget_mb=budget, also={source: SOURCES[1]})  # a row read the chosen video
    event = run_button.click(bind(read_video, view), inputs=[video, source, seed, num_frames, budget],
                             outputs=view.outputs(), api_name="longrange")
    cancel_on(stop, event)
    query.release(redraw_kernels, inputs=[state, query, channels], outputs=kernels_plot, api_visibility="private")
    channels.submit(redraw_kernels, inputs=[state, query, channels], outputs=kernels_plot, api_visibility="private")
    cost_event = cost_button.click(measure, inputs=[longest, width, heads, backward, budget],
                                   outputs=[cost_plot, cost_note_view, curves_state], api_name="longrange_costs")
    cancel_on(cost_stop, cost_event)
    download_button.click(download, inputs=[state, info, curves_state], outputs=bundle, api_name="longrange_download",
                          api_visibility="undocumented")
    for control in (video, source):
        control.change(show_notice, inputs=[video, source], outputs=real_notice, api_visibility="private")
