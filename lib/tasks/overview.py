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
        rows.insert(4, ["frames in file", str(self.num_source_frames)])
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
