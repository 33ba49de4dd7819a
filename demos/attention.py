"""Attention tab: where a patch looks inside STPT (local windows early, global late) and video ViTs."""
from __future__ import annotations

import gradio as gr
import numpy as np

from demos.common import NO_VIDEO, friendly_errors
from lib.errors import UserInputError
from lib.methods.attention.render import (
    cost_table,
    layer_label,
    plot_layer_stats,
    plot_timeline,
    render_compare,
    render_query,
    render_rollout,
    summary,
)
from lib.methods.attention.task import MODEL_CHOICES, STPT_MODEL, run_attention
from lib.viz import draw_boxes

INTRO = """### Local vs global attention (STPT, ECCV 2022) and inside video transformers
STPT detects actions in untrimmed video with a pyramid transformer that attends only inside small 3-D
**local windows** in its early, high-resolution stages and **globally** in its late stages, saving FLOPs.
The bundled *STPT-tiny* was trained on toy-world videos to find action segments (left, right, up, down,
rotate, grow, shrink, bounce); its **global twin** has the same layers with global attention everywhere.
Pick a patch (click the frame or use the sliders) to see where it attends in every frame; white boxes are
its local window. VideoMAE and TimeSformer (hub checkpoints, downloaded once) show the same views."""

COST_HEADERS = ["model", "GFLOPs per window", "x first model", "recorded maps (MB)"]


def parse_layers(text: str | None) -> list[int] | None:
    """"" -> None (all layers); "0, 2, 5" -> [0, 2, 5]."""
    if not text or not text.strip():
        return None
    try:
        return [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError as err:
        raise UserInputError("Write the layers to record as numbers separated by commas, e.g. 0, 3, 5.") from err


def _head(value) -> int | None:
    return None if value in (None, "mean") else int(value)


def _query_frame(result, frame: int, y: float, x: float) -> np.ndarray:
    """The query frame with a cyan cross-hair box of 9 px round the picked pixel (clickable)."""
    image = result.frames[min(int(frame), len(result.frames) - 1)]
    y, x = int(y), int(x)
    return draw_boxes(image, [(max(0, y - 4), y + 5, max(0, x - 4), x + 5)], colours=[(0, 255, 255)], thickness=2)


def _views(result, layer, head, frame, y, x, shown):
    layer = min(int(layer), len(result.main.layers) - 1)
    frame = min(int(frame), len(result.frames) - 1)
    shown = min(int(shown), len(result.frames) - 1)
    head = _head(head)
    if head is not None and head >= result.main.layers[layer].num_heads:
        head = None
    compare = (render_compare(result, layer=layer, head=head, frame=frame, y=y, x=x, shown_frame=shown)
               if result.twin is not None else None)
    return (_query_frame(result, frame, y, x), render_query(result, layer=layer, head=head, frame=frame, y=y, x=x),
            render_rollout(result, frame=frame, y=y, x=x), compare, layer_label(result.main, layer))


def build_tab(video: gr.Video) -> None:
    gr.Markdown(INTRO)
    state = gr.State()
    with gr.Row():
        model = gr.Dropdown(list(MODEL_CHOICES), value=STPT_MODEL, label="Model")
        compare = gr.Checkbox(value=True, label="Also run STPT's all-global twin (local vs global)")
        layers = gr.Textbox(value="", label="Layers to record (empty = all; e.g. 0, 5, 11)",
                            info="Only these are recorded, as fp16; too many for memory is refused.")
    run_button = gr.Button("Record attention", variant="primary")
    text = gr.Markdown(elem_id="attention-summary")
    costs = gr.Dataframe(headers=COST_HEADERS, interactive=False, label="Cost on this clip")
    timeline = gr.Plot(label="Detections (bars, opacity = score) vs ground truth")
    with gr.Row():
        layer = gr.Slider(0, 5, value=0, step=1, label="Layer (recorded layers, in order)")
        head = gr.Dropdown(["mean"], value="mean", label="Head (mean, or one head where the layer has it)")
        frame = gr.Slider(0, 63, value=0, step=1, label="Query frame")
        y = gr.Slider(0, 191, value=96, step=1, label="Query y (px)")
        x = gr.Slider(0, 191, value=96, step=1, label="Query x (px)")
    layer_text = gr.Markdown()
    with gr.Row():
        picker = gr.Image(label="Click to pick the query patch", format="png", interactive=False, height=240,
                          elem_id="attention-picker")
        stats = gr.Plot(label="Per layer: how far attention reaches and how spread it is")
    query = gr.Image(label="Where the query attends (cyan: query token; white: its local window)", format="png",
                     interactive=False, elem_id="attention-query")
    rollout = gr.Image(label="Space-time rollout: what the last layer's token at the query draws on",
                       format="png", interactive=False)
    shown = gr.Slider(0, 63, value=0, step=1, label="Frame shown (local | global, one colour scale)")
    side = gr.Image(label="Local (left) vs global twin (right), same query", format="png", interactive=False,
                    elem_id="attention-compare")

    view_inputs = [state, layer, head, frame, y, x, shown]
    view_outputs = [picker, query, rollout, side, layer_text]

    @friendly_errors
    def run(path, model_name, compare_value, layers_text, progress=gr.Progress()):
        if not path:
            raise gr.Error(NO_VIDEO)
        progress(0.1, desc="decoding, running and recording attention")
        result = run_attention(path, model=model_name, compare=bool(compare_value), layers=parse_layers(layers_text))
        last_frame = len(result.frames) - 1
        middle = last_frame // 2
        heads = ["mean"] + [str(h) for h in range(max(layer.num_heads for layer in result.main.layers))]
        views = _views(result, 0, "mean", middle, 96, 96, middle)
        return (result, summary(result), cost_table(result), plot_timeline(result), plot_layer_stats(result),
                *views, gr.update(maximum=len(result.main.layers) - 1, value=0), gr.update(choices=heads, value="mean"),
                gr.update(maximum=last_frame, value=middle), gr.update(maximum=last_frame, value=middle))

    @friendly_errors
    def redraw(result, layer_value, head_value, frame_value, y_value, x_value, shown_value):
        if result is None:
            return (gr.update(),) * len(view_outputs)
        return _views(result, layer_value, head_value, frame_value, y_value, x_value, shown_value)

    def pick(result, evt: gr.SelectData):
        if result is None or evt is None or evt.index is None:
            return gr.update(), gr.update()
        px, py = evt.index[0], evt.index[1]
        return int(py), int(px)

    run_button.click(run, inputs=[video, model, compare, layers],
                     outputs=[state, text, costs, timeline, stats, *view_outputs, layer, head, frame, shown],
                     api_name="attention")
    for control in (layer, head, frame, y, x, shown):
        control.release(redraw, inputs=view_inputs, outputs=view_outputs, api_visibility="private") \
            if isinstance(control, gr.Slider) else \
            control.change(redraw, inputs=view_inputs, outputs=view_outputs, api_visibility="private")
    picker.select(pick, inputs=[state], outputs=[y, x], api_visibility="private").then(
        redraw, inputs=view_inputs, outputs=view_outputs, api_visibility="private")
