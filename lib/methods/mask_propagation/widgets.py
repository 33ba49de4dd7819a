"""Notebook quick look: propagate a clip with given settings and show one labelled strip (ipywidgets.interact)."""
from __future__ import annotations

from PIL import Image

from lib.methods.mask_propagation.render import render_preview
from lib.methods.mask_propagation.result import PropagationClip
from lib.methods.mask_propagation.task import BUNDLED_SEGMENTOR, run_on_frames


def preview(clip: PropagationClip, flow: str = "mpvss", k: int = 5, segmentor: str = BUNDLED_SEGMENTOR,
            max_frames: int = 16) -> Image.Image:
    """Propagate the first `max_frames` frames of `clip` (so that widgets answer quickly) and return
    render_preview's strip of the frame farthest from its key frame as a PIL image."""
    truth = None if clip.ground_truth is None else clip.ground_truth[:max_frames]
    result = run_on_frames(clip.frames[:max_frames], segmentor=segmentor, flow=flow, k=min(k, max_frames),
                           fps=clip.fps, ground_truth=truth)
    return Image.fromarray(render_preview(result))
