"""Attention tab: where a patch looks inside STPT (local windows early, global late) and video ViTs."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass

import gradio as gr

from demos.common import (
    AdviceView,
    bind,
    friendly_errors,
    keep,
    lost,
    real_video_switch,
    result_state,
    stored,
    video_handler,
)
from demos.gpu import gpu
from demos.stop import cancel_on, stop_button, stoppable
from demos.tab_controls import register
from lib.errors import UserInputError
from lib.methods.attention import (
    MACS_NOTE,
    MODEL_CHOICES,
    PARTS,
    PRETRAINED_MODEL,
    STPT_MODEL,
    cost_table,
    default_layers_text,
    export_attention,
    fitted_note,
    gpu_sentence,
    offered_models,
    plot_layer_stats,
    plot_timeline,
    query_views,
    real_video_advice,
    run_attention,
    summary,
    time_estimate,
)

INTRO = """### Local vs global attention (STPT, ECCV 2022) and inside video transformers
STPT detects actions in untrimmed video with a pyramid transformer that attends only inside small 3-D
**local windows** in its early, high-resolution stages and **globally** in its late stages, saving FLOPs.
The bundled *STPT-tiny* was trained on toy-world videos to find action segments (left, right, up, down,
rotate, grow, shrink, bounce); its **global twin** has the same layers with global attention everywhere.
Pick a patch (click the frame or use the sliders) to see where it attends in every frame; white boxes are
its local window. VideoMAE and TimeSformer (hub checkpoints, downloaded once) show the same views, and so do two
models of 2023-2025: **DINOv2-S** (self-supervised image encoder, read frame by frame: its CLS token's heads pick out
the objects, a contrast to CLIP) and **V-JEPA 2** ViT-L (self-supervised video encoder, 2x16x16 tubelets, 2,048
tokens on 16 frames; it needs a GPU)."""

COST_HEADERS = ["model", "GFLOPs per window", "x first model", "recorded maps (MB)", "GMACs per window"]
START_QUERY = 96  # display pixel (y and x) of the first query: the centre of the 192 px frames


@dataclass(frozen=True)
class AttentionView:
    """The components the handlers fill (handlers return {component: value} for them)."""

    state: gr.State
    info: gr.State
    text: gr.Markdown
    costs: gr.Dataframe
    timeline: gr.Plot
    stats: gr.Plot
    picker: gr.Image
    cls: gr.Image
    query: gr.Image
    rollout: gr.Image
    side: gr.Image
    layer_text: gr.Markdown
    layer: gr.Slider
    head: gr.Dropdown
    frame: gr.Slider
    shown: gr.Slider
    window_start: gr.Number

    @property
    def record_outputs(self) -> list:
        """The outputs of the "attention" api endpoint, in its order (clients read them by position)."""
        return [self.state, self.info, self.text, self.costs, self.timeline, self.stats, self.picker, self.query,
                self.rollout, self.side, self.layer_text, self.layer, self.head, self.frame, self.shown,
                self.window_start, self.cls]  # the CLS heads last: earlier outputs keep their positions for clients

    @property
    def view_outputs(self) -> list:
        """The query views of "attention_view" (the CLS heads before the caption, which clients read last)."""
        return [self.picker, self.query, self.rollout, self.side, self.cls, self.layer_text]


def model_defaults(model: str):
    """Handler: another model -> the blocks the Layers box proposes here (fewer where recording all is slow on this
    machine) and the time estimate, with a line saying why when fewer are proposed."""
    note = fitted_note(model)
    return gr.update(value=default_layers_text(model)), " ".join(part for part in (time_estimate(model), note) if part)


def parse_layers(text: str | None) -> list[int] | None:
    """"" -> None (all layers); "0, 2, 5" -> [0, 2, 5]."""
    if not text or not text.strip():
        return None
    try:
        return [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError as err:
        raise UserInputError("Write the layers to record as numbers separated by commas, e.g. 0, 3, 5.") from err


def _views(view: AttentionView, result, layer, head, frame, y, x, shown) -> dict:
    pictures = query_views(result, layer=layer, head=None if head in (None, "mean") else int(head), frame=frame, y=y,
                        x=x, shown=shown)
    return {view.picker: pictures.picker, view.query: pictures.query, view.rollout: pictures.rollout,
            view.side: pictures.compare, view.layer_text: pictures.layer_text, view.cls: pictures.cls}


def index_slider(count: int, value: int = 0):
    """A slider update choosing one of `count` >= 1 items (0 .. count - 1) that Gradio always accepts.

    Gradio refuses a slider whose minimum is not below its maximum, so one item (one recorded layer, a one-frame
    clip) gets the range 0..1, value 0, and the slider is disabled; the handlers clamp what it sends."""
    if count <= 1:
        return gr.update(minimum=0, maximum=1, value=0, interactive=False)
    return gr.update(minimum=0, maximum=count - 1, value=min(int(value), count - 1), interactive=True)


@gpu(duration_s=120)  # VideoMAE-B recording all 12 layers is the slowest run (66 s on 2 CPU cores)
def compute(video: str, model: str, compare: bool, layers: list[int] | None, parts: str, window_start: float | None):
    """The model run (a ZeroGPU call on a ZeroGPU Space): plain values in, the picklable AttentionResult out."""
    return run_attention(video, model=model, compare=compare, layers=layers, parts=parts, window_start=window_start)


@stoppable
@video_handler
def record(video: str, model_name: str, compare_value: bool, layers_text: str, parts_value: str = "both",
           start_value: float | None = None, progress: gr.Progress = gr.Progress(), *, view: AttentionView) -> dict:
    """Attention tab (STPT, ECCV 2022; VideoMAE, TimeSformer): run a video transformer on a video, record its
    attention maps per layer and head, and detect actions over time (api_name="attention").

    Args:
        video: the video file to analyse (MP4 H.264 works best).
        model_name: "stpt-tiny-toy" (bundled, local windows), "videomae-base-k400", "timesformer-base-k400",
            "dinov2-small" (8 frames, each on its own) or "vjepa2-vitl-ssv2" (hub; V-JEPA 2 only with a GPU).
        compare_value: also run STPT's all-global twin, to show local vs global attention on one colour scale.
        layers_text: the blocks to record, numbers separated by commas (e.g. "0, 5, 11"); empty records every block
            (V-JEPA 2: blocks 0, 8, 16, 23 of its 24).
        parts_value: TimeSformer's divided attention: "both", "time" or "space" maps per block.
        start_value: where VideoMAE's / TimeSformer's / V-JEPA 2's one window starts, in seconds; empty = the middle.
    Returns:
        a summary, the cost table (tokens, FLOPs, attention memory), the detection timeline, per-layer attention
        distance and entropy, and the query views (where a query patch attends, space-time rollout, local vs global).
    """
    layers = parse_layers(layers_text)
    progress(0.05, desc="decoding the clip, running the model and recording its attention maps")
    start = None if start_value in (None, "") else float(start_value)
    result = compute(video, model_name, bool(compare_value), layers, parts_value or "both", start)
    progress(0.8, desc="drawing the query views, rollout, timeline and layer statistics")
    window = result.window
    start_update = gr.update() if window is None else gr.update(
        value=round(window.start, 2), interactive=not window.covers_video)  # no maximum: the next video may be longer
    count = len(result.frames)
    middle = (count - 1) // 2
    heads = ["mean"] + [str(h) for h in range(max(layer.num_heads for layer in result.main.layers))]
    info = {"settings": {"model": model_name, "compare": bool(compare_value), "layers": layers,
                         "parts": parts_value or "both", "window_start": start}, "clip": video}
    return {view.state: keep(result, "Attention"), view.info: info, view.text: summary(result),
            view.costs: cost_table(result),
            view.timeline: plot_timeline(result), view.stats: plot_layer_stats(result),
            **_views(view, result, 0, "mean", middle, START_QUERY, START_QUERY, middle),
            view.layer: index_slider(len(result.main.layers), 0),
            view.head: gr.update(choices=heads, value="mean"), view.frame: index_slider(count, middle),
            view.shown: index_slider(count, middle), view.window_start: start_update}


@friendly_errors
def redraw(handle, layer, head, frame, y, x, shown, *, view: AttentionView) -> dict:
    """Handler: a query control changed -> the query views from the stored result (no model runs); a dropped
    result (memory cap or TTL) -> the caption asks to run again."""
    result = stored(handle)
    if result is None:
        return gr.skip() if lost(handle) is None else {view.layer_text: lost(handle)}
    return _views(view, result, layer, head, frame, y, x, shown)


def pick(handle, evt: gr.SelectData):
    """Handler: a click on the picker frame -> the query (y, x) in display pixels."""
    if handle is None or evt is None or evt.index is None:
        return gr.update(), gr.update()
    px, py = evt.index[0], evt.index[1]
    return int(py), int(px)



@friendly_errors
def download(handle, info, progress=gr.Progress()):
    """Handler (api_name="attention_download"): the stored result -> attention.zip (views as PNG, recorded maps
    as NPZ, manifest.json); nothing is recomputed. A generator: the folder goes once Gradio has copied the zip."""
    result = stored(handle)
    if result is None:
        raise UserInputError("Record attention first, then download.")
    progress(0.2, desc="writing the views and the recorded maps into one zip")
    with tempfile.TemporaryDirectory(prefix="attention-export-") as folder:
        yield str(export_attention(result, folder, **(info or {})))


def build_tab(video: gr.Video) -> None:
    gr.Markdown(INTRO)
    state, info = result_state(), gr.State(None)
    with gr.Row():
        offered = offered_models(MODEL_CHOICES)
        missing = [gpu_sentence(name) for name in MODEL_CHOICES if name not in offered]
        model = gr.Dropdown(list(offered), value=STPT_MODEL, label="Model",
                            info=" ".join(missing) or "V-JEPA 2 runs here on the GPU.")
        compare = gr.Checkbox(value=True, label="Also run STPT's all-global twin (local vs global)")
        layers = gr.Textbox(value="", label="Layers (blocks) to record (empty = all; e.g. 0, 5, 11)",
                            info="Only these are recorded, as fp16; too many for memory is refused. V-JEPA 2 (134 MB "
                                 "a block): empty = blocks 0, 8, 16, 23.")
        parts = gr.Radio(list(PARTS), value="both", label="Divided attention (TimeSformer): maps per block",
                         info="Each TimeSformer block attends over time, then over space.")
        window_start = gr.Number(value=None, minimum=0, label="Window start (s): VideoMAE / TimeSformer / V-JEPA 2",
                                 info="They see one clip as trained (VideoMAE 16 frames ~2 s, TimeSformer 8 x 32 "
                                      "~7.5 s, V-JEPA 2 16 x 4 at 12 fps ~5 s); empty = the middle of the video.")
    register("Attention", model=model, compare=compare, parts=parts)
    real_video_switch(video, model, AdviceView(real_video_advice, PRETRAINED_MODEL), "attention")
    estimate = gr.Markdown(elem_id="attention-estimate")
    model.change(model_defaults, inputs=model, outputs=[layers, estimate], api_visibility="private")
    with gr.Row():
        run_button = gr.Button("Record attention", variant="primary", elem_id="attention-run")
        stop = stop_button("attention-stop")
    text = gr.Markdown(elem_id="attention-summary")
    costs = gr.Dataframe(headers=COST_HEADERS, interactive=False,
                         label=f"Cost on this clip (torch counts a multiply-add as 2 FLOPs; {MACS_NOTE})")
    timeline = gr.Plot(label="Detections (bars, opacity = score) vs ground truth")
    with gr.Row():
        layer = gr.Slider(0, 5, value=0, step=1, label="Recorded map, in order (the line below names its block)")
        head = gr.Dropdown(["mean"], value="mean", label="Head (mean, or one head where the layer has it)")
        frame = gr.Slider(0, 63, value=0, step=1, label="Query frame")
        y = gr.Slider(0, 191, value=START_QUERY, step=1, label="Query y (px)")
        x = gr.Slider(0, 191, value=START_QUERY, step=1, label="Query x (px)")
    layer_text = gr.Markdown()
    with gr.Row():
        picker = gr.Image(label="Click to pick the query patch", format="png", interactive=False, height=240,
                          elem_id="attention-picker")
        stats = gr.Plot(label="Per layer: how far attention reaches and how spread it is")
    cls = gr.Image(label="CLS token's attention on the query frame, per head (DINOv2; TimeSformer's space maps)",
                   format="png", interactive=False, elem_id="attention-cls")
    query = gr.Image(label="Where the query attends (cyan: query token; white: its local window)", format="png",
                     interactive=False, elem_id="attention-query")
    rollout = gr.Image(label="Space-time rollout: what the last layer's token at the query draws on",
                       format="png", interactive=False)
    shown = gr.Slider(0, 63, value=0, step=1, label="Frame shown (local | global, one colour scale)")
    side = gr.Image(label="Local (left) vs global twin (right), same query", format="png", interactive=False,
                    elem_id="attention-compare")
    with gr.Row():
        download_button = gr.Button("Download (zip)", scale=0,
                                    elem_id="attention-download")
        bundle = gr.File(label="Download", elem_id="attention-bundle")
    view = AttentionView(state=state, info=info, text=text, costs=costs, timeline=timeline, stats=stats, picker=picker,
                         cls=cls, query=query, rollout=rollout, side=side, layer_text=layer_text, layer=layer,
                         head=head, frame=frame, shown=shown, window_start=window_start)

    view_inputs = [state, layer, head, frame, y, x, shown]
    on_view = bind(redraw, view)
    event = run_button.click(bind(record, view), inputs=[video, model, compare, layers, parts, window_start],
                             outputs=view.record_outputs, api_name="attention")
    cancel_on(stop, event)
    download_button.click(download, inputs=[state, info], outputs=bundle, api_name="attention_download",
                          api_visibility="undocumented")
    for control in (layer, frame, y, x, shown):  # sliders redraw on release, not on every step of a drag
        control.release(on_view, inputs=view_inputs, outputs=view.view_outputs, api_visibility="private")
    head.change(on_view, inputs=view_inputs, outputs=view.view_outputs, api_name="attention_view",
                api_visibility="undocumented")  # clients (tests) redraw from their session's stored result
    picker.select(pick, inputs=[state], outputs=[y, x], api_visibility="private").then(
        on_view, inputs=view_inputs, outputs=view.view_outputs, api_visibility="private")
