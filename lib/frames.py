"""`HasFrames`: the sizes of anything that holds a stack of RGB frames (T, H, W, 3).

Shared by `lib.video.Clip` and `lib.toyworld.ToyClip`. It lives outside both packages so that the toy
world stays importable without the video I/O stack (decord, PyAV).
"""
from __future__ import annotations

import numpy as np


class HasFrames:
    """Mixin for (frozen) dataclasses with a `frames` field: (T, H, W, 3) uint8 RGB."""

    frames: np.ndarray

    @property
    def num_frames(self) -> int:
        """T, the number of frames."""
        return int(self.frames.shape[0])

    @property
    def height(self) -> int:
        """H, frame height in pixels."""
        return int(self.frames.shape[1])

    @property
    def width(self) -> int:
        """W, frame width in pixels."""
        return int(self.frames.shape[2])
