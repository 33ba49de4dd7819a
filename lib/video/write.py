"""Write frames to files a browser can play: H.264 MP4 (PyAV) and animated GIF (Pillow).

There is no ffmpeg binary here and OpenCV's wheel has no H.264 encoder, so every video shown in
the browser goes through `write_mp4` (libx264 via PyAV, yuv420p, even width and height).
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image


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


def _pad_even(frame: np.ndarray) -> np.ndarray:
    """Pad (H, W, 3) to even H and W by repeating the last row/column (yuv420p needs even sizes)."""
    h, w = frame.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return frame
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def write_mp4(frames: np.ndarray, path: str | Path, fps: float = 25.0, *, crf: int = 23,
              preset: str = "medium", keyframe_interval: int | None = None) -> Path:
    """Encode frames as an H.264 (libx264, yuv420p) MP4 that browsers and Gradio play.

    frames:            (T, H, W, 3) uint8 RGB. Odd H or W is padded by one edge row/column.
    fps:               frames per second of the output (> 0).
    crf:               x264 quality, 0 (lossless-ish) .. 51 (worst); 23 is x264's default.
    preset:            x264 speed/size trade-off ("ultrafast" .. "veryslow").
    keyframe_interval: frames between keyframes; default about 2 s, so seeking stays cheap
                       for decoders such as decord that decode from the previous keyframe.
    Returns the path written.
    """
    frames = _check_frames(frames)
    fps = _check_fps(fps)
    if not 0 <= int(crf) <= 51:
        raise ValueError(f"crf must be in 0..51, got {crf}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames.shape[1] + frames.shape[1] % 2, frames.shape[2] + frames.shape[2] % 2
    gop = keyframe_interval if keyframe_interval is not None else max(1, round(2 * fps))

    # faststart moves the index to the front so the browser can start playing before the end arrives.
    with av.open(str(path), mode="w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = int(gop)
        stream.options = {"crf": str(int(crf)), "preset": preset}
        for frame in frames:
            video_frame = av.VideoFrame.from_ndarray(_pad_even(frame), format="rgb24")
            container.mux(stream.encode(video_frame.reformat(format="yuv420p")))
        container.mux(stream.encode())  # flush delayed frames
    return path


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
