"""Every picture, figure and text of the Tubes tab, drawn from a TubesResult (no model runs here).

    render_summary(result)                   # one Markdown paragraph: token counts, GFLOPs, the prediction
    render_prediction(result)                # top-k classes, pooling heat maps, pooling weight per tube
    render_kernels(result); render_kernel_sheet(result); render_kernel_animation(result); write_kernel_gif(result)
    render_sampling(result, frame, token); render_volume(result); render_position(result, token)
    render_costs(result)                     # table rows and a bar chart of three tokenisers
    describe_scaled_tubes(32, 48, 48, 0.5)   # the paper's tubes scaled to another clip, as text

Images are uint8 (H, W, 3), figures plotly. The image primitives live in render_images.py.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from lib.errors import UserInputError
from lib.methods.tubes.geometry import PAPER_TUBES, TubeSpec, scale_tubes, tube_layout
from lib.methods.tubes.position import cosine_similarity_to
from lib.methods.tubes.render_images import (
    kernel_animation,
    kernel_tile,
    plain_panels,
    pooling_overlays,
    sampling_panels,
    similarity_figure,
    volume_figure,
)
from lib.video import write_gif
from lib.viz import hex_colour, tile

if TYPE_CHECKING:
    from lib.methods.tubes.result import TubesResult


UNTRAINED_HEAD = "head not trained for video: no prediction"
MACS_NOTE = "papers' GFLOPs are multiply-adds (GMACs)"  # as lib.hooks.flops.MACS_NOTE (render loads no hooks)


def _macs(gflops: float) -> float:
    """GMACs of a FlopCounterMode count (a multiply-add counts 2 FLOPs there): what papers print as GFLOPs."""
    return gflops / 2


def render_summary(result: TubesResult) -> str:
    """Markdown: the analysed tubes' token count vs dense tubelets and per-frame patches (with GFLOPs and GMACs),
    and the top class, or that there is none when the model's head was not trained for video."""
    t, h, w = result.layout.input_shape
    sparse, dense, frames = result.costs
    prediction = result.prediction
    if prediction is None:
        said = (f"**{result.model_name}**: {UNTRAINED_HEAD} (its pooling and classifier are freshly initialised; "
                f"kernels, sampling and costs hold) from {result.model_layout.num_tokens} tokens.")
    else:
        said = (f"**{result.model_name}** says *{prediction[0]}* ({prediction[1]:.0%}) from "
                f"{result.model_layout.num_tokens} tokens.")
    return (f"**{result.layout.num_tokens} tube tokens** on this {t}x{h}x{w} clip "
            f"({' + '.join(str(n) for n in result.layout.tokens_per_tube)}), vs {dense.tokens} dense tubelets "
            f"({dense.tokens / sparse.tokens:.1f}x) and {frames.tokens} per-frame patches "
            f"({frames.tokens / sparse.tokens:.1f}x); ViT-B forward {sparse.gflops:.0f} vs {dense.gflops:.0f} vs "
            f"{frames.gflops:.0f} GFLOPs = {_macs(sparse.gflops):.0f} vs {_macs(dense.gflops):.0f} vs "
            f"{_macs(frames.gflops):.0f} GMACs ({MACS_NOTE}). {said}")


def render_kernels(result: TubesResult, *, channels: int = 8, order: str = "norm") -> list[tuple[np.ndarray, str]]:
    """Per model tube an image: rows = output channels (most interesting first), columns = temporal slices."""
    images = []
    for i, (tube, weight) in enumerate(zip(result.model_layout.tubes, result.kernels)):
        kind = "2-D image patch kernel" if tube.is_image_tube else "3-D tube kernel"
        images.append((kernel_tile(weight, channels=channels, order=order),
                       f"tube {i}: {tube.label()} ({kind}); top {channels} of {weight.shape[0]} by {order}"))
    return images


def render_kernel_sheet(result: TubesResult, *, channels: int = 8, order: str = "norm", cols: int = 4) -> np.ndarray:
    """The images of render_kernels tiled into one uint8 image, `cols` tubes per row."""
    return tile([image for image, _ in render_kernels(result, channels=channels, order=order)], cols=cols)


def render_kernel_animation(result: TubesResult, *, channels: int = 8, order: str = "norm") -> np.ndarray:
    """(S, H, W, 3) uint8 frames: every model tube's top kernels played through their time slices."""
    labels = [f"tube {i} {t.label()}" for i, t in enumerate(result.model_layout.tubes)]
    return kernel_animation(result.kernels, labels, channels=channels, order=order)


def write_kernel_gif(result: TubesResult, *, channels: int = 8, order: str = "norm",
                     path: str | Path | None = None) -> str:
    """render_kernel_animation written as a looping 4 fps GIF (a new temporary file unless `path`); its path."""
    if path is None:
        path = tempfile.NamedTemporaryFile(prefix="tube-kernels-", suffix=".gif", delete=False).name
    return str(write_gif(render_kernel_animation(result, channels=channels, order=order), path, fps=4))


def render_sampling(result: TubesResult, frame: int, token: int | None = None) -> np.ndarray:
    """Frame `frame` once per analysed tube, with the boxes its tokens read there (white: one token)."""
    if not 0 <= frame < len(result.frames):
        raise UserInputError(f"Frame must be between 0 and {len(result.frames) - 1}.")
    return sampling_panels(result.frames[frame], result.layout, frame, token)


def render_volume(result: TubesResult) -> go.Figure:
    """3-D wireframe of every analysed token's extent in the clip's T x H x W volume."""
    return volume_figure(result.layout)


def render_costs(result: TubesResult) -> tuple[list[list], go.Figure]:
    """Table rows (tokeniser, tokens, GFLOPs, x sparse, GMACs = GFLOPs / 2 as papers count) and a bar chart of
    tokens and GFLOPs."""
    sparse = result.costs[0]
    rows = [[c.name, c.tokens, round(c.gflops, 2), round(c.gflops / sparse.gflops, 1), round(_macs(c.gflops), 2)]
            for c in result.costs]
    names = [c.name.split(" (")[0] for c in result.costs]
    fig = go.Figure([go.Bar(name="tokens", x=names, y=[c.tokens for c in result.costs], yaxis="y",
                            offsetgroup=0, marker_color=hex_colour(1)),
                     go.Bar(name="GFLOPs (forward)", x=names, y=[c.gflops for c in result.costs], yaxis="y2",
                            offsetgroup=1, marker_color=hex_colour(2))])
    t, h, w = result.layout.input_shape
    e = result.encoder
    fig.update_layout(barmode="group", height=360, margin=dict(l=40, r=40, t=40, b=40),
                      title=f"{t}x{h}x{w} clip, encoder {e.dim} wide x {e.depth} deep",
                      yaxis=dict(title="tokens"), yaxis2=dict(title="GFLOPs", overlaying="y", side="right"),
                      legend=dict(orientation="h", y=-0.2))
    return rows, fig


def render_position(result: TubesResult, token: int) -> go.Figure:
    """Cosine similarity of token `token`'s fixed position code with every other token, in the volume."""
    if not 0 <= token < result.layout.num_tokens:
        raise UserInputError(f"Token must be between 0 and {result.layout.num_tokens - 1}.")
    return similarity_figure(result.layout, cosine_similarity_to(result.position, token), token)


def render_prediction(result: TubesResult, *, count: int = 8, top_k: int = 5
                      ) -> tuple[dict[str, float] | str, np.ndarray, go.Figure]:
    """Top-k classes; pooling-weight heat maps on `count` of the frames the model saw; pooling weight per tube.

    A head not trained for video (result.head_trained False) gives no prediction: the text UNTRAINED_HEAD instead
    of classes, the frames without heat and an empty chart saying why (its pooling weights are random)."""
    y0, y1, x0, x1 = result.crop
    shown = np.unique(np.linspace(0, len(result.model_frames) - 1, count).round().astype(int))
    frames = result.frames[:, y0:y1, x0:x1]
    if not result.head_trained:
        fig = go.Figure()
        fig.update_layout(height=300, margin=dict(l=40, r=20, t=40, b=40),
                          title=f"{UNTRAINED_HEAD}: its attention pooling is untrained, so nothing to show")
        return UNTRAINED_HEAD, plain_panels(frames, [int(result.model_frames[m]) for m in shown], "no pooling"), fig
    order = np.argsort(-result.probabilities)[:top_k]
    top = {result.class_names[i]: float(result.probabilities[i]) for i in order}
    overlay = pooling_overlays(frames, result.model_layout, result.pool_weights,
                               [int(result.model_frames[m]) for m in shown], [int(m) for m in shown])
    shares = result.pool_by_tube
    labels = [f"{i}: {t.label()}" for i, t in enumerate(result.model_layout.tubes)]
    fig = go.Figure(go.Bar(x=labels, y=shares, marker_color=[hex_colour(i + 1) for i in range(len(shares))],
                           text=[f"{s:.0%} of weight, {n} tokens" for s, n in
                                 zip(shares, result.model_layout.tokens_per_tube)]))
    fig.update_layout(height=300, margin=dict(l=40, r=20, t=40, b=40),
                      yaxis=dict(title="pooling weight", range=[0, 1]),
                      title="which tubes the attention pooling relied on")
    return top, overlay, fig


def describe_scaled_tubes(num_frames: int = 32, height: int = 224, width: int = 224, spatial_scale: float = 1.0,
                          temporal_scale: float = 1.0) -> str:
    """One text line per paper tube (scaled) with its token grid on a (num_frames, height, width) clip, and
    the totals vs dense tubelets of the same scale; a message instead when a tube does not fit."""
    tubes = scale_tubes(PAPER_TUBES, spatial=spatial_scale, temporal=temporal_scale)
    patch = max(1, int(round(16 * spatial_scale)))
    frames = max(1, int(round(2 * temporal_scale)))
    try:
        layout = tube_layout((num_frames, height, width), tubes)
        dense = tube_layout((num_frames, height, width), ((TubeSpec((frames, patch, patch), (frames, patch, patch))),))
    except UserInputError as err:
        return str(err)
    lines = [f"{t.label():32s} grid {g} -> {n} tokens" for t, g, n in zip(tubes, layout.grids, layout.tokens_per_tube)]
    lines.append(f"total {layout.num_tokens} tube tokens vs {dense.num_tokens} dense {frames}x{patch}x{patch} tubelets "
                 f"({dense.num_tokens / layout.num_tokens:.1f}x)")
    return "\n".join(lines)
