"""Figures of the long-range tab (plotly) and its filmstrip (uint8), shared by the Gradio tab and the notebook."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lib.methods.long_range.result import LongRangeResult
from lib.viz import filmstrip, hex_colour

if TYPE_CHECKING:  # cost_curves runs the layers; render only reads the numbers
    from lib.methods.long_range.cost_curves import CostCurves

S4_COLOUR, ATTENTION_COLOUR, TRUTH_COLOUR = "#1f77b4", "#d62728", "rgba(44, 160, 44, 0.18)"


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    """Common look; the legend goes under the plot so it never covers subplot titles."""
    fig.update_layout(title=title, height=height + 60, margin=dict(l=60, r=20, t=70, b=130),
                      template="plotly_white",
                      legend=dict(orientation="h", yanchor="top", y=-0.16, xanchor="left", x=0))
    return fig


def _reference_line(fig: go.Figure, x: list, y: list, name: str, colour: str, **where) -> None:
    """A dashed line drawn as a trace (shapes' annotations misplace on log axes), named in the legend."""
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name, line=dict(color=colour, dash="dash", width=1.5),
                             hoverinfo="name"), **where)


def render_kernels(kernels: np.ndarray, *, title: str = "S4D kernels K[lag]", channels: list[int] | None = None
                   ) -> go.Figure:
    """Lines of (H, L) kernels (torch or numpy) against the lag in steps, one per channel."""
    kernels = np.asarray(kernels.detach() if hasattr(kernels, "detach") else kernels, dtype=np.float64)
    fig = go.Figure()
    for channel in (channels if channels is not None else range(len(kernels))):
        fig.add_trace(go.Scatter(y=kernels[channel], mode="lines", name=f"channel {channel}"))
    fig.update_xaxes(title_text="lag (steps back)")
    fig.update_yaxes(title_text="K[lag]")
    return _layout(fig, title, 360)


def default_channels(result: LongRangeResult, count: int = 4) -> list[int]:
    """Channels spanning the range of memory lengths: shortest, ..., longest."""
    order = np.argsort(result.kernel_memory, kind="stable")
    return [int(order[i]) for i in np.linspace(0, len(order) - 1, count).round().astype(int)]


def render_attention_vs_kernels(result: LongRangeResult, *, channels: list[int] | None = None,
                                query_frame: int | None = None) -> go.Figure:
    """Top: S4 impulse responses of chosen first-layer channels; bottom: the twin's attention row for the
    token at `query_frame` (a source frame index; default: the middle). Same x axis: seconds relative to
    the query, so the kernel is drawn backwards from 0 (S4 only looks back; attention looks both ways)."""
    channels = default_channels(result) if not channels else [int(c) % len(result.kernels) for c in channels]
    spt = result.seconds_per_token
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12, subplot_titles=(
        "S4 kernels K[lag] (first layer): how strongly the output now depends on the input lag tokens ago",
        "Attention twin (first layer, mean over heads): where the query token looks"))
    lags = np.arange(result.num_tokens)
    for rank, channel in enumerate(channels):
        kernel = result.kernels[channel]
        scale = np.abs(kernel).max() or 1.0
        memory = result.kernel_memory[channel] * spt
        fig.add_trace(go.Scatter(x=-lags * spt, y=kernel / scale, mode="lines", line=dict(width=1.5),
                                 name=f"channel {channel} (90% within {memory:.1f} s)"), row=1, col=1)
    query_frame = int(result.frame_indices[len(result.frame_indices) // 2]) if query_frame is None else query_frame
    pair = int(np.clip(np.searchsorted(result.frame_indices, query_frame, side="right") - 1, 0,
                       result.num_tokens // result.tokens_per_frame - 1))
    query = pair * result.tokens_per_frame
    row = result.attention[query].astype(np.float64)
    fig.add_trace(go.Scatter(x=(lags - query) * spt, y=row, mode="lines", line=dict(color=ATTENTION_COLOUR, width=1),
                             fill="tozeroy", name=f"attention row of the token at frame {result.frame_indices[pair]}"
                             f" (90% within ±{result.attention_span[query] * spt:.1f} s)"), row=2, col=1)
    fig.add_vline(x=0, line=dict(color="grey", dash="dot"))  # linear axes: shapes are safe here
    fig.update_xaxes(title_text="seconds relative to the query token (negative = past)", row=2, col=1)
    fig.update_yaxes(title_text="K / max|K|", row=1, col=1)
    fig.update_yaxes(title_text="attention weight", row=2, col=1)
    return _layout(fig, "What one S4 layer and one attention layer read on this video", 620)


def render_receptive_fields(result: LongRangeResult) -> go.Figure:
    """Effective receptive field: seconds holding 90% of each S4 kernel's mass (all first-layer channels) and
    of each attention row (all queries), sorted, log scale."""
    spt = result.seconds_per_token
    fig = go.Figure()
    for values, name, colour in ((result.kernel_memory * spt, "S4 channels (look back)", S4_COLOUR),
                                 (result.attention_span * spt, "attention queries (look both ways)", ATTENTION_COLOUR)):
        ordered = np.sort(np.maximum(values, spt))
        fig.add_trace(go.Scatter(x=np.linspace(0, 100, len(ordered)), y=ordered, mode="lines", name=name,
                                 line=dict(color=colour, width=2)))
    duration = result.num_tokens * spt
    _reference_line(fig, [0, 100], [duration, duration], f"the whole video ({duration:.0f} s)", "grey")
    fig.update_xaxes(title_text="channels / queries, sorted (%)")
    fig.update_yaxes(title_text="seconds holding 90% of the weight", type="log")
    return _layout(fig, "Effective receptive field of the first layer", 380)


def stage_rows(result: LongRangeResult) -> list[list[str]]:
    """Table rows: stage, tokens, channels, seconds of video per token."""
    rows, duration = [], result.num_tokens * result.seconds_per_token
    for i, (length, channels) in enumerate(result.stage_shapes):
        name = "input (after the linear encoder)" if i == 0 else f"after layer {i} (pool 2, channels / 2)"
        rows.append([name, f"{length:,}", str(channels), f"{duration / max(length, 1):.2f}"])
    return rows


def render_stages(result: LongRangeResult) -> go.Figure:
    """Bars: sequence length per decoder stage (log scale), labelled length x channels."""
    names = [f"stage {i}" if i else "input" for i in range(len(result.stage_shapes))]
    lengths = [length for length, _ in result.stage_shapes]
    labels = [f"{length:,} x {channels}" for length, channels in result.stage_shapes]
    fig = go.Figure(go.Bar(x=names, y=lengths, text=labels, textposition="outside", marker_color=S4_COLOUR))
    fig.update_yaxes(title_text="tokens (log)", type="log", range=[0, np.log10(max(lengths)) + 0.5])
    return _layout(fig, "ViS4mer decoder, stage by stage: tokens x channels", 340)


def render_cost_curves(curves: CostCurves) -> go.Figure:
    """Log-log time and peak memory of one layer vs sequence length; budget line; where attention leaves it."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("time per forward+backward" if curves.backward else
                                                        "time per forward", "peak memory"))
    ran = curves.attention_ran
    for col, s4_values, attn_values, unit in ((1, curves.s4_seconds, curves.attn_seconds, "s"),
                                              (2, curves.s4_peak_mb, curves.attn_peak_mb, "MB")):
        fig.add_trace(go.Scatter(x=curves.lengths, y=s4_values, mode="lines+markers", name="S4D layer",
                                 line=dict(color=S4_COLOUR), showlegend=col == 1), row=1, col=col)
        fig.add_trace(go.Scatter(x=curves.lengths[ran], y=attn_values[ran], mode="lines+markers",
                                 name="attention layer", line=dict(color=ATTENTION_COLOUR),
                                 showlegend=col == 1), row=1, col=col)
    fig.add_trace(go.Scatter(x=curves.lengths, y=curves.attn_predicted_mb, mode="lines", name="attention, predicted",
                             line=dict(color=ATTENTION_COLOUR, dash="dot")), row=1, col=2)
    span = [int(curves.lengths[0]), int(curves.lengths[-1])]
    _reference_line(fig, span, [curves.budget_mb] * 2, f"memory budget {curves.budget_mb:,.0f} MB", "black",
                    row=1, col=2)
    measured = np.concatenate([curves.s4_peak_mb, curves.attn_predicted_mb])
    measured = measured[np.isfinite(measured) & (measured > 0)]
    _reference_line(fig, [curves.attention_limit] * 2, [float(measured.min()), float(measured.max())],
                    f"attention leaves the budget after L = {curves.attention_limit:,}", ATTENTION_COLOUR,
                    row=1, col=2)
    fig.update_xaxes(type="log", title_text="sequence length L (tokens)")
    fig.update_yaxes(type="log", title_text="seconds (best of runs)", row=1, col=1)
    fig.update_yaxes(type="log", title_text="MB", row=1, col=2)
    title = (f"One layer, width {curves.dim}, {curves.heads} head(s), S4 state {curves.state_size}: measured on "
             "this machine")
    return _layout(fig, title, 420)


def cost_summary(curves: CostCurves) -> str:
    """Markdown: the largest length attention fits in the budget, and the ratios at the longest both ran."""
    ran = curves.attention_ran
    if not ran.any():
        return "Attention did not fit the budget at any length."
    last = int(curves.lengths[ran][-1])
    return (f"Largest length whose predicted attention memory fits {curves.budget_mb:,.0f} MB: "
            f"**{curves.attention_limit:,} tokens**. At L = {last:,} (the longest both ran), attention took "
            f"{curves.attn_seconds[ran][-1] / curves.s4_seconds[ran][-1]:.1f}x the time and "
            f"{curves.attn_peak_mb[ran][-1] / curves.s4_peak_mb[ran][-1]:.1f}x the peak memory of S4.")


def render_prediction(result: LongRangeResult) -> go.Figure:
    """Top: class probabilities of both decoders. Bottom: each final position's share of the predicted logit
    over time, with the ground-truth bounces shaded (toy videos) and the frame encoder's bounce guesses."""
    fig = make_subplots(rows=2, cols=1, row_heights=[0.35, 0.65], vertical_spacing=0.18, subplot_titles=(
        "How many bounces? class probabilities", "Which part of the video the answer came from"))
    for run, colour in ((result.s4, S4_COLOUR), (result.attention_run, ATTENTION_COLOUR)):
        fig.add_trace(go.Bar(x=list(result.class_labels), y=run.probs, name=run.name, marker_color=colour),
                      row=1, col=1)
    duration = result.num_tokens * result.seconds_per_token
    start = result.frame_indices[0] / result.fps
    for run, colour in ((result.s4, S4_COLOUR), (result.attention_run, ATTENTION_COLOUR)):
        step = duration / len(run.contributions)
        times = start + (np.arange(len(run.contributions)) + 0.5) * step
        fig.add_trace(go.Scatter(x=times, y=run.contributions, mode="lines", line=dict(color=colour, shape="hvh"),
                                 name=f"{run.name}: share of '{result.class_labels[run.predicted]}'", showlegend=True),
                      row=2, col=1)
    for s, e in result.counted_segments():
        fig.add_vrect(x0=s / result.fps, x1=e / result.fps, fillcolor=TRUTH_COLOUR, line_width=0, row=2, col=1)
    bounce = result.frame_action_names.index("bounce") if "bounce" in result.frame_action_names else None
    if bounce is not None:
        hits = np.flatnonzero(result.frame_actions == bounce)
        fig.add_trace(go.Scatter(x=result.frame_indices[hits] / result.fps, y=np.zeros(len(hits)), mode="markers",
                                 marker=dict(symbol="line-ns-open", size=8, color=hex_colour(3)),
                                 name="frame encoder says 'bounce'"), row=2, col=1)
    fig.update_xaxes(title_text="time (s); green: true bounces" if result.segments else "time (s)", row=2, col=1)
    fig.update_yaxes(title_text="probability", range=[0, 1], row=1, col=1)
    fig.update_yaxes(title_text="logit share", row=2, col=1)
    return _layout(fig, result.summary(), 560)


def render_filmstrip(result: LongRangeResult, *, count: int = 10, height: int = 80) -> np.ndarray:
    """(height, W, 3) uint8: `count` sampled frames labelled with their time in seconds."""
    picks = np.linspace(0, len(result.frames) - 1, min(count, len(result.frames))).round().astype(int)
    labels = [f"{result.frame_indices[i] / result.fps:.0f}s" for i in picks]
    return filmstrip(result.frames[picks], count=len(picks), height=height, labels=labels)
