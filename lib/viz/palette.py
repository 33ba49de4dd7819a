"""A fixed colour palette so that class / group / token k has the same colour everywhere."""
from __future__ import annotations

import colorsys

import numpy as np


def _build_palette(n: int = 256) -> np.ndarray:
    """(n, 3) uint8. Entry 0 is black (background); then well-separated hues by the golden ratio."""
    colours = np.zeros((n, 3), dtype=np.uint8)
    # The first entries are hand-picked for contrast (tab10-like), the rest spread over hue.
    base = [(0, 0, 0), (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
            (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212),
            (0, 128, 128), (220, 190, 255), (170, 110, 40), (255, 250, 200), (128, 0, 0)]
    colours[: len(base)] = base
    golden = 0.618033988749895
    for i in range(len(base), n):
        h = (i * golden) % 1.0
        s = 0.55 + 0.4 * ((i * 7) % 5) / 4
        v = 0.65 + 0.35 * ((i * 3) % 4) / 3
        colours[i] = np.round(np.array(colorsys.hsv_to_rgb(h, s, v)) * 255)
    return colours


PALETTE: np.ndarray = _build_palette()
PALETTE.setflags(write=False)


def colour_for(index: int) -> tuple[int, int, int]:
    """RGB colour of label `index` (wraps around past 255, skipping black)."""
    i = int(index)
    if i > 0:
        i = 1 + (i - 1) % (len(PALETTE) - 1)
    return tuple(int(c) for c in PALETTE[i])


def hex_colour(index: int) -> str:
    """'#rrggbb' of label `index`, for plotly."""
    r, g, b = colour_for(index)
    return f"#{r:02x}{g:02x}{b:02x}"
