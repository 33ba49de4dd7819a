"""Token geometry: which (t, h, w) cell of the video each token of a transformer stands for."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TokenGrid:
    """A regular grid of video tokens, optionally preceded by `num_prefix` extra tokens (CLS, registers).

    t, h, w:   grid size in tokens along time, height and width.
    tubelet:   (frames, pixels, pixels) that one token covers, e.g. (2, 16, 16) for VideoMAE.
    num_prefix: tokens before the grid in the sequence; they map to no cell.

    Token order in the sequence is prefix, then row-major (t, h, w), as in VideoMAE and ViViT.
    """

    t: int
    h: int
    w: int
    tubelet: tuple[int, int, int] = (1, 1, 1)
    num_prefix: int = 0

    @property
    def num_cells(self) -> int:
        return self.t * self.h * self.w

    @property
    def num_tokens(self) -> int:
        return self.num_prefix + self.num_cells

    def index(self, t: int, h: int, w: int) -> int:
        """Sequence index of the token at grid cell (t, h, w)."""
        if not (0 <= t < self.t and 0 <= h < self.h and 0 <= w < self.w):
            raise IndexError(f"cell {(t, h, w)} outside grid {(self.t, self.h, self.w)}")
        return self.num_prefix + (t * self.h + h) * self.w + w

    def coords(self, index: int) -> tuple[int, int, int]:
        """Grid cell (t, h, w) of sequence index `index`; raises for prefix tokens."""
        i = index - self.num_prefix
        if not 0 <= i < self.num_cells:
            raise IndexError(f"token {index} is not a grid token")
        t, rem = divmod(i, self.h * self.w)
        h, w = divmod(rem, self.w)
        return t, h, w

    def cell_of_pixel(self, frame: int, y: int, x: int) -> tuple[int, int, int]:
        """Grid cell that covers pixel (y, x) of input frame `frame`."""
        ft, fy, fx = self.tubelet
        return (min(frame // ft, self.t - 1), min(y // fy, self.h - 1), min(x // fx, self.w - 1))

    def pixel_box(self, t: int, h: int, w: int) -> tuple[int, int, int, int, int, int]:
        """(frame0, frame1, y0, y1, x0, x1) half-open pixel extent of a cell in the model's input."""
        ft, fy, fx = self.tubelet
        return (t * ft, (t + 1) * ft, h * fy, (h + 1) * fy, w * fx, (w + 1) * fx)

    def to_volume(self, values: np.ndarray) -> np.ndarray:
        """Per-token values (..., num_tokens) or (..., num_cells) -> (..., t, h, w), prefix dropped."""
        values = np.asarray(values)
        n = values.shape[-1]
        if n == self.num_tokens:
            values = values[..., self.num_prefix:]
        elif n != self.num_cells:
            raise ValueError(f"expected {self.num_tokens} or {self.num_cells} values, got {n}")
        return values.reshape(*values.shape[:-1], self.t, self.h, self.w)
