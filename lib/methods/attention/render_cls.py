"""The CLS token's attention on one frame, per head, and the token geometry line of a result.

    render_cls(result, layer=11, frame=3)   # (H, W, 3) uint8: mean of heads, then every head; None without a CLS
    token_geometry(result)                  # "16 frames x 256^2 px -> tubelets 2x16x16 -> 8x16x16 = 2,048 tokens ..."

The CLS-to-patch map is what DINO made famous: in a self-supervised image encoder the CLS token's heads pick out
the objects of a frame (Caron et al. 2021, Fig. 1; DINOv2, Oquab et al. 2023). Models with a CLS token in their
per-frame maps (DINOv2, and TimeSformer's spatial maps) have it; VideoMAE and V-JEPA 2 have no CLS token.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lib.errors import UserInputError
from lib.methods.attention.result import AttentionResult
from lib.viz import blend_heat, put_label, tile

if TYPE_CHECKING:
    from lib.methods.attention.maps import LayerAttention


def has_cls(layer: LayerAttention) -> bool:
    """True for per-frame maps that start with a CLS row ("space": (T, heads, 1 + H*W, 1 + H*W))."""
    g = layer.grid
    return layer.kind == "space" and layer.maps.shape[-1] == 1 + g.h * g.w


def cls_maps(layer: LayerAttention, frame: int) -> np.ndarray:
    """(heads, h, w) float32: how the CLS token of input frame `frame` spreads its attention over the frame's
    patches in each head (a row of the recorded map, CLS column dropped; each head's row sums to <= 1)."""
    if not has_cls(layer):
        raise UserInputError("This layer has no CLS token (VideoMAE and V-JEPA 2 have none); pick DINOv2 or "
                             "TimeSformer's space maps.")
    g = layer.grid
    t = min(int(frame) // g.tubelet[0], g.t - 1)
    rows = np.asarray(layer.maps[t, :, 0, 1:], np.float32)  # (heads, H*W)
    return rows.reshape(-1, g.h, g.w)


def render_cls(result: AttentionResult, *, layer: int, frame: int) -> np.ndarray | None:
    """The CLS token's attention on input frame `frame` in recorded map `layer`: the head mean, then each head,
    on one colour scale. None when that map has no CLS token (nothing to draw)."""
    view = result.main
    if not 0 <= layer < len(view.layers) or not has_cls(view.layers[layer]):
        return None
    frame = min(max(int(frame), 0), len(result.frames) - 1)
    heads = cls_maps(view.layers[layer], frame)
    maps = [heads.mean(0), *heads]
    vmax = max(float(m.max()) for m in maps) or 1.0
    image = result.frames[frame]
    panels = [put_label(blend_heat(image, m, vmax), "mean of heads" if k == 0 else f"head {k - 1}")
              for k, m in enumerate(maps)]
    return tile(panels, cols=min(len(panels), 7))


def token_geometry(result: AttentionResult) -> str:
    """One line: input frames and size -> patch/tubelet -> token grid (and tokens), from the recorded grid."""
    layer = result.main.layers[0]
    g = layer.grid
    ft, fy, fx = g.tubelet
    frames, size = len(result.frames), result.input_size
    if result.main.family == "stpt":
        return ""
    unit = f"tubelets {ft}x{fy}x{fx}" if ft > 1 else f"patches {fy}x{fx}"
    text = (f"**Tokens:** {frames} frames x {size}x{size} px -> {unit} -> a {g.t}x{g.h}x{g.w} grid = "
            f"{g.num_cells:,} tokens")
    if has_cls(layer):
        text += " + a CLS token per frame"
    if ft > 1:
        text += f"; each token covers {ft} consecutive input frames, so time is {frames // ft} steps"
    return text + "."
