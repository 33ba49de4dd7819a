"""The shared video chooser's view of a clip: a filmstrip and its facts."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lib.video import Clip, load_clip, probe_video
from lib.viz import filmstrip


@dataclass(frozen=True)
class VideoOverview:
    """A quick look at a video: a few frames and what the container says."""

    clip: Clip
    num_source_frames: int

    def facts(self) -> list[list[str]]:
        """Rows of (fact, value) for a table."""
        rows = [["file", Path(self.clip.source).name if self.clip.source else "(in memory)"]]
        rows += [[k, v] for k, v in self.clip.facts().items()]
        rows.insert(5, ["frames in file", str(self.num_source_frames)])
        return rows


def run_overview(path: str, *, num_frames: int = 8, short_side: int = 128) -> VideoOverview:
    """Decode `num_frames` uniformly sampled frames of the video at `path` (raises VideoError)."""
    info = probe_video(path)
    clip = load_clip(path, num_frames=num_frames, short_side=short_side)
    return VideoOverview(clip=clip, num_source_frames=info.num_frames)


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
    from lib.viz import flow_to_rgb, overlay_mask, put_label, tile

    frame = frames[t]
    field = flow[t] if t < len(flow) else np.zeros(frame.shape[:2] + (2,), np.float32)
    scale = max_magnitude if max_magnitude is not None else float(np.abs(flow).max() or 1.0)
    panels = [put_label(frame, f"frame {t}"), put_label(overlay_mask(frame, semantic[t], alpha=0.6), "classes"),
              put_label(flow_to_rgb(field, max_magnitude=scale), "flow to next")]
    return tile(panels, cols=3)
