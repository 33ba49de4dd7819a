"""Tubes tab: TubeViT's sparse tube kernels, where they sample, what they save, and what the model relied on."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from demos.common import AdviceView, bind, friendly_errors, keep, real_video_switch, result_state, stored, video_handler
from demos.gpu import gpu
from demos.stop import cancel_on, stop_button, stoppable
from demos.tab_controls import register
from lib.errors import UserInputError
from lib.methods.tubes import (
    DEFAULT_MODEL,
    PAPER_TUBES,
    PRETRAINED_MODEL,
    TUBE_MODELS,
    ablation_markdown,
    export_tubes,
    real_video_advice,
    render_costs,
    render_kernels,
    render_position,
    render_prediction,
    render_sampling,
    render_summary,
    render_volume,
    run_tubes,
    update_tubes,
    write_kernel_gif,
)

INTRO = """### Sparse video tubes (TubeViT, CVPR 2023)
A few 3-D convolution **tubes** (kernel, stride, offset), applied with large strides, turn a video into a few
hundred tokens instead of thousands; a fixed sine-cosine code at each token's centre tells the encoder where it
came from, and **attention pooling** weighs the tokens for the classifier. The bundled models were trained on
toy-world clips like the examples (a big shape among smaller ones, moving camera) to name the big shape's motion
(left, right, up, down, rotate, grow, shrink, bounce, stay), both started from one image ViT trained on toy-world
frames, as the paper's models are: *TubeViT-tiny* reads 99 tube tokens of a 32x48x48 clip (held-out top-1 60.0%),
its *dense twin* 576 non-overlapping 8x4x4 tubelets (83.5%, at 14x the FLOPs).
Edit the tube table to see the token count and cost change on the chosen clip."""

COLUMNS = ["kernel t", "kernel h", "kernel w", "stride t", "stride h", "stride w", "offset t", "offset h", "offset w"]
DEFAULT_ROWS = [[*t.kernel, *t.stride, *t.offset] for t in PAPER_TUBES]
COST_HEADERS = ["tokeniser", "tokens", "GFLOPs (forward)", "x sparse GFLOPs", "GMACs (papers' GFLOPs)"]


def parse_tube_rows(rows) -> list[list[list[int]]]:
    """Dataframe rows of 9 numbers -> [[kernel], [stride], [offset]] per tube; blank rows are skipped."""
    values = rows.values.tolist() if hasattr(rows, "values") else list(rows or [])
    tubes = []
    for row in values:
        cells = [c for c in row if c not in (None, "") and str(c).strip() != ""]
        if not cells:
            continue
        try:
            numbers = [int(float(c)) for c in row]
        except (TypeError, ValueError) as err:
            raise UserInputError("Every tube needs 9 whole numbers: kernel, stride and offset in (t, h, w).") from err
        tubes.append([numbers[0:3], numbers[3:6], numbers[6:9]])
    if not tubes:
        raise UserInputError("Add at least one tube: with no tubes the video gives no tokens.")
    return tubes


@dataclass(frozen=True)
class TubesView:
    """The tab's output components, built in build_tab and handed to the handlers that fill many of them."""

    state: gr.State
    info: gr.State
    summary: gr.Markdown
    top: gr.Label
    tube_weights: gr.Plot
    pooling: gr.Image
    kernels: gr.Gallery
    kernel_gif: gr.Image
    frame: gr.Slider
    token: gr.Slider
    sampling: gr.Image
    volume: gr.Plot
    position: gr.Plot
    costs: gr.Dataframe
    cost_plot: gr.Plot

    def run_outputs(self) -> list:
        """Every output of the main action, in the order of the `tubes` API endpoint."""
        return [self.state, self.info, self.summary, self.top, self.tube_weights, self.pooling, self.kernels,
                self.kernel_gif, self.sampling, self.volume, self.costs, self.cost_plot, self.position, self.frame,
                self.token]

    def edit_outputs(self) -> list:
        """The outputs an edit of the tube table changes (the model is not re-run)."""
        return [self.state, self.summary, self.sampling, self.volume, self.costs, self.cost_plot, self.position,
                self.token]


def _geometry_outputs(view: TubesView, result, frame: int, token: int) -> dict:
    """Sampling panels, volume, cost table and chart, and position codes of the analysed tubes."""
    rows, cost_fig = render_costs(result)
    frame = min(int(frame), len(result.frames) - 1)
    token = min(int(token), result.layout.num_tokens - 1)
    return {view.sampling: render_sampling(result, frame, token), view.volume: render_volume(result),
            view.costs: rows, view.cost_plot: cost_fig, view.position: render_position(result, token)}


@gpu(duration_s=60)  # TubeViT-B (hub) on 64 frames at 320 px is the slowest run
def compute(path: str, model_name: str, num_frames: int, short_side: int):
    """The model run (a ZeroGPU call on a ZeroGPU Space): plain values in, the picklable TubesResult out."""
    return run_tubes(path, model_name=model_name, tubes=None, num_frames=num_frames, short_side=short_side)


@stoppable
@video_handler
def run(path: str, model_name: str, frames_value: float, short_value: float, rows: object,
        progress: gr.Progress = gr.Progress(), *, view: TubesView):
    """Tubes tab (TubeViT, CVPR 2023): tokenise a video with sparse 3-D tubes, run the classifier, and measure the
    token count and FLOPs against dense tokenisers (api_name="tubes").

    Args:
        path: the video file to analyse (MP4 H.264 works best).
        model_name: "tubevit-tiny-toy" (bundled), its dense twin "vivit-dense-tiny-toy", or a hub model in the menu.
        frames_value: frames sampled uniformly from the video, 8 to 64 (32 by default).
        short_value: short side of the analysed clip in pixels, 64 to 320 in steps of 16 (224 by default).
        rows: tubes, one row of 9 whole numbers each: kernel t h w, stride t h w, offset t h w (paper's 4 by default).
    Returns:
        the prediction (top 5 labels), a summary with the token count, the learned kernels, where each tube samples,
        and a table of tokens and GFLOPs of the tubes vs dense tokenisers.
    """
    tubes = parse_tube_rows(rows)
    progress(0.05, desc="decoding the clip, tokenising it and running the model")
    result = compute(path, model_name, int(frames_value), int(short_value))
    progress(0.7, desc="laying out the analysed tubes")
    result = update_tubes(result, tubes)
    progress(0.8, desc="drawing kernels, sampling boxes, costs and position codes")
    label, overlay, weights_fig = render_prediction(result)
    info = {"settings": {"model": model_name, "num_frames": int(frames_value), "short_side": int(short_value)},
            "clip": path}
    # a generator: the GIF's folder is deleted once Gradio has copied it into its cache
    with tempfile.TemporaryDirectory(prefix="tube-kernels-") as folder:
        yield {view.state: keep(result, "Tubes"), view.info: info, view.summary: render_summary(result),
               view.top: label, view.tube_weights: weights_fig, view.pooling: overlay,
               view.kernels: render_kernels(result),
               view.kernel_gif: write_kernel_gif(result, channels=8, order="norm", path=Path(folder) / "kernels.gif"),
               **_geometry_outputs(view, result, 0, 0),
               view.frame: gr.update(maximum=len(result.frames) - 1, value=0),
               view.token: gr.update(maximum=result.layout.num_tokens - 1, value=0)}


@friendly_errors
def edit_tubes(handle, rows, frame_value, token_value, *, view: TubesView):
    """Handler: an edited tube table -> geometry, costs and summary of the new tubes (no model run)."""
    result = stored(handle)
    if result is None:  # nothing run yet: leave every output as it is
        return gr.skip()
    result = update_tubes(result, parse_tube_rows(rows))
    return {view.state: keep(result, "Tubes", replaces=handle), view.summary: render_summary(result),
            **_geometry_outputs(view, result, frame_value, token_value),
            view.token: gr.update(maximum=result.layout.num_tokens - 1)}


@friendly_errors
def redraw_sampling(handle, frame_value, token_value):
    """Handler: frame / token sliders -> (sampling panels, position-code similarity) from the cached result."""
    result = stored(handle)
    if result is None:
        return gr.update(), gr.update()
    token_value = min(int(token_value), result.layout.num_tokens - 1)
    return (render_sampling(result, min(int(frame_value), len(result.frames) - 1), token_value),
            render_position(result, token_value))


@friendly_errors
def redraw_kernels(handle, order_value, channel_count):
    """Handler: kernel order / channel count -> (kernel gallery, kernel GIF) from the cached result."""
    result = stored(handle)
    if result is None:
        yield gr.update(), gr.update()
        return
    with tempfile.TemporaryDirectory(prefix="tube-kernels-") as folder:  # deleted once Gradio copied the GIF
        yield (render_kernels(result, channels=int(channel_count), order=order_value),
               write_kernel_gif(result, channels=int(channel_count), order=order_value,
                                path=Path(folder) / "kernels.gif"))


@friendly_errors
def download(handle, info, progress=gr.Progress()):
    """Handler (api_name="tubes_download"): the stored result -> tubes.zip (pictures, kernels video, arrays,
    manifest.json); nothing is recomputed. A generator: the zip's folder is deleted once Gradio has copied it."""
    result = stored(handle)
    if result is None:
        raise UserInputError("Run the model first (Tokenise the clip and run the model), then download.")
    progress(0.2, desc="writing pictures, arrays and the kernels video into one zip")
    with tempfile.TemporaryDirectory(prefix="tubes-export-") as folder:
        yield str(export_tubes(result, folder, **(info or {})))


def build_tab(video: gr.Video) -> None:
    """The Tubes tab's components and wiring; `video` is the shared clip chooser."""
    gr.Markdown(INTRO)
    with gr.Accordion("Paper vs the bundled models (the ablation, measured)", open=False):
        gr.Markdown(ablation_markdown())
    state, info = result_state(), gr.State(None)
    with gr.Row():
        model = gr.Dropdown(list(TUBE_MODELS), value=DEFAULT_MODEL, label="Model")
        num_frames = gr.Slider(8, 64, value=32, step=1, label="Frames sampled from the clip")
        short_side = gr.Slider(64, 320, value=224, step=16, label="Short side of the analysed clip (px)")
    register("Tubes", model_name=model, num_frames=num_frames, short_side=short_side)
    real_video_switch(video, model, AdviceView(real_video_advice, PRETRAINED_MODEL), "tubes")
    tubes = gr.Dataframe(value=DEFAULT_ROWS, headers=COLUMNS, datatype=["number"] * 9, column_count=(9, "fixed"),
                         label="Tubes analysed on the clip (edit a cell: token count and costs update)",
                         interactive=True, elem_id="tubes-table")
    with gr.Row():
        run_button = gr.Button("Tokenise the clip and run the model", variant="primary", elem_id="tubes-run")
        stop = stop_button("tubes-stop")
    summary = gr.Markdown(elem_id="tubes-summary")
    with gr.Row():
        top = gr.Label(num_top_classes=5, label="Prediction (top 5; none when the head was not trained for video)")
        tube_weights = gr.Plot(label="Attention-pooling weight per tube")
    pooling = gr.Image(label="Attention-pooling weight of every token, on the frames its tube read",
                       format="png", interactive=False, elem_id="tubes-pooling")
    with gr.Row():
        order = gr.Radio(["norm", "motion"], value="norm", label="Order kernel channels by")
        channels = gr.Slider(2, 16, value=8, step=1, label="Channels per tube")
    with gr.Row(equal_height=False):
        kernels = gr.Gallery(label="Learned kernels: rows = output channels, columns = time slices (grey = 0)",
                             columns=4, height=420, object_fit="contain", format="png", elem_id="tubes-kernels",
                             scale=3)
        kernel_gif = gr.Image(label="The same kernels played over time (one row per tube)", type="filepath",
                              interactive=False, height=420, elem_id="tubes-kernel-gif", scale=2)
    with gr.Row():
        frame = gr.Slider(0, 31, value=0, step=1, label="Frame")
        token = gr.Slider(0, 538, value=0, step=1, label="Token (white box; position-code similarity)")
    sampling = gr.Image(label="Where each tube samples this frame", format="png", interactive=False,
                        elem_id="tubes-sampling")
    with gr.Row():
        volume = gr.Plot(label="All tube tokens in the T x H x W volume")
        position = gr.Plot(label="Fixed sin-cos position code: similarity to the chosen token")
    with gr.Row():
        costs = gr.Dataframe(headers=COST_HEADERS, interactive=False,
                             label="Savings on this clip (ViT-B encoder; torch counts a multiply-add as 2 FLOPs)")
        cost_plot = gr.Plot(label="Tokens and forward GFLOPs")
    with gr.Row():
        download_button = gr.Button("Download (zip)", scale=0,
                                    elem_id="tubes-download")
        bundle = gr.File(label="Download", elem_id="tubes-bundle")
    view = TubesView(state=state, info=info, summary=summary, top=top, tube_weights=tube_weights, pooling=pooling,
                     kernels=kernels, kernel_gif=kernel_gif, frame=frame, token=token, sampling=sampling,
                     volume=volume, position=position, costs=costs, cost_plot=cost_plot)
    event = run_button.click(bind(run, view), inputs=[video, model, num_frames, short_side, tubes],
                             outputs=view.run_outputs(), api_name="tubes")
    cancel_on(stop, event)
    download_button.click(download, inputs=[state, info], outputs=bundle, api_name="tubes_download",
                          api_visibility="undocumented")
    tubes.input(bind(edit_tubes, view), inputs=[state, tubes, frame, token],
                outputs=view.edit_outputs(), api_name="edit_tubes", api_visibility="private")
    for slider in (frame, token):
        slider.release(redraw_sampling, inputs=[state, frame, token], outputs=[sampling, position],
                       api_visibility="private")
    for control in (order, channels):
        control.change(redraw_kernels, inputs=[state, order, channels], outputs=[kernels, kernel_gif],
                       api_visibility="private")
