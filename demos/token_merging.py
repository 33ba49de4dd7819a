"""Token merging tab (LongVLM + ToMe): where every token of a long video's merged sequence came from."""
from __future__ import annotations

import gradio as gr

from demos.common import NO_VIDEO, friendly_errors
from lib.methods.token_merging.encoder import render_tome_groups, run_tome_encoder
from lib.methods.token_merging.render import (
    budget_rows,
    render_budget,
    render_groups,
    render_merge_steps,
    render_similarity,
    render_sources,
    render_timeline,
)
from lib.methods.token_merging.task import DEFAULT_MODEL, TokenMergingResult, encoder_choices, run_token_merging

INTRO = """### LongVLM: a long video as a few hundred tokens
LongVLM samples frames, encodes each into patch tokens, cuts the video into segments, merges each
segment's tokens step by step with ToMe's bipartite soft matching (pairs of most similar tokens are
averaged, at most half per step), keeps the segments in time order and prepends a few global tokens.
Pick a token to see the patches it was made from; move the step slider to watch the groups form."""


def _views(result: TokenMergingResult, segment: int, token: int, step: int):
    return (render_timeline(result, segment, token), render_sources(result, segment, token),
            render_groups(result, segment, step), render_merge_steps(result, segment, step))


@friendly_errors
def merge(video: str | None, model: str, num_frames: float, num_segments: float, tokens_per_segment: float,
          num_global: float, metric: str, progress=gr.Progress()):
    """Main action: video + settings -> cached result and every view (segment 1, token 0, last step)."""
    if not video:
        raise gr.Error(NO_VIDEO)
    result = run_token_merging(video, model=model or DEFAULT_MODEL, num_frames=int(num_frames),
                               num_segments=int(num_segments), tokens_per_segment=int(tokens_per_segment),
                               num_global=int(num_global), metric=metric,
                               progress=lambda fraction, message: progress(fraction, desc=message))
    last_step = len(result.segments[0].counts) - 1
    timeline, sources, groups, steps = _views(result, 0, 0, last_step)
    return (result, result.summary(), timeline, sources, groups, steps, render_budget(result), budget_rows(result),
            render_similarity(result),
            gr.update(maximum=result.num_segments, value=1),
            gr.update(maximum=result.segments[0].num_tokens - 1, value=0),
            gr.update(maximum=last_step, value=last_step))


def pick_token(result: TokenMergingResult | None, segment: float, token: float):
    """Segment/token pickers -> timeline with the token outlined and its source patches (from the cache)."""
    if result is None:
        return gr.update(), gr.update()
    return render_timeline(result, int(segment) - 1, int(token)), render_sources(result, int(segment) - 1, int(token))


def pick_step(result: TokenMergingResult | None, segment: float, step: float):
    """Segment/step pickers -> group picture and the tokens-per-step chart (from the cache)."""
    if result is None:
        return gr.update(), gr.update()
    return render_groups(result, int(segment) - 1, int(step)), render_merge_steps(result, int(segment) - 1, int(step))


@friendly_errors
def tome_encoder(video: str | None, r: float):
    """ToMe inside the bundled encoder on 8 frames: summary and group pictures."""
    if not video:
        raise gr.Error(NO_VIDEO)
    result = run_tome_encoder(video, r=int(r))
    return result.summary(), render_tome_groups(result)


def build_tab(video: gr.Video) -> None:
    """Components and events of the tab; `video` is the app's shared video chooser."""
    gr.Markdown(INTRO)
    with gr.Row():
        model = gr.Dropdown(encoder_choices(), value=DEFAULT_MODEL, label="frame encoder",
                            info="bundled toy-world ViT, or CLIP vision towers (downloaded once)")
        metric = gr.Radio(["pseudo_heads", "keys"], value="pseudo_heads", label="similarity metric",
                          info="LongVLM: features averaged over 16 pseudo-heads; ToMe: last-layer attention keys")
    with gr.Row():
        num_frames = gr.Slider(2, 200, value=100, step=1, label="frames sampled")
        num_segments = gr.Slider(1, 20, value=10, step=1, label="segments")
        tokens = gr.Slider(1, 200, value=30, step=1, label="tokens per segment")
        num_global = gr.Slider(0, 10, value=5, step=1, label="global tokens")
    run = gr.Button("Merge tokens", variant="primary")
    state = gr.State()
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
        budget_table = gr.Dataframe(headers=["method", "tokens", "x fewer than raw", "how"], interactive=False,
                                    label="budgets")
    similarity = gr.Plot(label="segment similarity")
    with gr.Accordion("ToMe inside the encoder: the throughput side", open=False):
        gr.Markdown("ToMe also merges inside the frame encoder: in every block, between attention and MLP, "
                    "r tokens are merged (keys as the metric, CLS protected) and attention weighs each token "
                    "by its size. Fewer tokens per block = fewer FLOPs. Runs the bundled encoder on 8 frames.")
        with gr.Row():
            tome_r = gr.Slider(0, 36, value=20, step=1, label="r: tokens merged per block")
            tome_run = gr.Button("Run ToMe in the encoder")
        tome_summary = gr.Markdown()
        tome_groups = gr.Image(label="groups after the last block (prediction without / with ToMe)",
                               interactive=False, format="png")
    tome_run.click(tome_encoder, inputs=[video, tome_r], outputs=[tome_summary, tome_groups],
                   api_name="tome_encoder")
    run.click(merge, inputs=[video, model, num_frames, num_segments, tokens, num_global, metric],
              outputs=[state, summary, timeline, sources, groups, steps_chart, budget, budget_table, similarity,
                       segment, token, step], api_name="merge")
    for picker in (segment, token):
        picker.release(pick_token, inputs=[state, segment, token], outputs=[timeline, sources],
                       api_visibility="private")
    for picker in (segment, step):
        picker.release(pick_step, inputs=[state, segment, step], outputs=[groups, steps_chart],
                       api_visibility="private")
