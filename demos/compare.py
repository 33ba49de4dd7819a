"""Compare tab: two models or two settings on the same clip, side by side, one shared frame slider."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass

import gradio as gr

from demos.common import bind, friendly_errors, keep, result_state, stored, video_handler
from demos.gpu import ProgressRelay, gpu
from demos.stop import cancel_on, stop_button, stoppable
from lib.errors import UserInputError
from lib.methods.compare import (
    COMPARISONS,
    Setting,
    compare_rows,
    export_compare,
    get_comparison,
    real_video_notice,
    render_compare,
    run_compare,
    summary,
)

INTRO = """### Compare: two models or two settings on the same clip
Pick a comparison, set A and B, and run both on the chosen clip. One frame slider drives both views
(moving it redraws from the stored results; no model runs again), and the table holds what was measured
on this clip for each side. Download both sides (pictures, arrays, numbers, a manifest) as one zip."""

DEFAULT = "mask-propagation"
TABLE_HEADERS = ["quantity", "A", "B"]


@dataclass(frozen=True)
class CompareView:
    """The components the main action fills, in the order of its outputs (the API's return order)."""

    state: gr.State
    info: gr.State
    text: gr.Markdown
    image_a: gr.Image
    image_b: gr.Image
    frame: gr.Slider
    caption: gr.Markdown
    table: gr.Dataframe

    def outputs(self) -> list:
        return [getattr(self, name) for name in self.__dataclass_fields__]


def _controls(key: str, which: str):
    """(variant dropdown, number slider) updates for side `which` ("A"/"B") of comparison `key`."""
    spec = get_comparison(key)
    setting = spec.default_a if which == "A" else spec.default_b
    variant = gr.update(choices=[(label, value) for value, label in spec.variants], value=setting.variant,
                        label=f"{which}: {spec.variant_label}")
    low, high = spec.number_range
    number = gr.update(visible=spec.number_label is not None, minimum=low, maximum=max(high, low + 1),
                       value=setting.number if setting.number is not None else low,
                       label=f"{which}: {spec.number_label or 'unused'}")
    return variant, number


@friendly_errors
def choose_comparison(key: str):
    """Handler: comparison menu -> its description and both sides' controls at their defaults."""
    spec = get_comparison(key)
    return (f"_{spec.description}_", *_controls(key, "A"), *_controls(key, "B"))


@gpu(duration_s=60)  # two runs of the tab's bundled models on one clip
def compute(path: str, key: str, a: Setting, b: Setting, progress: gr.Progress):
    """The model runs (a ZeroGPU call on a ZeroGPU Space): plain values in, the picklable CompareResult out."""
    return run_compare(path, key, a, b, progress=ProgressRelay(progress))


@stoppable
@video_handler
def compare(path: str, key: str, variant_a: str, number_a: float | None, variant_b: str, number_b: float | None,
            progress: gr.Progress = gr.Progress(), *, view: CompareView) -> dict:
    """Compare tab: run two models or two settings of one method on the same video, side by side with a shared
    frame, and measure both (api_name="compare").

    Args:
        path: the video file to compare on (MP4 H.264 works best).
        key: the comparison: "mask-propagation", "tubes", "attention", "token-merging", "merge-encoders",
            "attention-video-models" or "propagation-engines".
        variant_a: side A's variant: a flow method (mpvss, dis, none), a model (e.g. tubevit-tiny-toy) or a metric.
        number_a: side A's number: key-frame interval k, attention layer, or target tokens per segment (tubes: none).
        variant_b: side B's variant, from the same choices as variant_a.
        number_b: side B's number, with the same meaning as number_a.
    Returns:
        a summary, both sides' pictures at the middle frame, and a table of the numbers measured on each side
        (accuracy, tokens, FLOPs, time).
    """
    result = compute(path, key, Setting(variant_a, number_a), Setting(variant_b, number_b), progress)
    start = result.num_frames // 2
    image_a, image_b, caption = render_compare(result, start)
    return {view.state: keep(result, "Compare"), view.info: {"clip": path}, view.text: summary(result),
            view.image_a: gr.Image(value=image_a, label=f"A: {result.a.label}"),
            view.image_b: gr.Image(value=image_b, label=f"B: {result.b.label}"),
            view.frame: gr.Slider(minimum=0, maximum=result.num_frames - 1, value=start, step=1, interactive=True),
            view.caption: caption, view.table: compare_rows(result)}


@friendly_errors
def show_frame(handle, t):
    """Handler: shared frame slider -> both views from the stored result (no model runs)."""
    result = stored(handle)
    if result is None:
        return gr.update(), gr.update(), gr.update()
    t = min(max(int(t), 0), result.num_frames - 1)
    return render_compare(result, t)


@friendly_errors
def download(handle, info, progress=gr.Progress()):
    """Handler (api_name="compare_download"): the stored comparison -> compare.zip (A and B: pictures, arrays;
    the numbers of both and the comparison in manifest.json); nothing re-runs. The folder goes once copied."""
    result = stored(handle)
    if result is None:
        raise UserInputError("Run A and B first, then download.")
    progress(0.2, desc="writing both sides into one zip")
    with tempfile.TemporaryDirectory(prefix="compare-export-") as folder:
        yield str(export_compare(result, folder, **(info or {})))


def show_notice(video, key: str, variant_a: str, number_a, variant_b: str, number_b):
    """Handler: clip, comparison or a side's model changed -> the real-video line when a toy model runs on it."""
    line = real_video_notice(video, key, Setting(variant_a, number_a), Setting(variant_b, number_b))
    return gr.update(value=line or "", visible=line is not None)


def build_tab(video: gr.Video) -> None:
    gr.Markdown(INTRO)
    state, info = result_state(), gr.State(None)
    spec = COMPARISONS[DEFAULT]
    kind = gr.Dropdown([(s.title, s.key) for s in COMPARISONS.values()], value=DEFAULT, label="Comparison",
                       elem_id="compare-kind")
    description = gr.Markdown(f"_{spec.description}_", elem_id="compare-description")
    notice = gr.Markdown(visible=False, elem_id="compare-real-notice")
    sides = []
    with gr.Row():
        for which, setting in (("A", spec.default_a), ("B", spec.default_b)):
            with gr.Column(variant="panel"):
                variant = gr.Dropdown([(label, value) for value, label in spec.variants], value=setting.variant,
                                      label=f"{which}: {spec.variant_label}",
                                      elem_id=f"compare-variant-{which.lower()}",
                                      allow_custom_value=True)  # choices follow the comparison; lib checks values
                # The widest range of any comparison, so API calls for any of them pass Gradio's own bounds check;
                # the menu narrows it in the browser and lib checks every value with a sentence.
                number = gr.Slider(min(s.number_range[0] for s in COMPARISONS.values()),
                                   max(s.number_range[1] for s in COMPARISONS.values()), value=setting.number, step=1,
                                   label=f"{which}: {spec.number_label}", elem_id=f"compare-number-{which.lower()}")
                sides += [variant, number]
    with gr.Row():
        run_button = gr.Button("Run A and B on the clip", variant="primary", elem_id="compare-run")
        stop = stop_button("compare-stop")
    text = gr.Markdown(elem_id="compare-summary")
    with gr.Row(equal_height=True):
        image_a = gr.Image(label="A", format="png", interactive=False, height=380, elem_id="compare-a")
        image_b = gr.Image(label="B", format="png", interactive=False, height=380, elem_id="compare-b")
    frame = gr.Slider(0, 1, value=0, step=1, label="Frame (shared by A and B)", elem_id="compare-frame")
    caption = gr.Markdown(elem_id="compare-caption")
    with gr.Row(equal_height=False):
        table = gr.Dataframe(headers=TABLE_HEADERS, label="Measured on this clip", interactive=False, wrap=True,
                             column_widths=["40%", "30%", "30%"], elem_id="compare-table", scale=4)
        with gr.Column(scale=1, min_width=200):
            download_button = gr.Button("Download A and B (zip)", elem_id="compare-download")
            bundle = gr.File(label="Download", elem_id="compare-bundle")

    kind.change(choose_comparison, inputs=kind, outputs=[description, *sides], api_visibility="private")
    for control in (video, kind, sides[0], sides[2]):  # the clip, the comparison and both sides' models
        control.change(show_notice, inputs=[video, kind, *sides], outputs=notice, api_visibility="private")
    view = CompareView(state, info, text, image_a, image_b, frame, caption, table)
    event = run_button.click(bind(compare, view), inputs=[video, kind, *sides], outputs=view.outputs(),
                             api_name="compare")
    cancel_on(stop, event)
    download_button.click(download, inputs=[state, info], outputs=bundle, api_name="compare_download",
                          api_visibility="undocumented")
    # input, not change: a run sets the slider and draws its frame itself (see demos/mask_propagation.py)
    frame.input(show_frame, inputs=[state, frame], outputs=[image_a, image_b, caption], api_visibility="private",
                show_progress="hidden", trigger_mode="always_last")
