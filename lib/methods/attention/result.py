"""The result type of the Attention tab: what `run_attention` returns and every render_* function reads.

Kept apart from task.py so that render.py and widgets.py can use it without importing models or torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only: render must not pull in the recorder (lib.hooks, torch)
    from lib.methods.attention.clip_window import ClipWindow
    from lib.methods.attention.detection import Detection, Segment
    from lib.methods.attention.record import ModelView


@dataclass(frozen=True)
class AttentionResult:
    """Everything the Attention tab shows for one clip.

    frames:        (T, D, D, 3) uint8 model-input frames (centre-cropped square) at display size D.
    input_size:    side of the model's input in pixels (query pixels are scaled from D to it).
    source_frames: (T,) source frame index of every input frame; fps of the source.
    main, twin:    the model's view and, for STPT with compare, the all-global twin's view.
    detections:    STPT detections over the analysed span (source frames), per model name.
    ground_truth:  toy-world segments of the clip when known (source frames), else empty.
    span:          (first, end) source frames the detector covered.
    window:        for a pretrained video model, the part of the video it saw (its trained clip length and
                   spacing; ClipWindow.start / end in seconds), None otherwise (STPT, a Clip handed in).
    """

    frames: np.ndarray
    input_size: int
    source_frames: np.ndarray
    fps: float
    main: ModelView
    twin: ModelView | None = None
    detections: dict[str, tuple[Detection, ...]] = field(default_factory=dict)
    ground_truth: tuple[Segment, ...] = ()
    span: tuple[int, int] = (0, 0)
    labels: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    window: ClipWindow | None = None

    @property
    def views(self) -> tuple[ModelView, ...]:
        return (self.main,) if self.twin is None else (self.main, self.twin)

    def query_pixel(self, y: float, x: float) -> tuple[int, int]:
        """Display pixel (y, x) -> model-input pixel."""
        scale = self.input_size / self.frames.shape[1]
        return int(min(y * scale, self.input_size - 1)), int(min(x * scale, self.input_size - 1))
