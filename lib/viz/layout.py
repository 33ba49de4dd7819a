"""Arranging images: tiles, filmstrips, labels. Pure array -> uint8 image."""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np


def resize_to_height(image: np.ndarray, height: int) -> np.ndarray:
    """Resize (H, W, 3) uint8 to the given height, keeping aspect."""
    h, w = image.shape[:2]
    if h == height:
        return image
    width = max(1, round(w * height / h))
    interp = cv2.INTER_AREA if height < h else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interp)


def tile(images: Sequence[np.ndarray], *, cols: int | None = None, pad: int = 2,
         background: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """Grid of images (each (h, w, 3) uint8, sizes may differ; cells take the largest size).

    cols defaults to ceil(sqrt(n)). Returns (rows*(H+pad)-pad, cols*(W+pad)-pad, 3) uint8.
    """
    if len(images) == 0:
        raise ValueError("tile() needs at least one image")
    images = [np.repeat(i[..., None], 3, -1) if i.ndim == 2 else i for i in images]
    n = len(images)
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    ch = max(i.shape[0] for i in images)
    cw = max(i.shape[1] for i in images)
    out = np.empty((rows * (ch + pad) - pad, cols * (cw + pad) - pad, 3), dtype=np.uint8)
    out[:] = background
    for k, img in enumerate(images):
        r, c = divmod(k, cols)
        y, x = r * (ch + pad), c * (cw + pad)
        out[y:y + img.shape[0], x:x + img.shape[1]] = img
    return out


def put_label(image: np.ndarray, text: str, *, corner: str = "top-left", scale: float = 0.4) -> np.ndarray:
    """Copy of `image` with `text` on a dark box in a corner (readable on any content)."""
    out = image.copy()
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    h, w = out.shape[:2]
    x = 2 if "left" in corner else max(0, w - tw - 4)
    y = 2 if "top" in corner else max(0, h - th - base - 4)
    cv2.rectangle(out, (x, y), (min(w - 1, x + tw + 2), min(h - 1, y + th + base + 2)), (0, 0, 0), -1)
    cv2.putText(out, text, (x + 1, y + th + 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def filmstrip(frames: np.ndarray, *, count: int = 8, height: int = 96, labels: Sequence[str] | None = None,
              pad: int = 2, label_corner: str = "bottom-left") -> np.ndarray:
    """One row of `count` frames picked uniformly from (T, H, W, 3) uint8, each resized to `height`.

    labels: optional text per shown frame (e.g. timestamps). Returns (height, ~count*W', 3) uint8.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or len(frames) == 0:
        raise ValueError(f"expected frames (T, H, W, 3), got {frames.shape}")
    t = len(frames)
    count = min(count, t)
    picks = np.linspace(0, t - 1, count).round().astype(int)
    shown = [resize_to_height(frames[i], height) for i in picks]
    if labels is not None:
        if len(labels) != count:
            raise ValueError(f"got {len(labels)} labels for {count} frames")
        shown = [put_label(img, text, corner=label_corner) for img, text in zip(shown, labels)]
    return tile(shown, cols=count, pad=pad)


def filmstrip_positions(num_frames: int, count: int = 8) -> np.ndarray:
    """Which frame indices `filmstrip` shows for a clip of num_frames frames."""
    count = min(count, num_frames)
    return np.linspace(0, num_frames - 1, count).round().astype(int)
