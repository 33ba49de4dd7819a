"""Optical-flow colouring: direction -> hue, magnitude -> saturation (the usual colour wheel)."""
from __future__ import annotations

import cv2
import numpy as np


def flow_to_rgb(flow: np.ndarray, *, max_magnitude: float | None = None) -> np.ndarray:
    """(H, W, 2) float flow (dx, dy) in pixels -> (H, W, 3) uint8.

    Hue is the direction (right = red, down = yellow-green, left = cyan, up = violet); saturation
    grows with magnitude, white is no motion. max_magnitude fixes the scale (default: the largest
    magnitude in this flow), so pass the same value to compare two fields.
    """
    flow = np.asarray(flow, dtype=np.float32)
    if flow.ndim != 3 or flow.shape[-1] != 2:
        raise ValueError(f"expected flow (H, W, 2), got {flow.shape}")
    dx, dy = flow[..., 0], flow[..., 1]
    mag = np.sqrt(dx * dx + dy * dy)
    scale = float(mag.max()) if max_magnitude is None else float(max_magnitude)
    sat = np.clip(mag / scale, 0, 1) if scale > 0 else np.zeros_like(mag)
    angle = (np.degrees(np.arctan2(dy, dx)) % 360.0) / 2.0  # OpenCV hue is 0..180
    hsv = np.stack([angle, sat * 255, np.full_like(mag, 255)], axis=-1).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def colour_wheel(size: int = 64) -> np.ndarray:
    """(size, size, 3) uint8 legend: the colour of every flow vector inside the unit disc."""
    r = (np.arange(size) - (size - 1) / 2) / ((size - 1) / 2)
    xx, yy = np.meshgrid(r, r)
    wheel = flow_to_rgb(np.stack([xx, yy], -1), max_magnitude=1.0)
    wheel[xx * xx + yy * yy > 1.0] = 255
    return wheel
