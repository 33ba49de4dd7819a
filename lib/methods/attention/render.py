"""Pictures and figures of an AttentionResult; shared by the Gradio tab and the notebook.

Query coordinates are (frame, y, x): an input frame index and a pixel of the square display frames.
Every heatmap uses one colour scale per picture (0 .. the largest value shown), so panels compare.

    query_views(result, layer=0, head=None, frame=32, y=96, x=96, shown=32)  # every query picture at once
    render_picker / render_query / render_rollout / render_compare            # one picture each, (H, W, 3) uint8
    plot_layer_stats / plot_timeline                                          # plotly figures
    cost_table / summary / layer_label                                        # table rows and text
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lib.errors import UserInputError
from lib.methods.attention.render_cls import render_cls, token_geometry
from lib.methods.attention.result import AttentionResult
from lib.methods.attention.windows import window_of_cell
from lib.viz import blend_heat, draw_boxes, hex_colour, put_label, tile

if TYPE_CHECKING:  # annotations only: drawing never loads the recorder (lib.hooks, torch)
    from lib.methods.attention.maps import LayerAttention
    from lib.methods.attention.record import ModelView

QUERY_COLOUR = (0, 255, 255)
WINDOW_COLOUR = (255, 255, 255)


def _layer(view: ModelView, layer: int) -> LayerAttention:
    if not 0 <= layer < len(view.layers):
        raise UserInputError(f"Pick a layer between 0 and {len(view.layers) - 1}.")
    return view.layers[layer]


def _check_head(layer: LayerAttention, head: int | None) -> None:
    if head is not None and not 0 <= head < layer.num_heads:
        raise UserInputError(f"This layer has heads 0..{layer.num_heads - 1}; pick one of them or the mean.")


def layer_label(view: ModelView, position: int) -> str:
    """Short description of recorded map `position`, with its block: e.g. "block 2 · local 8x4x4 on 32x4x4 tokens",
    "block 5 · time on 8x14x14 tokens" (TimeSformer's divided blocks have a time and a space map)."""
    layer = view.layers[position]
    g = layer.grid
    text = f"block {view.block_of(position)} · {layer.kind}"
    if layer.window:
        text += " " + "x".join(map(str, layer.window))
    return text + f" on {g.t}x{g.h}x{g.w} tokens"


def _short_label(view: ModelView, position: int) -> str:
    return f"{view.block_of(position)} {view.layers[position].kind}"


def query_token(result: AttentionResult, layer: LayerAttention, frame: int, y: float, x: float) -> int:
    """Sequence index of the token of `layer` that covers display pixel (y, x) of input frame `frame`."""
    if not 0 <= frame < len(result.frames):
        raise UserInputError(f"Pick a frame between 0 and {len(result.frames) - 1}.")
    py, px = result.query_pixel(y, x)
    return layer.grid.index(*layer.grid.cell_of_pixel(frame, py, px))


def _display_box(result: AttentionResult, layer: LayerAttention, t0: int, t1: int, h0: int, h1: int, w0: int, w1: int
                 ) -> tuple[int, int, int, int]:
    scale = result.frames.shape[1] / result.input_size
    _, fy, fx = layer.grid.tubelet
    return (round(h0 * fy * scale), round(h1 * fy * scale), round(w0 * fx * scale), round(w1 * fx * scale))


def _shown_frames(total: int, count: int, must: int) -> list[int]:
    picks = sorted(set(np.linspace(0, total - 1, max(1, count)).round().astype(int).tolist()) | {must})
    while len(picks) > count and len(picks) > 1:  # drop the one nearest to `must` but not `must` itself
        picks.remove(min((p for p in picks if p != must), key=lambda p: abs(p - must)))
    return picks


def attention_panels(result: AttentionResult, layer: LayerAttention, volume: np.ndarray, frames: list[int],
                     query_frame: int, query_cell: tuple[int, int, int] | None, vmax: float,
                     title: str) -> list[np.ndarray]:
    """One (D, D, 3) uint8 panel per input frame in `frames`: `volume` (t, h, w) blended on it up to `vmax`,
    the query token boxed on `query_frame` and, in windowed layers, the query's local window on its frames."""
    ft = layer.grid.tubelet[0]
    window = None
    if layer.window and query_cell is not None:
        g = layer.grid
        window = window_of_cell((g.t, g.h, g.w), layer.window, query_cell)
    panels = []
    for f in frames:
        t = min(f // ft, volume.shape[0] - 1)
        image = blend_heat(result.frames[f], volume[t], vmax)
        if window and window[0] <= t < window[1]:
            image = draw_boxes(image, [_display_box(result, layer, *window)], colours=[WINDOW_COLOUR])
        if f == query_frame and query_cell is not None:
            c = query_cell
            box = _display_box(result, layer, c[0], c[0] + 1, c[1], c[1] + 1, c[2], c[2] + 1)
            image = draw_boxes(image, [box], colours=[QUERY_COLOUR], thickness=2)
        seconds = result.source_frames[f] / result.fps if result.fps else 0.0
        panels.append(put_label(image, f"{title}f{f} {seconds:.1f}s"))
    return panels


def render_query(result: AttentionResult, *, layer: int, head: int | None, frame: int, y: float, x: float,
                 view: int = 0, count: int = 8) -> np.ndarray:
    """Where the patch at (frame, y, x) attends in `count` frames (the query's frame always included).

    Cyan box: the query token; white box: its local window (windowed layers only). One colour scale.
    Returns (H, W, 3) uint8.
    """
    chosen = result.views[view]
    attn = _layer(chosen, layer)
    _check_head(attn, head)
    query = query_token(result, attn, frame, y, x)
    volume = attn.query_volume(query, head)
    frames = _shown_frames(len(result.frames), count, frame)
    panels = attention_panels(result, attn, volume, frames, frame, attn.grid.coords(query),
                              float(volume.max()) or 1.0, "")
    return tile(panels, cols=min(len(panels), 8))


def render_rollout(result: AttentionResult, *, frame: int, y: float, x: float, view: int = 0,
                   count: int = 8) -> np.ndarray:
    """Space-time rollout: what the last layer's token at (frame, y, x) draws on in the first recorded layer."""
    chosen = result.views[view]
    if chosen.rollout is None:
        raise UserInputError("Rollout was not computed for this run.")
    first, last = chosen.layers[0], chosen.layers[-1]
    query = query_token(result, last, frame, y, x)
    volume = first.grid.to_volume(chosen.rollout[query])
    frames = _shown_frames(len(result.frames), count, frame)
    panels = attention_panels(result, first, volume, frames, frame, None, float(volume.max()) or 1.0, "")
    return tile(panels, cols=min(len(panels), 8))


def render_compare(result: AttentionResult, *, layer: int, head: int | None, frame: int, y: float, x: float,
                   shown_frame: int) -> np.ndarray:
    """Local (left) vs global twin (right) attention of the same query on frame `shown_frame`, one colour scale."""
    if result.twin is None:
        raise UserInputError("Local vs global needs the STPT model with its global twin (tick 'compare').")
    if not 0 <= shown_frame < len(result.frames):
        raise UserInputError(f"Pick a frame between 0 and {len(result.frames) - 1}.")
    volumes, layers, cells = [], [], []
    for view in result.views:
        attn = _layer(view, layer)
        _check_head(attn, head)
        query = query_token(result, attn, frame, y, x)
        volumes.append(attn.query_volume(query, head))
        layers.append(attn)
        cells.append(attn.grid.coords(query))
    vmax = max(float(v.max()) for v in volumes) or 1.0
    panels = []
    for view, attn, volume, cell in zip(result.views, layers, volumes, cells):
        image = attention_panels(result, attn, volume, [shown_frame], frame, cell, vmax, "")[0]
        panels.append(put_label(image, f"{attn.kind}", corner="bottom-left"))
    return tile(panels, cols=2)


def render_picker(result: AttentionResult, *, frame: int, y: float, x: float) -> np.ndarray:
    """The query frame with a cyan box of 9 px round the picked display pixel (y, x): (D, D, 3) uint8."""
    image = result.frames[min(int(frame), len(result.frames) - 1)]
    y, x = int(y), int(x)
    return draw_boxes(image, [(max(0, y - 4), y + 5, max(0, x - 4), x + 5)], colours=[QUERY_COLOUR], thickness=2)


@dataclass(frozen=True)
class QueryViews:
    """Every picture of one query: picker frame, query panels, rollout, local | global (None without a twin), and the
    CLS token's heads on the query frame (None where the map has no CLS token)."""

    picker: np.ndarray
    query: np.ndarray
    rollout: np.ndarray
    compare: np.ndarray | None
    layer_text: str
    cls: np.ndarray | None = None


def query_views(result: AttentionResult, *, layer: int, head: int | None, frame: int, y: float, x: float,
                shown: int) -> QueryViews:
    """All query pictures for the main view; out-of-range layer/frame/shown are clamped and a head the
    layer lacks falls back to the mean (controls can lag behind a new result)."""
    layer = min(int(layer), len(result.main.layers) - 1)
    frame = min(int(frame), len(result.frames) - 1)
    shown = min(int(shown), len(result.frames) - 1)
    if head is not None and head >= result.main.layers[layer].num_heads:
        head = None
    compare = (render_compare(result, layer=layer, head=head, frame=frame, y=y, x=x, shown_frame=shown)
               if result.twin is not None else None)
    return QueryViews(picker=render_picker(result, frame=frame, y=y, x=x),
                      query=render_query(result, layer=layer, head=head, frame=frame, y=y, x=x),
                      rollout=render_rollout(result, frame=frame, y=y, x=x), compare=compare,
                      layer_text=layer_label(result.main, layer), cls=render_cls(result, layer=layer, frame=frame))


def plot_layer_stats(result: AttentionResult) -> go.Figure:
    """Per recorded layer: mean spatial and temporal attention distance and head entropy, one line per model."""
    fig = make_subplots(rows=1, cols=3, subplot_titles=("space (frame sides)",
                                                        "time (frames)", "entropy (nats)"))
    for k, view in enumerate(result.views):
        xs = [_short_label(view, i) for i in range(len(view.layers))]  # block and kind: the x axis names blocks
        hover = [layer_label(view, i) for i in range(len(view.layers))]
        stats = view.stats
        if view.block_stats:  # every block (V-JEPA 2): only some kept their maps for the query views
            kept = set(view.blocks)
            xs = [f"{b} {s.kind}" for b, s in zip(view.stats_blocks, view.block_stats)]
            hover = [f"block {b} · {'maps kept' if b in kept else 'statistics only'}" for b in view.stats_blocks]
            stats = view.block_stats
        for col, key in enumerate(("spatial", "temporal", "entropy"), start=1):
            ys = [float(getattr(s, key).mean()) for s in stats]
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=view.model_name or view.family,
                                     legendgroup=str(k), showlegend=col == 1, text=hover,
                                     line={"color": hex_colour(k + 1)}), row=1, col=col)
    fig.update_xaxes(title_text="block", type="category")
    fig.update_layout(height=320, margin={"l": 40, "r": 10, "t": 40, "b": 40}, legend={"orientation": "h", "y": -0.25})
    return fig


def plot_timeline(result: AttentionResult, *, min_score: float = 0.2, per_model: int = 12) -> go.Figure:
    """Detections (score >= min_score, best `per_model`) per model under the ground truth, in seconds."""
    fig = go.Figure()
    rows = [("ground truth", [(s.start, s.end, s.label, 1.0) for s in result.ground_truth])]
    for name, dets in result.detections.items():
        best = [d for d in dets if d.score >= min_score][:per_model]
        rows.append((name, [(d.start, d.end, d.label, d.score) for d in best]))
    fps = result.fps or 25.0
    for row, items in rows:
        for start, end, label, score in items:
            name = result.labels[label] if label < len(result.labels) else str(label)
            text = name if row == "ground truth" else f"{name} {score:.2f}"
            fig.add_trace(go.Bar(y=[row], x=[(end - start) / fps], base=[start / fps], orientation="h",
                                 marker={"color": hex_colour(label + 1), "opacity": 0.35 + 0.65 * score},
                                 text=[text], textposition="inside", showlegend=False,
                                 hovertext=f"{text}: {start / fps:.1f}-{end / fps:.1f} s"))
    fig.update_layout(barmode="overlay", height=90 + 50 * len(rows), xaxis_title="seconds",
                      xaxis_range=[result.span[0] / fps, result.span[1] / fps],
                      margin={"l": 10, "r": 10, "t": 10, "b": 40},
                      yaxis={"categoryorder": "array", "categoryarray": [r for r, _ in rows][::-1]})
    return fig


def cost_table(result: AttentionResult) -> list[list[str]]:
    """Rows (model, GFLOPs per window, ratio to the first model, recorded maps in MB, GMACs per window).

    GFLOPs are torch's count (a multiply-add is 2 FLOPs); GMACs = GFLOPs / 2 are what papers print as GFLOPs."""
    base = result.main.gflops
    return [[view.model_name, f"{view.gflops:.3f}", f"{view.gflops / base:.2f}x", f"{view.record_bytes / 1e6:.1f}",
             f"{view.gmacs:.3f}"] for view in result.views]


def summary(result: AttentionResult, *, top: int = 3) -> str:
    """Markdown: the prediction(s) and notes."""
    lines = []
    if result.main.logits is not None:
        logits = result.main.logits
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        best = np.argsort(-probs)[:top]
        lines.append("**Prediction:** " + ", ".join(f"{result.labels[i]} ({probs[i]:.0%})" for i in best))
    if token_geometry(result):
        lines.append(token_geometry(result))
    for name, dets in result.detections.items():
        fps = result.fps or 25.0
        shown = ", ".join(f"{result.labels[d.label]} {d.start / fps:.1f}-{d.end / fps:.1f} s ({d.score:.2f})"
                          for d in dets[:top]) or "nothing"
        lines.append(f"**{name}** detects: {shown}")
    if result.ground_truth:
        fps = result.fps or 25.0
        lines.append("**Ground truth:** " + ", ".join(
            f"{result.labels[s.label]} {s.start / fps:.1f}-{s.end / fps:.1f} s" for s in result.ground_truth))
    lines += [f"_{note}_" for note in result.notes]
    return "\n\n".join(lines)
