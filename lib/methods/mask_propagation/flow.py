"""Classic flows for the propagation baselines: OpenCV DIS optical flow (DFF-style) and no flow at all.

Both return *backward* flows (current -> key) in pixels, the convention of lib.methods.mask_propagation.warp.
"""
from __future__ import annotations

import cv2
import numpy as np

DIS_PRESETS = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
               "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}


def _grey(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.ndim == 2:
        return frame.astype(np.uint8)
    return cv2.cvtColor(frame.astype(np.uint8), cv2.COLOR_RGB2GRAY)


def dis_flow(current: np.ndarray, key: np.ndarray, *, preset: str = "medium") -> np.ndarray:
    """OpenCV DIS optical flow from `current` to `key`: (H, W, 2) float32 (dx, dy) in pixels.

    current, key: (H, W, 3) uint8 RGB (or (H, W) grey). current(x) ~ key(x + flow(x)), so warping the
    key frame's masks with this flow moves them to the current frame.
    """
    if preset not in DIS_PRESETS:
        raise ValueError(f"preset must be one of {sorted(DIS_PRESETS)}, got {preset!r}")
    a, b = _grey(current), _grey(key)
    if a.shape != b.shape:
        raise ValueError(f"frames differ in size: {a.shape} vs {b.shape}")
    dis = cv2.DISOpticalFlow_create(DIS_PRESETS[preset])
    return dis.calc(a, b, None).astype(np.float32)


def zero_flow(height: int, width: int) -> np.ndarray:
    """The no-flow baseline: (H, W, 2) float32 zeros, i.e. copy the key-frame mask unchanged."""
    return np.zeros((height, width, 2), np.float32)
