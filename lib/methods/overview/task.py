"""The shared video chooser's view of a clip: a filmstrip and its facts."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lib.examples import Example, list_examples
from lib.video import Clip, VideoError, load_clip, probe_video


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


def run_overview(video: str | Path | Clip, *, num_frames: int = 8, short_side: int = 128) -> VideoOverview:
    """Decode `num_frames` uniformly sampled frames of `video` (raises VideoError); a Clip is used as is."""
    if isinstance(video, Clip):
        return VideoOverview(clip=video, num_source_frames=video.num_frames)
    info = probe_video(video)
    clip = load_clip(video, num_frames=num_frames, short_side=short_side)
    return VideoOverview(clip=clip, num_source_frames=info.num_frames)


def example_thumbnails(short_side: int = 128) -> list[tuple[Example, np.ndarray]]:
    """Each bundled example that decodes, with its middle frame (one frame decoded per example)."""
    found = []
    for example in list_examples():
        try:
            found.append((example, load_clip(str(example.path), num_frames=1, short_side=short_side).frames[0]))
        except VideoError:
            continue
    return found
