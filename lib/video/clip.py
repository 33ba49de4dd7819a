"""The `Clip`: sampled, resized frames of one video plus where they came from."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lib.frames import HasFrames


@dataclass(frozen=True)
class VideoInfo:
    """What a container says about a video, read without decoding frames."""

    path: str
    num_frames: int
    fps: float
    height: int
    width: int

    @property
    def duration(self) -> float:
        """Seconds, from frame count and fps."""
        return self.num_frames / self.fps if self.fps > 0 else 0.0


@dataclass(frozen=True)
class Clip(HasFrames):
    """Frames sampled from a video (num_frames, height, width: see HasFrames).

    frames:        (T, H, W, 3) uint8 RGB, already resized.
    fps:           frame rate of the source video (frames per second).
    indices:       (T,) int64 source frame index of every sampled frame.
    timestamps:    (T,) float64 seconds of every sampled frame in the source.
    original_size: (height, width) of the source video before resizing.
    duration:      seconds of the whole source video.
    source:        path of the source file, or None for generated clips.
    segments:      (num_segments, frames_per_segment) positions into `frames` when sampled by
                   segments, else None.
    """

    frames: np.ndarray
    fps: float
    indices: np.ndarray
    timestamps: np.ndarray
    original_size: tuple[int, int]
    duration: float
    source: str | None = None
    segments: np.ndarray | None = field(default=None)

    def facts(self) -> dict[str, str]:
        """Human-readable facts for display (resolution, fps, duration, frames sampled)."""
        oh, ow = self.original_size
        return {
            "resolution": f"{ow}x{oh}",
            "analysed at": f"{self.width}x{self.height}",
            "fps": f"{self.fps:.2f}",
            "duration": f"{self.duration:.2f} s",
            "frames sampled": f"{self.num_frames}",
        }

    @classmethod
    def from_frames(cls, frames: np.ndarray, fps: float = 25.0, source: str | None = None) -> "Clip":
        """Wrap in-memory frames (T, H, W, 3) uint8 as a clip sampled at every frame."""
        frames = np.ascontiguousarray(frames, dtype=np.uint8)
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError(f"frames must be (T, H, W, 3), got {frames.shape}")
        t = frames.shape[0]
        idx = np.arange(t, dtype=np.int64)
        return cls(frames=frames, fps=float(fps), indices=idx, timestamps=idx / float(fps),
                   original_size=(frames.shape[1], frames.shape[2]), duration=t / float(fps), source=source)
