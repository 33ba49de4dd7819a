"""Pictures of merged groups: ToMe's visualisation, extended across the frames of a segment.

After facebookresearch/ToMe `tome/vis.py` make_visualization (REFERENCE.md §2.3, re-implemented): every
group (merged token) is filled with the mean colour of all its pixels, over every frame it spans, and
its outline is painted in the group's own colour. Boundaries are found by comparing neighbouring
labels instead of scipy's binary erosion, which gives the same 1-pixel inner border for all groups at once.
"""
from __future__ import annotations

import numpy as np

from lib.viz.palette import PALETTE


def label_pixels(assignment: np.ndarray, frames: int, grid: tuple[int, int], height: int, width: int) -> np.ndarray:
    """(F * P,) token index per patch -> (F, H, W) token index per pixel (nearest patch)."""
    rows, cols = grid
    labels = np.asarray(assignment).reshape(frames, rows, cols)
    ys = np.minimum(np.arange(height) * rows // height, rows - 1)
    xs = np.minimum(np.arange(width) * cols // width, cols - 1)
    return labels[:, ys][:, :, xs]


def _borders(labels: np.ndarray, *, both_sides: bool = True) -> np.ndarray:
    """(F, H, W) labels -> bool mask of pixels next to another group (right/lower side too if both_sides,
    else only pixels whose left or upper neighbour differs: 1-pixel lines)."""
    edge = np.zeros(labels.shape, dtype=bool)
    diff_x = labels[:, :, 1:] != labels[:, :, :-1]
    diff_y = labels[:, 1:, :] != labels[:, :-1, :]
    edge[:, :, 1:] |= diff_x
    edge[:, 1:, :] |= diff_y
    if both_sides:
        edge[:, :, :-1] |= diff_x
        edge[:, :-1, :] |= diff_y
    return edge


def group_picture(frames: np.ndarray, assignment: np.ndarray, grid: tuple[int, int], *,
                  palette: np.ndarray = PALETTE) -> np.ndarray:
    """ToMe-style groups on a segment's frames.

    frames: (F, H, W, 3) uint8; assignment: (F * P,) token index of each patch (frame-major).
    Returns (F, H, W, 3) uint8: each group's pixels in the group's mean colour (over all its frames),
    its border in palette[1 + token index] (entry 0 is black), the colour `hex_colour(k + 1)` gives too.
    """
    f, h, w, _ = frames.shape
    labels = label_pixels(assignment, f, grid, h, w)
    flat = labels.reshape(-1)
    count = np.bincount(flat)
    means = np.stack([np.bincount(flat, weights=frames[..., c].reshape(-1), minlength=count.size)
                      for c in range(3)], axis=1) / np.maximum(count, 1)[:, None]
    out = means[labels].round().astype(np.uint8)  # (F, H, W, 3)
    edge = _borders(labels, both_sides=False)
    out[edge] = palette[1 + labels[edge] % (len(palette) - 1)]
    return out


def highlight_sources(frames: np.ndarray, assignment: np.ndarray, token: int, grid: tuple[int, int], *,
                      colour: tuple[int, int, int] = (255, 40, 40), dim: float = 0.3) -> np.ndarray:
    """Frames (F, H, W, 3) with the source patches of `token` kept bright and outlined, the rest dimmed."""
    f, h, w, _ = frames.shape
    mine = label_pixels(np.asarray(assignment) == token, f, grid, h, w)  # (F, H, W) bool
    out = frames.astype(np.float32)
    out[~mine] *= dim
    out = out.round().astype(np.uint8)
    edge = _borders(mine.astype(np.int64)) & mine
    out[edge] = colour
    return out
