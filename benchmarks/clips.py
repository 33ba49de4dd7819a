"""Real-size clips for the hub-model rehearsal: a camera panning and zooming over a real photograph.

Made procedurally (lib.toyworld.photo_pan_clip, matplotlib's grace_hopper.jpg) at the size a visitor's
phone or web video has, written as H.264 with lib.video.write_mp4 into a cache folder (never committed):

    from benchmarks.clips import make_clip, benchmark_clips
    path = make_clip(seconds=4, width=640, height=360)          # reused when already written
    clips = benchmark_clips()   # {"640x360 10 s": path, "1280x720 5 s": path}, the issue-17 benchmark pair
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

# The two clips of issue 17's "Done when": label -> (seconds, width, height).
BENCHMARK_CLIPS: dict[str, tuple[float, int, int]] = {
    "640x360 10 s": (10.0, 640, 360),
    "1280x720 5 s": (5.0, 1280, 720),
}
FPS = 25.0


def clip_folder() -> Path:
    """$VIDEO_EXPLORER_CLIP_CACHE, or a folder in the system temp dir (kept between runs)."""
    folder = Path(os.environ.get("VIDEO_EXPLORER_CLIP_CACHE") or Path(tempfile.gettempdir()) / "video-explorer-clips")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def make_clip(*, seconds: float, width: int, height: int, fps: float = FPS, seed: int = 0,
              folder: str | Path | None = None) -> Path:
    """An H.264 MP4 of `seconds` x `fps` frames of width x height (a photo under camera motion); cached by name."""
    folder = Path(folder) if folder is not None else clip_folder()
    folder.mkdir(parents=True, exist_ok=True)
    frames = int(round(seconds * fps))
    path = folder / f"photo_pan_{width}x{height}_{frames}f_{fps:g}fps_seed{seed}.mp4"
    if path.is_file() and path.stat().st_size > 0:
        return path
    from lib.toyworld import photo_pan_clip
    from lib.video import write_mp4

    clip = photo_pan_clip(frames, height, width, seed, fps=fps)
    partial = path.with_suffix(".partial.mp4")
    write_mp4(clip.frames, partial, fps=fps)
    partial.replace(path)
    return path


def benchmark_clips(folder: str | Path | None = None, *, quick: bool = False) -> dict[str, Path]:
    """The benchmark clips by label; `quick` makes 2 s versions of the same sizes instead."""
    return {label if not quick else f"{w}x{h} 2 s": make_clip(seconds=2.0 if quick else s, width=w, height=h,
                                                              folder=folder)
            for label, (s, w, h) in BENCHMARK_CLIPS.items()}
