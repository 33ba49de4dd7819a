"""Drawing boxes and grids on frames (token cells, local-attention windows, tube extents)."""
from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from lib.viz.palette import colour_for


def draw_boxes(frame: np.ndarray, boxes: Sequence[tuple[int, int, int, int]], *,
               colours: Sequence[tuple[int, int, int]] | None = None, thickness: int = 1) -> np.ndarray:
    """Copy of (H, W, 3) uint8 `frame` with rectangles; each box is (y0, y1, x0, x1), half-open pixels."""
    out = np.ascontiguousarray(frame).copy()
    for k, (y0, y1, x0, x1) in enumerate(boxes):
        colour = colours[k] if colours is not None else colour_for(k + 1)
        cv2.rectangle(out, (int(x0), int(y0)), (int(x1) - 1, int(y1) - 1), tuple(int(c) for c in colour),
                      thickness)
    return out


def draw_grid(frame: np.ndarray, rows: int, cols: int, *, colour: tuple[int, int, int] = (255, 255, 255),
              thickness: int = 1) -> np.ndarray:
    """Copy of `frame` with a rows x cols grid of lines (token cells or windows)."""
    out = np.ascontiguousarray(frame).copy()
    h, w = out.shape[:2]
    for r in range(1, rows):
        y = round(r * h / rows)
        cv2.line(out, (0, y), (w - 1, y), colour, thickness)
    for c in range(1, cols):
        x = round(c * w / cols)
        cv2.line(out, (x, 0), (x, h - 1), colour, thickness)
    return out
