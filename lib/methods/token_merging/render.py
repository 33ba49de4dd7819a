"""Every picture of the Token merging tab: shared by the Gradio tab and the notebook so they cannot drift.

render_timeline(result, segment, token)   plotly: one row per segment, one bar per merged token
render_sources(result, segment, token)    image: the token's source patches highlighted on its frames
render_groups(result, segment, step)      image: ToMe-style groups on the segment's frames at a merge step
render_merge_steps(result, segment)       plotly: tokens left after each merge step
render_budget(result) / budget_rows       plotly + table: raw vs LongVLM vs pooling vs 8 frames
render_similarity(result)                 plotly: segment-by-segment similarity of the merged tokens
render_tome_groups(tome_result)           image: ToMe inside the encoder, each frame's groups after the last block
group_picture(frames, assignment, grid)   the group picture of any frames (F, H, W, 3) and token assignment
highlight_sources(frames, assignment, k)  token k's source patches bright and outlined, the rest dimmed

Group pictures follow facebookresearch/ToMe `tome/vis.py` make_visualization (Bolya et al., "Token
Merging: Your ViT but Faster", ICLR 2023; re-implemented, not copied), extended across the frames of a
segment: every group (merged token) is filled with the mean colour of all its pixels, over every frame it
spans, and its outline is painted in the group's own colour. Boundaries are found by comparing
neighbouring labels instead of scipy's binary erosion, which gives the same 1-pixel inner border for all
groups at once.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lib.methods.token_merging.result import TokenMergingResult, ToMeEncoderResult
from lib.viz import hex_colour, put_label, resize_to_height, tile
from lib.viz.palette import PALETTE


def label_pixels(assignment: np.ndarray, frames: int, grid: tuple[int, int], height: int, width: int) -> np.ndarray:
    """(F * P,) token index per patch -> (F, H, W) token index per pixel (nearest patch)."""
    rows, cols = grid
    labels = np.asarray(assignment).reshape(frames, rows, cols)
    ys = np.minimum(np.arange(height) * rows // height, rows - 1)
    xs = np.minimum(np.arange(width) * cols // width, cols - 1)
    return labels[:, ys][:, :, xs]


def _borders(labels: np.ndarray, *, both_sides: bool = True) -> np.ndarray:
    """(F, H, W) labels -> bool mask of pixels next to another group (right/lower side too if both_sides,
    else only pixels whose left or upper neighbour differs: 1-pixel lines)."""
    edge = np.zeros(labels.shape, dtype=bool)
    diff_x = labels[:, :, 1:] != labels[:, :, :-1]
    diff_y = labels[:, 1:, :] != labels[:, :-1, :]
    edge[:, :, 1:] |= diff_x
    edge[:, 1:, :] |= diff_y
    if both_sides:
        edge[:, :, :-1] |= diff_x
        edge[:, :-1, :] |= diff_y
    return edge


def group_picture(frames: np.ndarray, assignment: np.ndarray, grid: tuple[int, int], *,
                  palette: np.ndarray = PALETTE) -> np.ndarray:
    """ToMe-style groups on a segment's frames.

    frames: (F, H, W, 3) uint8; assignment: (F * P,) token index of each patch (frame-major).
    Returns (F, H, W, 3) uint8: each group's pixels in the group's mean colour (over all its frames),
    its border in palette[1 + token index] (entry 0 is black), the colour `hex_colour(k + 1)` gives too.
    """
    f, h, w, _ = frames.shape
    labels = label_pixels(assignment, f, grid, h, w)
    flat = labels.reshape(-1)
    count = np.bincount(flat)
    means = np.stack([np.bincount(flat, weights=frames[..., c].reshape(-1), minlength=count.size)
                      for c in range(3)], axis=1) / np.maximum(count, 1)[:, None]
    out = means[labels].round().astype(np.uint8)  # (F, H, W, 3)
    edge = _borders(labels, both_sides=False)
    out[edge] = palette[1 + labels[edge] % (len(palette) - 1)]
    return out


def highlight_sources(frames: np.ndarray, assignment: np.ndarray, token: int, grid: tuple[int, int], *,
                      colour: tuple[int, int, int] = (255, 40, 40), dim: float = 0.3) -> np.ndarray:
    """Frames (F, H, W, 3) with the source patches of `token` kept bright and outlined, the rest dimmed."""
    f, h, w, _ = frames.shape
    mine = label_pixels(np.asarray(assignment) == token, f, grid, h, w)  # (F, H, W) bool
    out = frames.astype(np.float32)
    out[~mine] *= dim
    out = out.round().astype(np.uint8)
    edge = _borders(mine.astype(np.int64)) & mine
    out[edge] = colour
    return out


def _clamp(value: int, low: int, high: int) -> int:
    return int(min(max(int(value), low), high))


def _frame_step(result: TokenMergingResult) -> float:
    """Seconds between sampled frames (for bar widths)."""
    times = result.timestamps
    return float(np.median(np.diff(times))) if len(times) > 1 else 1.0


def render_timeline(result: TokenMergingResult, segment: int | None = None, token: int | None = None) -> go.Figure:
    """Every merged token as a bar spanning the times of the frames its sources come from.

    Rows: global tokens on top, then segment 1..S; within a row each of the K tokens has its own lane,
    coloured like its group in render_groups. The picked (segment, token) is outlined in black.
    """
    dt = _frame_step(result)
    starts, lengths, lanes, colours, texts, widths, outline = [], [], [], [], [], [], []
    for s, seg in enumerate(result.segments):
        times = result.segment_times(s)
        span = seg.frame_span()
        k_total = seg.num_tokens
        for k in range(k_total):
            first, last = times[span[k, 0]], times[span[k, 1]]
            starts.append(first)
            lengths.append(last - first + dt * 0.9)
            lanes.append(s + 1 + (k + 0.5) / k_total - 0.5)
            colours.append(hex_colour(k + 1))
            picked = segment == s and token == k
            outline.append(3 if picked else 0)
            texts.append(f"segment {s + 1}, token {k}: {seg.sizes[k]} patches, frames {span[k, 0]}-{span[k, 1]} "
                         f"({first:.1f}-{last:.1f} s)")
            widths.append(0.9 / k_total)
    fig = go.Figure(go.Bar(orientation="h", base=starts, x=lengths, y=lanes, width=widths,
                           marker=dict(color=colours, line=dict(color="black", width=outline)),
                           hovertext=texts, hoverinfo="text", name="merged tokens"))
    g = len(result.global_tokens)
    if g:
        end = result.timestamps[-1] + dt
        fig.add_trace(go.Bar(orientation="h", base=[result.timestamps[0]] * g, x=[end - result.timestamps[0]] * g,
                             y=[(k + 0.5) / g - 0.5 for k in range(g)], width=[0.9 / g] * g,
                             marker=dict(color="#888888"), name="global tokens", hoverinfo="text",
                             hovertext=[f"global token {k}: CLS of hidden state {k - g} averaged over all frames"
                                        for k in range(g)]))
    fig.update_yaxes(autorange="reversed", tickvals=list(range(result.num_segments + 1)),
                     ticktext=["global"] + [f"segment {s + 1}" for s in range(result.num_segments)])
    fig.update_layout(barmode="overlay", showlegend=False, height=120 + 34 * result.num_segments,
                      margin=dict(l=10, r=10, t=40, b=30), xaxis_title="time in the video (s)",
                      title=f"{result.merged_tokens} tokens in order: each bar = one merged token, spanning the "
                            "frames its source patches come from")
    return fig


def _segment_frames(result: TokenMergingResult, segment: int, height: int = 176) -> np.ndarray:
    """(M, height, W', 3) uint8 frames of one segment, enlarged so 1-pixel group borders stay thin."""
    m = result.frames_per_segment
    return np.stack([resize_to_height(f, height) for f in result.frames[segment * m:(segment + 1) * m]])


def _labelled_tile(result: TokenMergingResult, segment: int, images: np.ndarray, cols: int) -> np.ndarray:
    times = result.segment_times(segment)
    labelled = [put_label(img, f"{t:.1f}s", corner="bottom-left") for img, t in zip(images, times)]
    return tile(labelled, cols=min(cols, len(labelled)))


def render_sources(result: TokenMergingResult, segment: int, token: int, *, cols: int = 5) -> np.ndarray:
    """(H', W', 3) uint8: segment `segment`'s frames with the source patches of its token `token` bright
    and outlined, everything else dimmed."""
    segment = _clamp(segment, 0, result.num_segments - 1)
    seg = result.segments[segment]
    token = _clamp(token, 0, seg.num_tokens - 1)
    frames = highlight_sources(_segment_frames(result, segment), seg.assignment, token, result.grid)
    return _labelled_tile(result, segment, frames, cols)


def render_groups(result: TokenMergingResult, segment: int, step: int, *, cols: int = 5) -> np.ndarray:
    """(H', W', 3) uint8: ToMe's group picture of segment `segment` after merge step `step` (0 = no merging)."""
    segment = _clamp(segment, 0, result.num_segments - 1)
    seg = result.segments[segment]
    step = _clamp(step, 0, len(seg.counts) - 1)
    frames = group_picture(_segment_frames(result, segment), seg.steps[step], result.grid)
    return _labelled_tile(result, segment, frames, cols)


def render_merge_steps(result: TokenMergingResult, segment: int = 0, step: int | None = None) -> go.Figure:
    """Tokens left in segment `segment` after each merge step (log scale); the shown step is marked."""
    seg = result.segments[_clamp(segment, 0, result.num_segments - 1)]
    steps = list(range(len(seg.counts)))
    fig = go.Figure(go.Scatter(x=steps, y=seg.counts, mode="lines+markers+text", text=[str(c) for c in seg.counts],
                               textposition="top right", name="tokens"))
    if step is not None:
        s = _clamp(step, 0, len(steps) - 1)
        fig.add_trace(go.Scatter(x=[s], y=[seg.counts[s]], mode="markers", marker=dict(size=14, color="crimson"),
                                 name="shown"))
    fig.update_layout(height=280, showlegend=False, margin=dict(l=10, r=10, t=40, b=30),
                      title="tokens per merge step (one segment)", xaxis_title="merge step",
                      yaxis_title="tokens", yaxis_type="log")
    return fig


BUDGET_HEADERS = ("method", "tokens", "x fewer than raw", "tokens per minute of video", "how")


def budget_rows(result: TokenMergingResult) -> list[list]:
    """Rows of BUDGET_HEADERS for a table: each way of feeding this video to a language model, and its rate in
    the LLM's unit, tokens per minute of video (what decides how much video fits its context)."""
    raw, minutes = result.budgets[0].tokens, max(result.duration, 1e-9) / 60
    return [[b.name, b.tokens, round(raw / b.tokens, 1), round(b.tokens / minutes), b.formula]
            for b in result.budgets]


def render_budget(result: TokenMergingResult) -> go.Figure:
    """Bar chart of the token budgets (log scale)."""
    names = [b.name for b in result.budgets]
    values = [b.tokens for b in result.budgets]
    colours = ["#999999", "#d62728", "#1f77b4", "#2ca02c", "#9467bd"][: len(names)]
    fig = go.Figure(go.Bar(x=names, y=values, text=[f"{v:,}" for v in values], textposition="outside",
                           marker_color=colours))
    top = np.log10(max(values)) + 0.4  # headroom for the labels above the bars
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=30), yaxis_type="log",
                      yaxis_range=[np.log10(max(1, min(values))) - 0.5, top],
                      title="tokens handed to the language model", yaxis_title="tokens (log scale)")
    return fig


def render_similarity(result: TokenMergingResult) -> go.Figure:
    """Heatmap of the (S, S) similarity between segments' merged tokens; scene changes show as blocks."""
    labels = [f"{s + 1}: {result.segment_times(s)[0]:.0f}s" for s in range(result.num_segments)]
    fig = go.Figure(go.Heatmap(z=result.similarity, x=labels, y=labels, colorscale="Viridis",
                               colorbar=dict(title="similarity")))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=30),
                      title="segment-by-segment similarity of merged tokens (Chamfer cosine)")
    return fig


def render_tome_groups(result: ToMeEncoderResult, *, height: int = 160, cols: int = 4) -> np.ndarray:
    """(H', W', 3) uint8: each frame's ToMe groups after the last block, labelled with both predictions."""
    pictures = []
    for frame, assignment, before, after in zip(result.frames, result.assignment, result.classes_plain,
                                                result.classes_tome):
        big = resize_to_height(frame, height)
        picture = group_picture(big[None], assignment, result.grid)[0]
        pictures.append(put_label(picture, f"{before} / ToMe: {after}", corner="bottom-left"))
    return tile(pictures, cols=min(cols, len(pictures)))
