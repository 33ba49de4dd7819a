"""Pictures of tubes: kernel tiles, sampling boxes on frames, the T x H x W volume, pooling-weight heat maps.

Pure functions: arrays in, uint8 images (H, W, 3) or plotly figures out. No I/O.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from lib.methods.tubes.geometry import TubeLayout
from lib.methods.tubes.kernels import kernel_order, kernel_to_rgb
from lib.viz import colour_for, draw_boxes, hex_colour, overlay_heatmap, put_label, tile


def tube_colour(index: int) -> tuple[int, int, int]:
    """The fixed palette colour of tube `index` (same in images and plots)."""
    return colour_for(index + 1)


def kernel_tile(weight: np.ndarray, *, channels: int = 8, max_slices: int = 8, cell: int = 24,
                order: str = "norm") -> np.ndarray:
    """(D, C, t, h, w) kernel -> uint8 image: one row per output channel (most interesting first),
    one column per temporal slice (at most `max_slices`, evenly picked), each slice RGB-normalised per channel
    and enlarged (nearest) to about `cell` pixels."""
    picks = kernel_order(weight, order)[:channels]
    t, h, w = weight.shape[2:]
    slices = np.unique(np.linspace(0, t - 1, min(t, max_slices)).round().astype(int))
    scale = max(1, cell // max(h, w))
    rows = []
    for c in picks:
        rgb = kernel_to_rgb(weight[c])  # (t, h, w, 3)
        cells = [np.pad(rgb[s].repeat(scale, 0).repeat(scale, 1), ((1, 1), (1, 1), (0, 0)), constant_values=255)
                 for s in slices]
        rows.append(np.concatenate(cells, axis=1))
    return np.concatenate(rows, axis=0)


def kernel_animation(weights: Sequence[np.ndarray], labels: Sequence[str], *, channels: int = 8, cell: int = 40,
                     order: str = "norm") -> np.ndarray:
    """Kernels played over time: (S, H, W, 3) uint8, one row per tube (its top `channels` output channels side
    by side). Step s shows slice floor(s * t / S) of a t-frame kernel, S = the longest kernel, so every tube
    runs through its whole length once per loop; a 1-frame (image) kernel stands still."""
    steps = max(w.shape[2] for w in weights)
    frames = []
    for s in range(steps):
        rows = []
        for weight, label in zip(weights, labels):
            t, h, w = weight.shape[2:]
            scale = max(1, cell // max(h, w))
            picks = kernel_order(weight, order)[:channels]
            cells = [np.pad(kernel_to_rgb(weight[c])[s * t // steps].repeat(scale, 0).repeat(scale, 1),
                            ((2, 2), (2, 2), (0, 0)), constant_values=255) for c in picks]
            row = np.concatenate(cells, axis=1)
            rows.append(put_label(np.pad(row, ((14, 0), (0, 0), (0, 0)), constant_values=255),
                                  f"{label}: slice {s * t // steps + 1}/{t}", scale=0.35))
        frames.append(tile(rows, cols=1))
    return np.stack(frames)


def frame_boxes(layout: TubeLayout, tube: int, frame: int, scale_yx: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """(K, 4) (y0, y1, x0, x1) half-open boxes of tube `tube`'s tokens whose time extent covers `frame`,
    in layout pixels times `scale_yx`."""
    part = layout.tube_slice(tube)
    starts, ends = layout.starts[part], layout.ends[part]
    live = (starts[:, 0] <= frame) & (frame < ends[:, 0])
    sy, sx = scale_yx
    return np.stack([starts[live, 1] * sy, ends[live, 1] * sy, starts[live, 2] * sx, ends[live, 2] * sx],
                    axis=1).round() if live.any() else np.zeros((0, 4))


def sampling_panels(frame_image: np.ndarray, layout: TubeLayout, frame: int, token: int | None = None) -> np.ndarray:
    """One panel per tube: `frame_image` (H, W, 3) with the boxes each token of that tube reads on this frame,
    the first token's box (or `token`'s, when it belongs to the tube) drawn thick. Labels give shape and count."""
    height, width = frame_image.shape[:2]
    scale = (height / layout.input_shape[1], width / layout.input_shape[2])
    panels = []
    for i, tube in enumerate(layout.tubes):
        boxes = frame_boxes(layout, i, frame, scale)
        colour = tube_colour(i)
        image = (draw_boxes(frame_image, boxes, colours=[colour] * len(boxes), thickness=1) if len(boxes)
                 else frame_image)
        part = layout.tube_slice(i)
        chosen = token if token is not None and part.start <= token < part.stop else part.start
        s, e = layout.starts[chosen], layout.ends[chosen]
        if s[0] <= frame < e[0]:
            big = np.array([[s[1] * scale[0], e[1] * scale[0], s[2] * scale[1], e[2] * scale[1]]]).round()
            image = draw_boxes(image, big, colours=[(255, 255, 255)], thickness=3)
        here = f"{len(boxes)} read this frame" if len(boxes) else "none reads this frame"
        panels.append(_captioned(image, f"tube {i}: {tube.label()}", f"{layout.tokens_per_tube[i]} tokens, {here}"))
    return tile(panels, cols=2)


def _captioned(image: np.ndarray, first: str, second: str) -> np.ndarray:
    """`image` with two caption lines in a dark bar below it (so no box is hidden under the text)."""
    bar = np.zeros((34, image.shape[1], 3), np.uint8)
    bar = put_label(put_label(bar, first), second, corner="bottom-left")
    return np.concatenate([image, bar], axis=0)


def _box_edges(start: np.ndarray, end: np.ndarray) -> list[list[float]]:
    """The 12 edges of a voxel box as polyline points (x=W, y=T, z=H), None-separated for plotly."""
    t0, y0, x0 = start
    t1, y1, x1 = end
    corners = [(x, t, y) for t in (t0, t1) for y in (y0, y1) for x in (x0, x1)]
    edges = [(0, 1), (2, 3), (0, 2), (1, 3), (4, 5), (6, 7), (4, 6), (5, 7), (0, 4), (1, 5), (2, 6), (3, 7)]
    points: list[list[float]] = []
    for a, b in edges:
        points += [list(corners[a]), list(corners[b]), [None, None, None]]
    return points


def volume_figure(layout: TubeLayout, *, max_boxes_per_tube: int = 400) -> go.Figure:
    """3-D wireframes of every token's extent in the T x H x W volume, one colour per tube."""
    fig = go.Figure()
    t, h, w = layout.input_shape
    for i, tube in enumerate(layout.tubes):
        part = layout.tube_slice(i)
        idx = np.arange(part.start, part.stop)[:max_boxes_per_tube]
        points = [p for k in idx for p in _box_edges(layout.starts[k], layout.ends[k])]
        xs, ys, zs = zip(*points) if points else ((), (), ())
        fig.add_trace(go.Scatter3d(x=xs, y=ys, z=zs, mode="lines", line=dict(color=hex_colour(i + 1), width=2),
                                   name=f"{tube.label()} ({layout.tokens_per_tube[i]})"))
    fig.update_layout(scene=dict(xaxis=dict(title="x (px)", range=[0, w]), yaxis=dict(title="t (frames)", range=[0, t]),
                                 zaxis=dict(title="y (px)", range=[h, 0]), aspectmode="manual",
                                 aspectratio=dict(x=1, y=1.2, z=h / w)),
                      margin=dict(l=0, r=0, t=30, b=0), height=480, legend=dict(orientation="h"),
                      title=f"{layout.num_tokens} tokens in a {t}x{h}x{w} clip")
    return fig


def similarity_figure(layout: TubeLayout, similarity: np.ndarray, token: int) -> go.Figure:
    """Token centres in the volume coloured by cosine similarity of their position code with `token`'s."""
    c = layout.centres
    fig = go.Figure(go.Scatter3d(
        x=c[:, 2], y=c[:, 0], z=c[:, 1], mode="markers",
        marker=dict(size=4, color=similarity, colorscale="RdBu_r", cmin=-1, cmax=1, colorbar=dict(title="cos")),
        text=[f"token {k}, tube {layout.token_tube[k]}" for k in range(layout.num_tokens)]))
    fig.add_trace(go.Scatter3d(x=[c[token, 2]], y=[c[token, 0]], z=[c[token, 1]], mode="markers",
                               marker=dict(size=10, color="black", symbol="diamond"), name="chosen token"))
    t, h, w = layout.input_shape
    fig.update_layout(scene=dict(xaxis=dict(title="x (px)", range=[0, w]), yaxis=dict(title="t (frames)", range=[0, t]),
                                 zaxis=dict(title="y (px)", range=[h, 0])),
                      margin=dict(l=0, r=0, t=30, b=0), height=460, showlegend=False,
                      title=f"position-code similarity to token {token} (tube {layout.token_tube[token]})")
    return fig


def pooling_heat(layout: TubeLayout, weights: np.ndarray, frame: int) -> np.ndarray:
    """(H, W) map in layout pixels: the pooling weight of every token that reads `frame`, spread over its box."""
    heat = np.zeros(layout.input_shape[1:], np.float64)
    live = (layout.starts[:, 0] <= frame) & (frame < layout.ends[:, 0])
    for k in np.flatnonzero(live):
        s, e = layout.starts[k], layout.ends[k]
        heat[s[1]:e[1], s[2]:e[2]] += weights[k] / ((e[1] - s[1]) * (e[2] - s[2]))
    return heat


def pooling_overlays(frames: np.ndarray, layout: TubeLayout, weights: np.ndarray, frame_ids: Sequence[int],
                     model_frames: Sequence[int]) -> np.ndarray:
    """Heat maps of pooling weight on display frames; one colour scale across all shown frames."""
    heats = [pooling_heat(layout, weights, m) for m in model_frames]
    top = max(float(max(h.max() for h in heats)), 1e-12)
    panels = [put_label(overlay_heatmap(frames[f], h / top, alpha=0.55), f"frame {f}")
              for f, h in zip(frame_ids, heats)]
    return tile(panels, cols=4)


def plain_panels(frames: np.ndarray, frame_ids: Sequence[int], note: str) -> np.ndarray:
    """The display frames with a label and no heat (a model whose pooling weights mean nothing)."""
    return tile([put_label(np.ascontiguousarray(frames[f]), f"frame {f} ({note})") for f in frame_ids], cols=4)
