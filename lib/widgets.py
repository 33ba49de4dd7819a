"""ipywidgets for the notebooks, built on the same render functions as the app's tabs."""
from __future__ import annotations

from collections.abc import Callable

import cv2
import ipywidgets as widgets
import numpy as np


def png_bytes(image: np.ndarray) -> bytes:
    """(H, W, 3) uint8 RGB -> PNG bytes."""
    ok, buf = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("could not encode the image as PNG")
    return buf.tobytes()


def image_widget(image: np.ndarray) -> widgets.Image:
    """An ipywidgets Image showing (H, W, 3) uint8 RGB."""
    return widgets.Image(value=png_bytes(image), format="png")


def frame_viewer(render: Callable[[int], np.ndarray], num_frames: int, *, description: str = "frame",
                 start: int = 0) -> widgets.VBox:
    """A slider over frames 0..num_frames-1 and the image `render(t)` for the chosen frame."""
    slider = widgets.IntSlider(value=start, min=0, max=max(0, num_frames - 1), description=description,
                               continuous_update=False)
    view = image_widget(render(start))

    def _update(change: dict) -> None:
        view.value = png_bytes(render(int(change["new"])))

    slider.observe(_update, names="value")
    return widgets.VBox([slider, view])
