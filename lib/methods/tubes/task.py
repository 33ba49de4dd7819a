"""Tubes tab / notebook: run a TubeViT on a clip, and render its kernels, sampling, costs, codes and pooling.

    result = run_tubes("clip.mp4")                      # model + paper tubes on the clip's own shape
    result = update_tubes(result, [TubeSpec(...), ...])  # user-edited tubes: geometry and costs only
    render_kernels(result); render_sampling(result, frame=0); render_volume(result); render_costs(result)
    render_position(result, token=0); render_prediction(result)
"""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from lib.errors import UserInputError
from lib.methods.tubes.cost import EncoderSize, TokeniserCost, compare_tokenisers
from lib.methods.tubes.geometry import PAPER_TUBES, TubeLayout, TubeSpec, tube_layout, tubes_from_lists
from lib.methods.tubes.position import cosine_similarity_to, sincos_3d
from lib.methods.tubes.render_images import (
    kernel_animation,
    kernel_tile,
    pooling_overlays,
    sampling_panels,
    similarity_figure,
    tube_colour,
    volume_figure,
)
from lib.viz import hex_colour

DEFAULT_MODEL = "tubevit-tiny-toy"
INFLATED_MODEL = "tubevit-b-from-vit-in1k"  # built from the registry's ViT-B/16, not a registry entry itself
HUB_VIT = "vit-b16-in1k"
TUBE_MODELS = ("tubevit-tiny-toy", "vivit-dense-tiny-toy", INFLATED_MODEL)


@dataclass(frozen=True)
class TubesResult:
    """Everything the Tubes tab shows for one clip.

    frames:       (T, H, W, 3) uint8 clip as analysed (its own aspect ratio, short side e.g. 224).
    layout:       the analysed tubes on frames' shape (T, H, W); costs: tokens/GFLOPs of three tokenisers.
    position:     (N, D) fixed sin-cos codes of layout's tokens (D = encoder.dim).
    model_name, class_names; probabilities (classes,) softmax of the model's logits.
    model_layout: the model's own tubes on its input shape; kernels: per model tube (D, C, t, h, w).
    pool_weights: (N_model,) attention-pooling weight of each model token (sums to 1).
    crop:         (y0, y1, x0, x1) of frames that the model saw (it centre-crops to its aspect ratio).
    model_frames: (T_model,) index into frames of each frame the model saw.
    """

    frames: np.ndarray
    layout: TubeLayout
    costs: tuple[TokeniserCost, ...]
    encoder: EncoderSize
    position: np.ndarray
    model_name: str
    class_names: tuple[str, ...]
    probabilities: np.ndarray
    model_layout: TubeLayout
    kernels: tuple[np.ndarray, ...]
    pool_weights: np.ndarray
    crop: tuple[int, int, int, int]
    model_frames: np.ndarray

    @property
    def pool_by_tube(self) -> np.ndarray:
        """(num model tubes,) total pooling weight of each tube's tokens."""
        return np.bincount(self.model_layout.token_tube, weights=self.pool_weights,
                           minlength=len(self.model_layout.tubes))


@functools.lru_cache(maxsize=2)
def _inflated_vit_b() -> torch.nn.Module:
    from lib.methods.tubes.hub import tubevit_from_vit
    from lib.models import load_model

    return tubevit_from_vit(load_model(HUB_VIT)).to(next(load_model(HUB_VIT).parameters()).device)


def load_tube_model(name: str) -> torch.nn.Module:
    """A bundled tube model from the registry, or TubeViT-B inflated from the registry's ViT-B/16 (cached).

    Raises UserInputError for other names and ModelUnavailableError when weights cannot be had (offline hub).
    """
    from lib.models import load_model

    if name not in TUBE_MODELS:
        raise UserInputError(f"Choose one of the tube models: {', '.join(TUBE_MODELS)}.")
    return _inflated_vit_b() if name == INFLATED_MODEL else load_model(name)


def _centre_crop(height: int, width: int, aspect: float) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1) of the largest centred box of aspect width/height = aspect."""
    if width / height > aspect:
        w = int(round(height * aspect))
        return 0, height, (width - w) // 2, (width - w) // 2 + w
    h = int(round(width / aspect))
    return (height - h) // 2, (height - h) // 2 + h, 0, width


def _analysis(frames: np.ndarray, tubes: Sequence[TubeSpec], encoder: EncoderSize, patch: int
              ) -> tuple[TubeLayout, tuple[TokeniserCost, ...], np.ndarray]:
    layout = tube_layout(frames.shape[:3], tubes)
    costs = compare_tokenisers(frames.shape[:3], tubes, patch=patch, size=encoder)
    return layout, costs, sincos_3d(layout.centres, encoder.dim)


def run_tubes(video: str | np.ndarray, *, model_name: str = DEFAULT_MODEL, tubes: Sequence[TubeSpec] | None = None,
              num_frames: int = 32, short_side: int = 224, patch: int = 16,
              encoder: EncoderSize = EncoderSize()) -> TubesResult:
    """Load `video` (path, or (T, H, W, 3) uint8 frames), run `model_name` on it, lay out `tubes` on its shape.

    Tubes default to the paper's four; costs and position codes use `encoder` (ViT-B). Raises UserInputError
    for a clip the tubes do not fit and for unknown models; ModelUnavailableError when weights are missing.
    """
    from lib.methods.tubes.model import video_input
    from lib.video import load_clip

    if isinstance(video, str):
        frames = load_clip(video, num_frames=num_frames, short_side=short_side).frames
    else:
        frames = np.asarray(video)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise UserInputError(f"Expected frames shaped (T, H, W, 3); got {frames.shape}.")
    layout, costs, position = _analysis(frames, tuple(tubes or PAPER_TUBES), encoder, patch)
    model = load_tube_model(model_name)
    t, h, w = model.input_shape
    crop = _centre_crop(frames.shape[1], frames.shape[2], w / h)
    with torch.no_grad():
        out = model.forward_features(video_input(frames, model).to(next(model.parameters()).device))
    picks = np.floor((np.arange(t) + 0.5) * len(frames) / t).astype(int)  # as video_input picks frames
    return TubesResult(frames=frames, layout=layout, costs=costs, encoder=encoder, position=position,
                       model_name=model_name, class_names=tuple(model.class_names),
                       probabilities=out.logits.softmax(-1)[0].cpu().numpy(), model_layout=out.layout,
                       kernels=tuple(model.kernels()), pool_weights=out.pool_weights[0].cpu().numpy(),
                       crop=crop, model_frames=picks)


def update_tubes(result: TubesResult, tubes: Sequence[TubeSpec] | Sequence[Sequence[Sequence[int]]],
                 *, patch: int = 16) -> TubesResult:
    """The same result with another tube list analysed (geometry, costs, codes); the model is not re-run."""
    specs = tuple(t if isinstance(t, TubeSpec) else tubes_from_lists([t])[0] for t in tubes)
    layout, costs, position = _analysis(result.frames, specs, result.encoder, patch)
    return dataclasses.replace(result, layout=layout, costs=costs, position=position)


def render_kernels(result: TubesResult, *, channels: int = 8, order: str = "norm") -> list[tuple[np.ndarray, str]]:
    """Per model tube an image: rows = output channels (most interesting first), columns = temporal slices."""
    images = []
    for i, (tube, weight) in enumerate(zip(result.model_layout.tubes, result.kernels)):
        kind = "2-D image patch kernel" if tube.is_image_tube else "3-D tube kernel"
        images.append((kernel_tile(weight, channels=channels, order=order),
                       f"tube {i}: {tube.label()} ({kind}); top {channels} of {weight.shape[0]} by {order}"))
    return images


def render_kernel_animation(result: TubesResult, *, channels: int = 8, order: str = "norm") -> np.ndarray:
    """(S, H, W, 3) uint8 frames: every model tube's top kernels played through their time slices."""
    labels = [f"tube {i} {t.label()}" for i, t in enumerate(result.model_layout.tubes)]
    return kernel_animation(result.kernels, labels, channels=channels, order=order)


def render_sampling(result: TubesResult, frame: int, token: int | None = None) -> np.ndarray:
    """Frame `frame` once per analysed tube, with the boxes its tokens read there (white: one token)."""
    if not 0 <= frame < len(result.frames):
        raise UserInputError(f"Frame must be between 0 and {len(result.frames) - 1}.")
    return sampling_panels(result.frames[frame], result.layout, frame, token)


def render_volume(result: TubesResult) -> go.Figure:
    """3-D wireframe of every analysed token's extent in the clip's T x H x W volume."""
    return volume_figure(result.layout)


def render_costs(result: TubesResult) -> tuple[list[list], go.Figure]:
    """Table rows (tokeniser, tokens, GFLOPs, x sparse) and a bar chart of tokens and GFLOPs."""
    sparse = result.costs[0]
    rows = [[c.name, c.tokens, round(c.gflops, 2), round(c.gflops / sparse.gflops, 1)] for c in result.costs]
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
                      ) -> tuple[dict[str, float], np.ndarray, go.Figure]:
    """Top-k classes; pooling-weight heat maps on `count` of the frames the model saw; pooling weight per tube."""
    order = np.argsort(-result.probabilities)[:top_k]
    top = {result.class_names[i]: float(result.probabilities[i]) for i in order}
    y0, y1, x0, x1 = result.crop
    shown = np.unique(np.linspace(0, len(result.model_frames) - 1, count).round().astype(int))
    frames = result.frames[:, y0:y1, x0:x1]
    overlay = pooling_overlays(frames, result.model_layout, result.pool_weights,
                               [int(result.model_frames[m]) for m in shown], [int(m) for m in shown])
    shares = result.pool_by_tube
    labels = [f"{i}: {t.label()}" for i, t in enumerate(result.model_layout.tubes)]
    fig = go.Figure(go.Bar(x=labels, y=shares, marker_color=[hex_colour(i + 1) for i in range(len(shares))],
                           text=[f"{s:.0%} of weight, {n} tokens" for s, n in
                                 zip(shares, result.model_layout.tokens_per_tube)]))
    fig.update_layout(height=300, margin=dict(l=40, r=20, t=40, b=40), yaxis=dict(title="pooling weight", range=[0, 1]),
                      title="which tubes the attention pooling relied on")
    return top, overlay, fig


def describe_scaled_tubes(num_frames: int = 32, height: int = 224, width: int = 224, spatial_scale: float = 1.0,
                          temporal_scale: float = 1.0) -> str:
    """One text line per paper tube (scaled) with its token grid on a (num_frames, height, width) clip, and
    the totals vs dense tubelets of the same scale; a message instead when a tube does not fit."""
    from lib.methods.tubes.geometry import scale_tubes

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


__all__ = ["DEFAULT_MODEL", "TUBE_MODELS", "TubesResult", "describe_scaled_tubes", "load_tube_model", "render_costs",
           "render_kernel_animation", "render_kernels", "render_position", "render_prediction", "render_sampling", "render_volume", "run_tubes",
           "tube_colour", "update_tubes"]
