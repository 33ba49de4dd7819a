"""Write frames to files a browser can play: H.264 MP4 (PyAV) and animated GIF (Pillow).

There is no ffmpeg binary here and OpenCV's wheel has no H.264 encoder, so every video shown in
the browser goes through `write_mp4` (libx264 via PyAV, yuv420p, even width and height).
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

MAX_ENCODED_SIDE = 16384  # libx264 refuses to open an encoder for a wider or taller picture (measured: 16386 fails)


def _check_frames(frames: np.ndarray) -> np.ndarray:
    """Return `frames` as a contiguous (T, H, W, 3) uint8 array or raise a ValueError that says why."""
    arr = np.asarray(frames)
    if arr.ndim != 4 or arr.shape[-1] != 3:
        raise ValueError(f"frames must be a (T, H, W, 3) RGB array, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 in [0, 255], got dtype {arr.dtype}; "
                         "convert with (x * 255).clip(0, 255).astype(np.uint8)")
    if arr.shape[0] == 0 or arr.shape[1] == 0 or arr.shape[2] == 0:
        raise ValueError(f"frames must hold at least one non-empty frame, got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def _check_fps(fps: float) -> float:
    fps = float(fps)
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive number, got {fps}")
    return fps


def _encodable_size(height: int, width: int) -> tuple[int, int]:
    """(height, width) shrunk, aspect kept, until both sides fit libx264 (<= MAX_ENCODED_SIDE)."""
    scale = min(1.0, (MAX_ENCODED_SIDE - 1) / max(height, width))  # -1: room for the even padding
    return max(1, int(height * scale)), max(1, int(width * scale))


def _pad_even(frame: np.ndarray) -> np.ndarray:
    """Pad (H, W, 3) to even H and W by repeating the last row/column (yuv420p needs even sizes)."""
    h, w = frame.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return frame
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


class Mp4Writer:
    """Write an H.264 (libx264, yuv420p) MP4 one frame at a time, for videos too long to hold.

    with Mp4Writer(path, fps=2.0, preset="ultrafast") as writer:
        for frame in frames:          # (H, W, 3) uint8 RGB, all the same size
            writer.write(frame)

    The size comes from the first frame; odd H or W is padded by one edge row/column; a frame with a side
    over libx264's 16,384 px is shrunk (area averaging, aspect kept) instead of failing.
    crf: x264 quality, 0 (best) .. 51 (worst); preset: "ultrafast" .. "veryslow";
    keyframe_interval: exact frames between keyframes (x264's extra scene-cut keyframes are then
    turned off). Default: at most about 2 s, scene cuts allowed, so seeking stays cheap for
    decoders such as decord that decode forward from the previous keyframe.
    """

    def __init__(self, path: str | Path, fps: float = 25.0, *, crf: int = 23, preset: str = "medium",
                 keyframe_interval: int | None = None) -> None:
        self.fps = _check_fps(fps)
        if not 0 <= int(crf) <= 51:
            raise ValueError(f"crf must be in 0..51, got {crf}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._options = {"crf": str(int(crf)), "preset": preset}
        if keyframe_interval:
            self._options["x264-params"] = "scenecut=0"
        self._gop = int(keyframe_interval) if keyframe_interval else max(1, round(2 * self.fps))
        self._size: tuple[int, int] | None = None  # (H, W) of the input frames
        # faststart moves the index to the front so a browser can play before the download ends.
        self._container = av.open(str(self.path), mode="w", options={"movflags": "+faststart"})
        self._stream = None
        self.frames_written = 0

    def write(self, frame: np.ndarray) -> None:
        """Append one (H, W, 3) uint8 RGB frame."""
        frame = _check_frames(np.asarray(frame)[None])[0]
        if self._stream is None:
            self._size = frame.shape[:2]
            self._encoded = _encodable_size(*self._size)
            stream = self._container.add_stream("libx264", rate=Fraction(self.fps).limit_denominator(1001))
            height, width = self._encoded
            stream.height, stream.width = height + height % 2, width + width % 2
            stream.pix_fmt = "yuv420p"
            stream.codec_context.gop_size = self._gop
            stream.options = self._options
            self._stream = stream
        elif frame.shape[:2] != self._size:
            raise ValueError(f"every frame must be {self._size}, got {frame.shape[:2]}")
        if self._encoded != self._size:
            frame = cv2.resize(frame, self._encoded[::-1], interpolation=cv2.INTER_AREA)
        video_frame = av.VideoFrame.from_ndarray(_pad_even(frame), format="rgb24")
        self._container.mux(self._stream.encode(video_frame.reformat(format="yuv420p")))
        self.frames_written += 1

    def close(self) -> None:
        """Flush delayed frames and finish the file. A writer that got no frame raises ValueError."""
        if self._container is None:
            return
        try:
            if self._stream is not None:
                self._container.mux(self._stream.encode())
        finally:
            self._container.close()
            self._container = None
        if self._stream is None:
            self.path.unlink(missing_ok=True)
            raise ValueError("no frames were written; an MP4 needs at least one frame")

    def __enter__(self) -> "Mp4Writer":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
            return
        try:  # already failing: finish the file quietly so the original error is the one raised
            self.close()
        except Exception:
            pass


def write_mp4(frames: np.ndarray, path: str | Path, fps: float = 25.0, *, crf: int = 23,
              preset: str = "medium", keyframe_interval: int | None = None) -> Path:
    """Encode frames as an H.264 (libx264, yuv420p) MP4 that browsers and Gradio play.

    frames: (T, H, W, 3) uint8 RGB, T >= 1. Odd H or W is padded by one edge row/column.
    fps:    frames per second of the output (> 0). Other options as in `Mp4Writer`.
    Returns the path written.
    """
    frames = _check_frames(frames)
    with Mp4Writer(path, fps, crf=crf, preset=preset, keyframe_interval=keyframe_interval) as writer:
        for frame in frames:
            writer.write(frame)
    return writer.path


def write_gif(frames: np.ndarray, path: str | Path, fps: float = 10.0, *, loop: int = 0) -> Path:
    """Write frames as an animated GIF (adaptive 256-colour palette per frame).

    frames: (T, H, W, 3) uint8 RGB.
    fps:    frames per second; GIF stores delays in 10 ms steps, so it is rounded to that.
    loop:   0 loops forever; n plays n extra times.
    Returns the path written.
    """
    frames = _check_frames(frames)
    fps = _check_fps(fps)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images = [Image.fromarray(frame, mode="RGB") for frame in frames]
    duration_ms = max(10, int(round(1000.0 / fps / 10.0)) * 10)
    # disposal=2 clears each frame before the next so palettes do not bleed between frames.
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:],
                   duration=duration_ms, loop=loop, disposal=2, optimize=False)
    return path
