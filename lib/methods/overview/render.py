"""Pictures of the shared video chooser: the filmstrip of a clip and a toy clip's ground truth."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lib.viz import filmstrip, flow_to_rgb, overlay_mask, put_label, tile

if TYPE_CHECKING:
    from lib.methods.overview.task import VideoOverview


def render_overview(overview: VideoOverview, *, height: int = 112) -> np.ndarray:
    """(height, W, 3) uint8 filmstrip of the sampled frames, each labelled with its time in seconds."""
    clip = overview.clip
    labels = [f"{t:.1f}s" for t in clip.timestamps]
    return filmstrip(clip.frames, count=clip.num_frames, height=height, labels=labels)


def render_ground_truth(frames: np.ndarray, semantic: np.ndarray, flow: np.ndarray, t: int,
                        *, max_magnitude: float | None = None) -> np.ndarray:
    """Frame t next to its class map overlay and its forward-flow colours (zero flow on the last frame).

    frames (T, H, W, 3) uint8; semantic (T, H, W) int; flow (T-1, H, W, 2) float pixels.
    Returns (H, 3W + 4, 3) uint8.
    """
    frame = frames[t]
    field = flow[t] if t < len(flow) else np.zeros(frame.shape[:2] + (2,), np.float32)
    scale = max_magnitude if max_magnitude is not None else float(np.abs(flow).max() or 1.0)
    panels = [put_label(frame, f"frame {t}"), put_label(overlay_mask(frame, semantic[t], alpha=0.6), "classes"),
              put_label(flow_to_rgb(field, max_magnitude=scale), "flow to next")]
    return tile(panels, cols=3)
