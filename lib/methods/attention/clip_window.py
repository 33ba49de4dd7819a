"""The window of a video a pretrained video model sees: the clip length and spacing it was trained on.

    clip, window = decode_window("clip.mp4", spec, config, start=None)   # start None: the middle of the video

VideoMAE K400 was fine-tuned on 16 frames 4 apart (about 2 s at 30 fps), TimeSformer K400 on 8 frames 32 apart
(about 7.5 s): `spec.sampling` (lib.models.catalog, numbers and sources in /work/shared/CHECKPOINTS.md) says so,
lib.video.windows turns it into source frames at the video's own fps, and the frames are decoded from the source
straight through the checkpoint's resize and centre crop (lib.models.preprocess.resize_frames, short side 224).
A video longer than the window is not squeezed into it: one window is analysed, by default the middle one.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lib.models.preprocess import PreprocessConfig, resize_frames
from lib.models.spec import ModelSpec
from lib.video import Clip, load_frames, probe_video, uniform_indices, window_frames, window_indices


@dataclass(frozen=True)
class ClipWindow:
    """Which part of the video a model saw.

    start, end:  seconds of the source video the window spans (first frame to one frame past the last).
    duration:    seconds of the whole video.
    num_frames, frame_stride, trained_fps: the checkpoint's sampling (frame_stride counted at trained_fps).
    """

    start: float
    end: float
    duration: float
    num_frames: int
    frame_stride: int
    trained_fps: float

    @property
    def length(self) -> float:
        return self.end - self.start

    @property
    def covers_video(self) -> bool:
        """True when the whole video fits in the window (nothing to move)."""
        return self.length >= self.duration - 1e-6

    @property
    def latest_start(self) -> float:
        """The largest start (s) that keeps the window inside the video."""
        return max(0.0, self.duration - self.length)

    def describe(self, model: str) -> str:
        """One sentence for the result's notes."""
        trained = (f"{model} was trained on {self.num_frames} frames {self.frame_stride} apart at "
                   f"{self.trained_fps:g} fps ({(self.num_frames - 1) * self.frame_stride / self.trained_fps:.1f} s)")
        if self.covers_video:
            return (f"{trained}; this {self.duration:.1f} s video is no longer than that window, so it was read whole "
                    "(its last frame repeated where the window runs past the end).")
        return (f"{trained}; this run saw the window {self.start:.1f}-{self.end:.1f} s of the {self.duration:.1f} s "
                f"video (move it with 'Window start', 0-{self.latest_start:.1f} s).")


def middle_start(duration: float, length: float) -> float:
    """Start (s) of the window of `length` s centred in a `duration` s video (0 when it does not fit)."""
    return max(0.0, (duration - length) / 2)


def decode_window(video: str | Path, spec: ModelSpec, config: PreprocessConfig, start: float | None = None
                  ) -> tuple[Clip, ClipWindow]:
    """Decode the window of `video` that `spec.sampling` describes, starting at `start` s (None: centred).

    Frames go from the source through the checkpoint's resize and crop (`config`), never through a smaller
    analysis copy. The start is clamped so the window stays inside the video. Raises VideoError for a bad file.
    """
    sampling = spec.sampling
    info = probe_video(video)
    fps, total = float(info.fps), int(info.num_frames)
    span = window_frames(sampling, fps)  # source frames of one window
    duration = total / fps
    length = span / fps
    wanted = middle_start(duration, length) if start is None else float(start)
    indices = window_indices(sampling, fps, total, min(max(0.0, wanted), max(0.0, duration - length)))
    clip = load_frames(video, indices, transform=lambda frame: resize_frames(frame[None], config)[0])
    first = int(indices[0])
    window = ClipWindow(start=first / fps, end=(first + span) / fps, duration=duration,
                        num_frames=sampling.num_frames, frame_stride=sampling.frame_stride,
                        trained_fps=sampling.trained_fps)
    return clip, window



def decode_spread(video: str | Path, config: PreprocessConfig, count: int) -> Clip:
    """`count` frames spread evenly over the whole video (an image encoder such as DINOv2 reads each frame on its
    own, so there is no trained window), decoded from the source through the checkpoint's resize and crop."""
    info = probe_video(video)
    indices = uniform_indices(int(info.num_frames), min(int(count), int(info.num_frames)))
    return load_frames(video, indices, transform=lambda frame: resize_frames(frame[None], config)[0])
