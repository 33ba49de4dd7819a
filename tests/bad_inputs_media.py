"""Bytes of small media files for the bad-input corpus (tests/bad_inputs_corpus.py): videos encoded with PyAV,
audio, still images, archives, and byte-level edits of MP4 boxes (timescale, display matrix)."""
from __future__ import annotations

import io
import os
import struct
import tarfile
import zipfile
from collections.abc import Callable
from fractions import Fraction

import av
import numpy as np
from PIL import Image

os.environ.setdefault("SVT_LOG", "1")  # SVT-AV1 prints its whole configuration for every file otherwise
_BITEXACT = {"fflags": "+bitexact"}  # no random segment UID or date in Matroska / WebM: the same bytes every run


def _frames(rng: np.random.Generator, n: int, height: int, width: int) -> np.ndarray:
    """(n, height, width, 3) uint8: a gradient with a moving square, different per seed."""
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([xx * 255 // max(1, width - 1), yy * 255 // max(1, height - 1),
                     np.full_like(xx, int(rng.integers(0, 255)))], -1).astype(np.uint8)
    out = np.repeat(base[None], n, 0)
    side = max(1, min(height, width) // 3)
    colour = rng.integers(0, 255, 3, dtype=np.uint8)
    for t in range(n):
        y = (t * 3) % max(1, height - side + 1)
        x = (t * 5) % max(1, width - side + 1)
        out[t, y:y + side, x:x + side] = colour
    return out


def encode(rng: np.random.Generator, *, height: int = 48, width: int = 64, n: int = 12, rate: Fraction | int = 25,
           codec: str = "libx264", fmt: str = "mp4", pix_fmt: str = "yuv420p", options: dict | None = None,
           pts: Callable[[int], int] | None = None, audio: bool = False, metadata: dict | None = None) -> bytes:
    """Bytes of a small video file; `pts(i)` overrides frame i's timestamp (in 1/rate units)."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt, container_options=_BITEXACT) as container:
        stream = container.add_stream(codec, rate=Fraction(rate))
        stream.height, stream.width, stream.pix_fmt = height, width, pix_fmt
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", "threads": "1", **(options or {})}
        elif codec == "libsvtav1":  # (HEVC is left out: PyAV 18.1's libx265 corrupts the heap after ~100 files)
            stream.options = {"preset": "11", **(options or {})}
        elif options:
            stream.options = options
        if codec == "libx264":
            stream.codec_context.thread_count = 1
        if metadata:
            stream.metadata.update(metadata)
        sound = container.add_stream("aac", rate=8000) if audio else None
        for i, picture in enumerate(_frames(rng, n, height, width)):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format=pix_fmt)
            if pts is not None:
                frame.pts, frame.time_base = pts(i), Fraction(1) / Fraction(rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
        if sound is not None:
            samples = (np.sin(np.arange(1024) / 5.0) * 0.3).astype(np.float32)[None]
            chunk = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="fltp", layout="mono")
            chunk.sample_rate = 8000
            container.mux(sound.encode(chunk))
            container.mux(sound.encode())
    return buf.getvalue()


def audio_bytes(rng: np.random.Generator, fmt: str, codec: str) -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt, container_options=_BITEXACT) as container:
        stream = container.add_stream(codec, rate=16000)
        samples = (np.sin(np.arange(16000) * float(rng.uniform(0.01, 0.2))) * 8000).astype(np.int16)
        layout = "mono"
        fmt_name = "s16" if codec in ("pcm_s16le", "flac") else "fltp"
        data = samples[None] if fmt_name == "s16" else (samples[None] / 32768).astype(np.float32)
        for start in range(0, 16000, 1024):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[:, start:start + 1024]), format=fmt_name,
                                               layout=layout)
            frame.sample_rate = 16000
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return buf.getvalue()


def image_bytes(rng: np.random.Generator, fmt: str) -> bytes:
    h, w = int(rng.integers(8, 64)), int(rng.integers(8, 64))
    buf = io.BytesIO()
    Image.fromarray(_frames(rng, 1, h, w)[0]).save(buf, format=fmt)
    return buf.getvalue()


def patch_timescale(data: bytes, value: int) -> bytes:
    """The MP4 with every media header's (mdhd) timescale set to `value` (0: a zero frame rate)."""
    out = bytearray(data)
    at = out.find(b"mdhd")
    while at != -1:
        version = out[at + 4]
        offset = at + 4 + 4 + (16 if version == 1 else 8)
        out[offset:offset + 4] = struct.pack(">I", value)
        at = out.find(b"mdhd", at + 4)
    return bytes(out)


def rotate_mp4(data: bytes, degrees: int) -> bytes:
    """The MP4 with its first track's display matrix (tkhd) turned by 90, 180 or 270 degrees, as phones write it."""
    out = bytearray(data)
    at = out.find(b"tkhd")
    version = out[at + 4]
    start = at + 4 + 4 + (32 if version == 1 else 20) + 8 + 8  # past times, track id, duration, layer..volume
    a, b = {90: (0, 1), 180: (-1, 0), 270: (0, -1)}[degrees]

    def fixed(v: int) -> bytes:
        return struct.pack(">i", v * 0x10000)

    out[start:start + 36] = (fixed(a) + fixed(b) + bytes(4) + fixed(-b) + fixed(a) + bytes(4) + bytes(8)
                             + struct.pack(">i", 0x40000000))
    return bytes(out)


def zip_bytes(name: str, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), payload)
    return buf.getvalue()


def tar_bytes(name: str, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as archive:
        info = tarfile.TarInfo(name)
        info.size, info.mtime = len(payload), 0
        archive.addfile(info, io.BytesIO(payload))
    return buf.getvalue()
