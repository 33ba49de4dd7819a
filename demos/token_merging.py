"""Token merging tab (LongVLM + ToMe): where every token of a long video's merged sequence came from."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass

import gradio as gr

from demos.common import AdviceView, bind, friendly_errors, keep, real_video_switch, result_state, stored, video_handler
from demos.gpu import ProgressRelay, gpu
from demos.stop import cancel_on, stop_button, stoppable
from demos.tab_controls import register
from lib.errors import UserInputError
from lib.methods.token_merging import (
    BUDGET_HEADERS,
    DEFAULT_MODEL,
    DEFAULT_SEGMENTS,
    METRICS,
    PRETRAINED_MODEL,
    budget_rows,
    default_frames,
    default_segments,
    encoder_choices,
    export_token_merging,
    real_video_advice,
    render_budget,
    render_groups,
    render_merge_steps,
    render_similarity,
    render_sources,
    render_timeline,
    render_tome_groups,
    run_token_merging,
    run_tome_encoder,
    time_estimate,
    tome_real_video_notice,
)

INTRO = """### LongVLM: a long video as a few hundred tokens
LongVLM samples frames, encodes each into patch tokens, cuts the video into segments, merges each
segment's tokens step by step with ToMe's bipartite soft matching (pairs of most similar tokens are
averaged, at most half per step), keeps the segments in time order and prepends a few global tokens.
Pick a token to see the patches it was made from; move the step slider to watch the groups form."""


@dataclass(frozen=True)
class MergeView:
    """The tab's output components; the handlers fill them by name (dicts keyed by component)."""

    state: gr.State
    info: gr.State
    tome_state: gr.State
    summary: gr.Markdown
    timeline: gr.Plot
    sources: gr.Image
    groups: gr.Image
    steps_chart: gr.Plot
    budget: gr.Plot
    budget_table: gr.Dataframe
    similarity: gr.Plot
    segment: gr.Slider
    token: gr.Slider
    step: gr.Slider
    tome_summary: gr.Markdown
    tome_groups: gr.Image

    def merge_outputs(self) -> list:
        """What the main action fills, in the API's return order (the State is not returned to clients)."""
        return [self.state, self.info, self.summary, self.timeline, self.sources, self.groups, self.steps_chart,
                self.budget, self.budget_table, self.similarity, self.segment, self.token, self.step]


def frames_for_encoder(model: str):
    """Handler: another frame encoder -> its default frame and segment counts (fewer for big pretrained towers on a
    slow machine) and its time."""
    frames = default_frames(model)
    return gr.update(value=frames), gr.update(value=default_segments(model)), time_estimate(model, frames)


def estimate_time(model: str, num_frames: float) -> str:
    """Handler: encoder or frame count changed -> how long encoding will take here ("" for the bundled one)."""
    return time_estimate(model, int(num_frames))


@gpu(duration_s=120)  # CLIP ViT-L/14 over 200 frames is the slowest run (246 s for 100 frames on 2 CPU cores)
def compute_merge(video: str, model: str, num_frames: int, num_segments: int, tokens_per_segment: int,
                  num_global: int, metric: str, progress: gr.Progress):
    """The model run (a ZeroGPU call on a ZeroGPU Space): plain values in, the picklable TokenMergingResult out."""
    return run_token_merging(video, model=model, num_frames=num_frames, num_segments=num_segments,
                             tokens_per_segment=tokens_per_segment, num_global=num_global, metric=metric,
                             progress=ProgressRelay(progress))


@stoppable
@video_handler
def merge(video: str, model: str, num_frames: float, num_segments: float, tokens_per_segment: float,
          num_global: float, metric: str, progress: gr.Progress = gr.Progress(), *, view: MergeView) -> dict:
    """Token merging tab (LongVLM, ECCV 2024; ToMe, ICLR 2023): encode sampled frames, split the video into
    segments and merge each segment's patch tokens by bipartite matching down to a budget (api_name="merge").

    Args:
        video: the video file to analyse (MP4 H.264 works best).
        model: the frame encoder: "frame-vit-toy" (bundled), or a hub image tower: "clip-vit-b16", "clip-vit-l14"
            (CLIP), "siglip2-base-p16-224" (SigLIP 2, no CLS token: its global tokens are mean patch tokens),
            "dinov2-small" (DINOv2, self-supervised).
        num_frames: frames sampled uniformly from the video, 2 to 200 (100 by default).
        num_segments: segments the video is split into, 1 to 20 (10 by default); tokens merge within a segment.
        tokens_per_segment: tokens each segment keeps after merging, 1 to 200 (30 by default).
        num_global: global tokens (averaged over the whole video) added to the merged ones, 0 to 10 (5 by default).
        metric: the similarity used to match tokens: "pseudo_heads" (LongVLM) or "keys" (ToMe, attention keys).
    Returns:
        a summary (tokens before and after, merge steps, cost), the merged-token timeline, each token's source
        patches, the groups after each merge step, the budget vs pooling and uniform sampling, segment similarity.
    """
    result = compute_merge(video, model or DEFAULT_MODEL, int(num_frames), int(num_segments), int(tokens_per_segment),
                           int(num_global), metric, progress)
    progress(0.95, desc="drawing the timeline, source patches, merge steps and budgets")
    last_step = len(result.segments[0].counts) - 1
    info = {"settings": {"model": model or DEFAULT_MODEL, "num_frames": int(num_frames),
                         "num_segments": int(num_segments), "tokens_per_segment": int(tokens_per_segment),
                         "num_global": int(num_global), "metric": metric}, "clip": video}
    return {view.state: keep(result, "Token merging"), view.info: info, view.summary: result.summary(),
            view.timeline: render_timeline(result, 0, 0), view.sources: render_sources(result, 0, 0),
            view.groups: render_groups(result, 0, last_step),
            view.steps_chart: render_merge_steps(result, 0, last_step),
            view.budget: render_budget(result), view.budget_table: budget_rows(result),
            view.similarity: render_similarity(result),
            view.segment: gr.update(maximum=result.num_segments, value=1),
            view.token: gr.update(maximum=result.segments[0].num_tokens - 1, value=0),
            view.step: gr.update(maximum=last_step, value=last_step)}


def pick_token(handle, segment: float, token: float, *, view: MergeView) -> dict:
    """Segment/token pickers -> timeline with the token outlined and its source patches (from the cache)."""
    result = stored(handle)
    if result is None:
        return {view.timeline: gr.update(), view.sources: gr.update()}
    return {view.timeline: render_timeline(result, int(segment) - 1, int(token)),
            view.sources: render_sources(result, int(segment) - 1, int(token))}


def pick_step(handle, segment: float, step: float, *, view: MergeView) -> dict:
    """Segment/step pickers -> group picture and the tokens-per-step chart (from the cache)."""
    result = stored(handle)
    if result is None:
        return {view.groups: gr.update(), view.steps_chart: gr.update()}
    return {view.groups: render_groups(result, int(segment) - 1, int(step)),
            view.steps_chart: render_merge_steps(result, int(segment) - 1, int(step))}


@gpu(duration_s=30)  # the bundled encoder on 8 frames, three repeats timed with and without ToMe
def compute_tome(video: str, r: int):
    """The model run (a ZeroGPU call on a ZeroGPU Space): plain values in, the picklable ToMeEncoderResult out."""
    return run_tome_encoder(video, r=r)


@stoppable
@video_handler
def tome_encoder(video: str, r: float, progress: gr.Progress = gr.Progress(), *, view: MergeView) -> dict:
    """Token merging tab, ToMe inside the encoder (ICLR 2023): run the bundled frame encoder on 8 frames without
    and with r tokens merged in every block, and time both (api_name="tome_encoder").

    Args:
        video: the video file to analyse (MP4 H.264 works best).
        r: tokens merged per block (between attention and MLP), 0 to 36 (20 by default).
    Returns:
        a summary (tokens per block, FLOPs and time without and with ToMe, both predictions) and a picture of the
        token groups after the last block.
    """
    progress(0.1, desc="running the encoder on 8 frames without and with ToMe")
    result = compute_tome(video, int(r))
    progress(0.9, desc="drawing the groups")
    caveat = tome_real_video_notice(video)
    text = result.summary() if caveat is None else f"{caveat}\n\n{result.summary()}"
    return {view.tome_state: result, view.tome_summary: text, view.tome_groups: render_tome_groups(result)}


@friendly_errors
def download(handle, info, tome, progress=gr.Progress()):
    """Handler (api_name="merge_download"): the stored result -> token_merging.zip (pictures, figures, arrays,
    manifest.json; ToMe's when it was run); nothing is recomputed. The folder goes once Gradio copied the zip."""
    result = stored(handle)
    if result is None:
        raise UserInputError("Merge tokens first, then download.")
    progress(0.2, desc="writing pictures, figures and arrays into one zip")
    with tempfile.TemporaryDirectory(prefix="merge-export-") as folder:
        yield str(export_token_merging(result, folder, tome=tome, **(info or {})))



def build_tab(video: gr.Video) -> None:
    """Components and events of the tab; `video` is the app's shared video chooser."""
    gr.Markdown(INTRO)
    with gr.Row():
        model = gr.Dropdown(encoder_choices(), value=DEFAULT_MODEL, label="frame encoder",
                            info="bundled toy-world ViT, or CLIP / SigLIP 2 / DINOv2 image towers (downloaded once)")
        metric = gr.Radio(list(METRICS), value="pseudo_heads", label="similarity metric",
                          info="LongVLM: features averaged over 16 pseudo-heads; ToMe: last-layer attention keys")
    real_video_switch(video, model, AdviceView(real_video_advice, PRETRAINED_MODEL), "merge")
    with gr.Row():
        num_frames = gr.Slider(2, 200, value=100, step=1, label="frames sampled", elem_id="merge-frames")
        num_segments = gr.Slider(1, 20, value=DEFAULT_SEGMENTS, step=1, label="segments")
        tokens = gr.Slider(1, 200, value=30, step=1, label="tokens per segment")
        num_global = gr.Slider(0, 10, value=5, step=1, label="global tokens")
    estimate = gr.Markdown(elem_id="merge-estimate")
    with gr.Row():
        run = gr.Button("Merge tokens", variant="primary", elem_id="merge-run")
        stop = stop_button("merge-stop")
    state, info, tome_state = result_state(), gr.State(None), gr.State(None)
    summary = gr.Markdown()
    timeline = gr.Plot(label="merged-token timeline", elem_id="merge-timeline")
    with gr.Row():
        segment = gr.Slider(1, 10, value=1, step=1, label="segment")
        token = gr.Slider(0, 29, value=0, step=1, label="token in segment")
    sources = gr.Image(label="source patches of the picked token", interactive=False, format="png")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            step = gr.Slider(0, 7, value=7, step=1, label="merge step (0 = every patch its own token)")
            groups = gr.Image(label="groups after this step (ToMe view: mean colour, outline per token)",
                              interactive=False, format="png")
        with gr.Column(scale=2):
            steps_chart = gr.Plot(label="tokens per step")
    with gr.Row(equal_height=False):
        budget = gr.Plot(label="token budget")
        budget_table = gr.Dataframe(headers=list(BUDGET_HEADERS), interactive=False,
                                    label="budgets")
    similarity = gr.Plot(label="segment similarity")
    with gr.Accordion("ToMe inside the encoder: the throughput side", open=False):
        gr.Markdown("ToMe also merges inside the frame encoder: in every block, between attention and MLP, "
                    "r tokens are merged (keys as the metric, CLS protected) and attention weighs each token "
                    "by its size. Fewer tokens per block = fewer FLOPs. Runs the bundled encoder on 8 frames.")
        with gr.Row():
            tome_r = gr.Slider(0, 36, value=20, step=1, label="r: tokens merged per block")
            tome_run = gr.Button("Run ToMe in the encoder", elem_id="merge-tome-run")
            tome_stop = stop_button("merge-tome-stop")
        tome_summary = gr.Markdown()
        tome_groups = gr.Image(label="groups after the last block (prediction without / with ToMe)",
                               interactive=False, format="png")
    with gr.Row():
        download_button = gr.Button("Download (zip)", scale=0,
                                    elem_id="merge-download")
        bundle = gr.File(label="Download", elem_id="merge-bundle")
    view = MergeView(state, info, tome_state, summary, timeline, sources, groups, steps_chart, budget, budget_table,
                     similarity, segment, token, step, tome_summary, tome_groups)
    register("Token merging", model=model, num_frames=num_frames, num_segments=num_segments,
             tokens_per_segment=tokens, num_global=num_global, metric=metric)
    tome_event = tome_run.click(bind(tome_encoder, view), inputs=[video, tome_r],
                                outputs=[tome_state, tome_summary, tome_groups], api_name="tome_encoder")
    event = run.click(bind(merge, view), inputs=[video, model, num_frames, num_segments, tokens, num_global, metric],
                      outputs=view.merge_outputs(), api_name="merge")
    cancel_on(stop, event)
    cancel_on(tome_stop, tome_event)
    model.change(frames_for_encoder, inputs=model, outputs=[num_frames, num_segments, estimate],
                 api_visibility="private")
    num_frames.release(estimate_time, inputs=[model, num_frames], outputs=estimate, api_visibility="private")
    download_button.click(download, inputs=[state, info, tome_state], outputs=bundle, api_name="merge_download",
                          api_visibility="undocumented")
    for picker in (segment, token):
        picker.release(bind(pick_token, view), inputs=[state, segment, token], outputs=[timeline, sources],
                       api_visibility="private")
    for picker in (segment, step):
        picker.release(bind(pick_step, view), inputs=[state, segment, step], outputs=[groups, steps_chart],
                       api_visibility="private")
