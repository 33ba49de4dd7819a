"""Tubes tab: TubeViT's sparse tube kernels, where they sample, what they save, and what the model relied on."""
from __future__ import annotations

import tempfile

import gradio as gr

from demos.common import NO_VIDEO, friendly_errors
from lib.errors import UserInputError
from lib.methods.tubes.geometry import PAPER_TUBES
from lib.methods.tubes.task import (
    DEFAULT_MODEL,
    TUBE_MODELS,
    render_costs,
    render_kernel_animation,
    render_kernels,
    render_position,
    render_prediction,
    render_sampling,
    render_volume,
    run_tubes,
    update_tubes,
)
from lib.video import write_gif

INTRO = """### Sparse video tubes (TubeViT, CVPR 2023)
A few 3-D convolution **tubes** (kernel, stride, offset), applied with large strides, turn a video into a few
hundred tokens instead of thousands; a fixed sine-cosine code at each token's centre tells the encoder where it
came from, and **attention pooling** weighs the tokens for the classifier. The bundled models were trained on
toy-world clips like the examples (a big shape among smaller ones, moving camera) to name the big shape's motion
(left, right, up, down, rotate, grow, shrink, bounce, stay): *TubeViT-tiny* reads 99 tube tokens of a 32x48x48
clip (held-out top-1 49.5%), its *dense twin* 576 non-overlapping 8x4x4 tubelets (78.0%, at 14x the FLOPs).
Edit the tube table to see the token count and cost change on the chosen clip."""

COLUMNS = ["kernel t", "kernel h", "kernel w", "stride t", "stride h", "stride w", "offset t", "offset h", "offset w"]
DEFAULT_ROWS = [[*t.kernel, *t.stride, *t.offset] for t in PAPER_TUBES]
COST_HEADERS = ["tokeniser", "tokens", "GFLOPs (forward)", "x sparse GFLOPs"]


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


def _summary(result) -> str:
    t, h, w = result.layout.input_shape
    sparse, dense, frames = result.costs
    top = max(range(len(result.probabilities)), key=lambda i: result.probabilities[i])
    return (f"**{result.layout.num_tokens} tube tokens** on this {t}x{h}x{w} clip "
            f"({' + '.join(str(n) for n in result.layout.tokens_per_tube)}), vs {dense.tokens} dense tubelets "
            f"({dense.tokens / sparse.tokens:.1f}x) and {frames.tokens} per-frame patches "
            f"({frames.tokens / sparse.tokens:.1f}x); ViT-B forward {sparse.gflops:.0f} vs {dense.gflops:.0f} vs "
            f"{frames.gflops:.0f} GFLOPs. **{result.model_name}** says *{result.class_names[top]}* "
            f"({result.probabilities[top]:.0%}) from {result.model_layout.num_tokens} tokens.")


def _geometry_outputs(result, frame: int, token: int):
    rows, cost_fig = render_costs(result)
    frame = min(int(frame), len(result.frames) - 1)
    token = min(int(token), result.layout.num_tokens - 1)
    return (render_sampling(result, frame, token), render_volume(result), rows, cost_fig,
            render_position(result, token))


def _kernel_gif(result, channels: int, order: str) -> str:
    """The kernels played over time, written as a GIF for the browser; returns its path."""
    path = tempfile.NamedTemporaryFile(prefix="tube-kernels-", suffix=".gif", delete=False).name
    return str(write_gif(render_kernel_animation(result, channels=channels, order=order), path, fps=4))


def build_tab(video: gr.Video) -> None:
    gr.Markdown(INTRO)
    state = gr.State()
    with gr.Row():
        model = gr.Dropdown(list(TUBE_MODELS), value=DEFAULT_MODEL, label="Model")
        num_frames = gr.Slider(8, 64, value=32, step=1, label="Frames sampled from the clip")
        short_side = gr.Slider(64, 320, value=224, step=16, label="Short side of the analysed clip (px)")
    tubes = gr.Dataframe(value=DEFAULT_ROWS, headers=COLUMNS, datatype=["number"] * 9, column_count=(9, "fixed"),
                         label="Tubes analysed on the clip (edit a cell: token count and costs update)",
                         interactive=True, elem_id="tubes-table")
    run_button = gr.Button("Tokenise the clip and run the model", variant="primary")
    summary = gr.Markdown(elem_id="tubes-summary")
    with gr.Row():
        top = gr.Label(num_top_classes=5, label="Prediction (top 5)")
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
        costs = gr.Dataframe(headers=COST_HEADERS, interactive=False, label="Savings on this clip (ViT-B encoder)")
        cost_plot = gr.Plot(label="Tokens and forward GFLOPs")

    @friendly_errors
    def run(path, model_name, frames_value, short_value, rows, progress=gr.Progress()):
        if not path:
            raise gr.Error(NO_VIDEO)
        progress(0.1, desc="decoding, tokenising and running the model")
        result = run_tubes(path, model_name=model_name, tubes=None, num_frames=int(frames_value),
                           short_side=int(short_value))
        result = update_tubes(result, parse_tube_rows(rows))
        label, overlay, weights_fig = render_prediction(result)
        kernel_images = render_kernels(result)
        geometry = _geometry_outputs(result, 0, 0)
        return (result, _summary(result), label, weights_fig, overlay, kernel_images, _kernel_gif(result, 8, "norm"),
                *geometry,
                gr.update(maximum=len(result.frames) - 1, value=0),
                gr.update(maximum=result.layout.num_tokens - 1, value=0))

    @friendly_errors
    def edit_tubes(result, rows, frame_value, token_value):
        if result is None:
            return (gr.update(),) * 8
        result = update_tubes(result, parse_tube_rows(rows))
        return (result, _summary(result), *_geometry_outputs(result, frame_value, token_value),
                gr.update(maximum=result.layout.num_tokens - 1))

    @friendly_errors
    def redraw_sampling(result, frame_value, token_value):
        if result is None:
            return gr.update(), gr.update()
        token_value = min(int(token_value), result.layout.num_tokens - 1)
        return (render_sampling(result, min(int(frame_value), len(result.frames) - 1), token_value),
                render_position(result, token_value))

    @friendly_errors
    def redraw_kernels(result, order_value, channel_count):
        if result is None:
            return gr.update(), gr.update()
        return (render_kernels(result, channels=int(channel_count), order=order_value),
                _kernel_gif(result, int(channel_count), order_value))

    run_button.click(run, inputs=[video, model, num_frames, short_side, tubes],
                     outputs=[state, summary, top, tube_weights, pooling, kernels, kernel_gif, sampling, volume, costs,
                              cost_plot, position, frame, token], api_name="tubes")
    tubes.input(edit_tubes, inputs=[state, tubes, frame, token],
                outputs=[state, summary, sampling, volume, costs, cost_plot, position, token],
                api_visibility="private")
    for slider in (frame, token):
        slider.release(redraw_sampling, inputs=[state, frame, token], outputs=[sampling, position],
                       api_visibility="private")
    for control in (order, channels):
        control.change(redraw_kernels, inputs=[state, order, channels], outputs=[kernels, kernel_gif],
                       api_visibility="private")
