"""Long-range tab: ViS4mer's S4 decoder vs self-attention on long videos (kernels, stages, cost curves)."""
from __future__ import annotations

import gradio as gr

from demos.common import NO_VIDEO, friendly_errors
from lib.methods.long_range.task import (
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
    values = [part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()]
    try:
        return [int(v) for v in values] or None
    except ValueError as err:
        raise gr.Error("Channels must be whole numbers separated by commas, e.g. 0, 5, 17.") from err


def build_tab(video: gr.Video) -> None:
    gr.Markdown(INTRO)
    state = gr.State()
    with gr.Row():
        source = gr.Radio(list(SOURCES), value=SOURCES[0], label="Video to read")
        seed = gr.Number(900_000, precision=0, label="Toy video seed (900000+ were never seen in training)")
        num_frames = gr.Slider(256, 8192, value=1024, step=64, label="Toy video length (frames at 25 fps)")
        budget = gr.Slider(64, 8192, value=1024, step=64, label="Memory budget for attention (MB)")
    run_button = gr.Button("Read the video with both decoders", variant="primary")
    summary = gr.Markdown()
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

    gr.Markdown("### Cost curves, measured now on this machine\nOne S4D layer vs one attention layer of the "
                "same width as the sequence grows. Attention memory is predicted from L before each run; "
                "lengths over the budget are not run.")
    with gr.Row():
        longest = gr.Slider(1024, 32768, value=8192, step=1024, label="Longest sequence (tokens)")
        width = gr.Dropdown([32, 64, 128], value=64, label="Width (channels)")
        heads = gr.Dropdown([1, 2, 4], value=1, label="Attention heads")
        backward = gr.Checkbox(value=True, label="Include the backward pass (training)")
    cost_button = gr.Button("Measure cost curves")
    cost_plot = gr.Plot(label="Time and peak memory")
    cost_note = gr.Markdown()

    @friendly_errors
    def read_video(path, source_name, seed_value, frames_value, budget_mb, progress=gr.Progress()):
        if source_name == SOURCES[1] and not path:
            raise gr.Error(NO_VIDEO)
        result = run_long_range(path if source_name == SOURCES[1] else None, seed=int(seed_value or 0),
                                num_frames=int(frames_value), budget_mb=float(budget_mb),
                                progress=lambda f, m: progress(f, desc=m))
        last = int(result.frame_indices[-2])
        middle = int(result.frame_indices[len(result.frame_indices) // 2])
        return (result, result.summary(), render_filmstrip(result), render_prediction(result),
                render_attention_vs_kernels(result, query_frame=middle), render_receptive_fields(result),
                render_stages(result), stage_rows(result), gr.update(maximum=last, value=middle))

    @friendly_errors
    def redraw_kernels(result, query_frame, channel_text):
        if result is None:
            return gr.update()
        return render_attention_vs_kernels(result, channels=_parse_channels(channel_text),
                                           query_frame=int(query_frame))

    @friendly_errors
    def measure(longest_value, width_value, heads_value, backward_value, budget_mb, progress=gr.Progress()):
        curves = run_cost_curves(longest=int(longest_value), dim=int(width_value), heads=int(heads_value),
                                 budget_mb=float(budget_mb), backward=bool(backward_value),
                                 progress=lambda f, m: progress(f, desc=m))
        ran = curves.attention_ran
        last = int(curves.lengths[ran][-1]) if ran.any() else 0
        note = (f"Largest length whose predicted attention memory fits {curves.budget_mb:,.0f} MB: "
                f"**{curves.attention_limit:,} tokens**. At L = {last:,} (the longest both ran), attention took "
                f"{curves.attn_seconds[ran][-1] / curves.s4_seconds[ran][-1]:.1f}x the time and "
                f"{curves.attn_peak_mb[ran][-1] / curves.s4_peak_mb[ran][-1]:.1f}x the peak memory of S4."
                if ran.any() else "Attention did not fit the budget at any length.")
        return render_cost_curves(curves), note

    run_button.click(read_video, inputs=[video, source, seed, num_frames, budget],
                     outputs=[state, summary, strip, prediction_plot, kernels_plot, receptive_plot, stages_plot,
                              stages_table, query], api_name="longrange")
    query.release(redraw_kernels, inputs=[state, query, channels], outputs=kernels_plot,
                  api_visibility="private")
    channels.submit(redraw_kernels, inputs=[state, query, channels], outputs=kernels_plot,
                    api_visibility="private")
    cost_button.click(measure, inputs=[longest, width, heads, backward, budget], outputs=[cost_plot, cost_note],
                      api_name="longrange_costs")
