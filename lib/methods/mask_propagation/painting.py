"""Reading the user's painting: the paint editor's value <-> one RGBA brush layer over the first frame.

Input parsing, not drawing: segmentors.labels_from_painting then turns the layer into region labels.
The editor value is Gradio ImageEditor's dict {"background", "layers", "composite"} of numpy images.
"""
from __future__ import annotations

import numpy as np


def merge_painting(editor: dict | None) -> np.ndarray | None:
    """The brush layers of an ImageEditor value merged into one (H, W, 4) uint8 RGBA image, later layers on
    top (None when nothing is painted). RGB layers count as fully opaque."""
    if not editor or not editor.get("layers"):
        return None
    layers = [np.asarray(layer) for layer in editor["layers"] if layer is not None]
    if not layers:
        return None
    merged = np.zeros((*layers[0].shape[:2], 4), np.uint8)
    for layer in layers:
        opaque = np.full((*layer.shape[:2], 1), 255, np.uint8)
        rgba = layer if layer.shape[-1] == 4 else np.concatenate([layer, opaque], -1)
        merged = np.where(rgba[..., 3:] > 0, rgba, merged)
    return merged


def editor_value(frame: np.ndarray) -> dict:
    """An ImageEditor value with `frame` (H, W, 3) uint8 under the brush and nothing painted yet."""
    return {"background": frame, "layers": [], "composite": frame}
