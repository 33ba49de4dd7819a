"""Overlays of per-pixel maps on frames: heatmaps and label masks. Pure array -> uint8 image."""
from __future__ import annotations

import cv2
import numpy as np
from matplotlib import colormaps

from lib.viz.palette import PALETTE


def _as_rgb(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.ndim == 2:
        frame = np.repeat(frame[..., None], 3, axis=-1)
    if frame.ndim != 3 or frame.shape[-1] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got {frame.shape}")
    if frame.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {frame.dtype}")
    return frame


def resize_map(values: np.ndarray, height: int, width: int, *, nearest: bool = False) -> np.ndarray:
    """Resize a 2-D map (h, w) to (height, width); nearest keeps labels and hard cell borders."""
    values = np.asarray(values)
    if values.shape == (height, width):
        return values
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    src = values.astype(np.float32) if not nearest else values
    if nearest and values.dtype not in (np.uint8, np.int16, np.uint16, np.float32, np.int32):
        src = values.astype(np.int32)
    return cv2.resize(src, (width, height), interpolation=interp)


def colourise(values: np.ndarray, *, cmap: str = "inferno", vmin: float | None = None,
              vmax: float | None = None) -> np.ndarray:
    """Map a 2-D float array to (h, w, 3) uint8 with a matplotlib colour map.

    vmin/vmax fix the colour scale (pass the same ones to compare two maps); default: the map's range.
    """
    values = np.asarray(values, dtype=np.float32)
    lo = float(np.nanmin(values)) if vmin is None else float(vmin)
    hi = float(np.nanmax(values)) if vmax is None else float(vmax)
    scaled = np.clip((values - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.zeros_like(values)
    lut = (colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255).round().astype(np.uint8)
    return lut[np.nan_to_num(scaled * 255).astype(np.uint8)]


def overlay_heatmap(frame: np.ndarray, heat: np.ndarray, *, alpha: float = 0.5, cmap: str = "inferno",
                    vmin: float | None = None, vmax: float | None = None, nearest: bool = False) -> np.ndarray:
    """Blend a heatmap over a frame.

    frame: (H, W, 3) uint8. heat: (h, w) float, any size; resized to the frame (nearest=True keeps
    token cells visible). Returns (H, W, 3) uint8.
    """
    frame = _as_rgb(frame)
    h, w = frame.shape[:2]
    heat = resize_map(np.asarray(heat, dtype=np.float32), h, w, nearest=nearest)
    colour = colourise(heat, cmap=cmap, vmin=vmin, vmax=vmax)
    out = (1 - alpha) * frame.astype(np.float32) + alpha * colour.astype(np.float32)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def mask_borders(mask: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels whose right or lower neighbour has another label."""
    mask = np.asarray(mask)
    edge = np.zeros(mask.shape, dtype=bool)
    edge[:, :-1] |= mask[:, :-1] != mask[:, 1:]
    edge[:-1, :] |= mask[:-1, :] != mask[1:, :]
    return edge


def overlay_mask(frame: np.ndarray, mask: np.ndarray, *, alpha: float = 0.5, palette: np.ndarray = PALETTE,
                 borders: bool = True, ignore: int | None = 0) -> np.ndarray:
    """Colour every labelled pixel of `mask` with its palette colour over `frame`.

    frame: (H, W, 3) uint8. mask: (h, w) int labels (resized with nearest neighbour); label `ignore`
    (background) stays untinted. Returns (H, W, 3) uint8.
    """
    frame = _as_rgb(frame)
    h, w = frame.shape[:2]
    labels = resize_map(np.asarray(mask).astype(np.int32), h, w, nearest=True)
    colours = palette[np.mod(labels, len(palette))].astype(np.float32)
    tint = np.ones((h, w), dtype=bool) if ignore is None else labels != ignore
    out = frame.astype(np.float32)
    out[tint] = (1 - alpha) * out[tint] + alpha * colours[tint]
    if borders:
        edge = mask_borders(labels)
        out[edge] = colours[edge] if ignore is None else np.where(tint[edge][:, None], colours[edge], 255.0)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def blend_heat(frame: np.ndarray, heat: np.ndarray, vmax: float) -> np.ndarray:
    """Colour-mapped heat over the frame, more opaque where attention is higher, so the frame stays
    readable where a token gets none (e.g. outside its local window)."""
    h, w = frame.shape[:2]
    heat = resize_map(np.asarray(heat, np.float32), h, w, nearest=True)
    level = np.clip(heat / vmax, 0.0, 1.0)[..., None] if vmax > 0 else np.zeros((h, w, 1), np.float32)
    colour = colourise(heat, vmin=0.0, vmax=vmax).astype(np.float32)
    alpha = 0.15 + 0.7 * np.sqrt(level)
    return np.clip((1 - alpha) * frame.astype(np.float32) + alpha * colour + 0.5, 0, 255).astype(np.uint8)
