"""A corpus of bad and odd video files, generated deterministically from a seed (no file is stored).

    files = build_corpus(tmp_path, seed=16, count=1000)   # -> list[CorpusFile], about 36 per kind
    sample = stratified(files, per_kind=4)                # every kind, the same files for the same seed

Kinds: damaged files (truncated, byte-flipped, zeroed header, index cut off, two files glued together),
files that are not videos (images, text, archives, random bytes, empty, audio only), odd geometry (one
frame, 2x2, extreme aspect ratios, 1080p), odd timing (zero, tiny and absurd frame rates, variable frame
rate, missing and jumping timestamps), odd formats (other codecs and containers, wrong extensions,
10-bit, 4:4:4, interlaced, rotation metadata, extra streams), and odd names (long, unicode, punctuation).
Each file is a few KB; 1,000 take about 30 s to write on 2 cores.
"""
from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from tests.bad_inputs_media import audio_bytes, encode, image_bytes, patch_timescale, rotate_mp4, tar_bytes, zip_bytes

__all__ = ["KINDS", "CorpusFile", "build_corpus", "encode", "rotate_mp4", "stratified"]



@dataclass(frozen=True)
class CorpusFile:
    """One generated file: its kind (see KINDS), where it lies, and whether it is a usable video."""

    kind: str
    path: Path
    video: bool  # True when the app should give a result (a valid if odd video), False for a sentence



def _small(rng: np.random.Generator, **kw) -> bytes:
    least = 8 if kw.get("codec") == "libsvtav1" else 3  # SVT-AV1 needs at least 64x64
    return encode(rng, height=int(rng.integers(least, max(8, least + 1))) * 8,
                  width=int(rng.integers(max(4, least), max(10, least + 2))) * 8, n=int(rng.integers(4, 16)), **kw)


_NAMES = ["vidéo été.mp4", "视频 测试.mp4", "видео.mp4", "وידאו.mp4", "🎞️ clip 🎬.mp4", "a'b\"c.mp4", "50% #1?.mp4",
          "-leading-dash.mp4", "spaces   inside .mp4", "semi;colon&amp.mp4", "CAPS.MP4", "no_extension",
          "dots...mp4", "tab\there.mp4", "ñandú.mov", "Ω≈ç√.mp4"]


# kind -> (generator(rng, i) -> (file name, bytes), is a usable video)
def _kinds() -> dict[str, tuple[Callable[[np.random.Generator, int], tuple[str, bytes]], bool]]:
    def trunc(rng, i):
        data = _small(rng)
        return "truncated.mp4", data[:max(1, int(len(data) * rng.uniform(0.02, 0.9)))]

    def flipped(rng, i):
        data = bytearray(_small(rng))
        for at in rng.integers(48, len(data), int(rng.integers(1, 400))):
            data[at] ^= int(rng.integers(1, 256))
        return "flipped.mp4", bytes(data)

    def zeroed(rng, i):
        data = bytearray(_small(rng))
        data[:int(rng.integers(4, 200))] = bytes(int(rng.integers(4, 200)))[:len(data)] or b"\0"
        return "zeroed.mp4", bytes(data)[:len(data)]

    def no_index(rng, i):  # moov at the end (no faststart) cut away
        data = _small(rng)
        at = data.rfind(b"moov")
        return "no_index.mp4", data[:at - 4] if at > 4 else data[: len(data) // 2]

    def glued(rng, i):
        return "glued.mp4", _small(rng) + _small(rng)

    def image(rng, i):
        fmt = ["PNG", "JPEG", "BMP", "WEBP", "TIFF", "GIF", "ICO"][i % 7]
        return f"image_{fmt.lower()}.mp4", image_bytes(rng, fmt)

    def text(rng, i):
        choices = [b"hello, this is not a video\n" * int(rng.integers(1, 50)), b'{"video": false}',
                   b"<html><body>video</body></html>", "ünïcödé téxt".encode() * 9, b"\n\n\n", b"ftyp"]
        return "text.mp4", choices[i % len(choices)]

    def archive(rng, i):
        inner = _small(rng)
        kind = i % 3
        data = zip_bytes("clip.mp4", inner) if kind == 0 else gzip.compress(inner, mtime=0) if kind == 1 else tar_bytes(
            "clip.mp4", inner)
        return "archive.mp4", data

    def random_bytes(rng, i):
        return "random.mp4", rng.integers(0, 256, int(rng.integers(1, 40000)), dtype=np.uint8).tobytes()

    def empty(rng, i):
        return ["empty.mp4", "empty.webm", "empty.avi"][i % 3], b""

    def audio_only(rng, i):
        fmt, codec, ext = [("mp4", "aac", "mp4"), ("matroska", "libopus", "mkv"), ("wav", "pcm_s16le", "mp4"),
                           ("mp3", "libmp3lame", "mp4"), ("flac", "flac", "webm")][i % 5]
        return f"audio.{ext}", audio_bytes(rng, fmt, codec)

    def one_frame(rng, i):
        return "one_frame.mp4", _small(rng, rate=int(rng.integers(1, 60))) if False else encode(
            rng, height=int(rng.integers(2, 30)) * 4, width=int(rng.integers(2, 30)) * 4, n=1)

    def tiny(rng, i):
        h, w = [(2, 2), (2, 4), (4, 2), (4, 4), (8, 2), (2, 16), (6, 6), (16, 16)][i % 8]
        return "tiny.mp4", encode(rng, height=h, width=w, n=int(rng.integers(1, 10)))

    def extreme_aspect(rng, i):
        h, w = [(16, 4000), (4000, 16), (16, 2000), (2000, 16), (16, 200), (200, 16), (8, 1024), (32, 512)][i % 8]
        return "aspect.mp4", encode(rng, height=h, width=w, n=3)

    def large(rng, i):
        h, w = [(1080, 1920), (1920, 1080), (1088, 1440)][i % 3]
        return "large.mp4", encode(rng, height=h, width=w, n=2)

    def odd_fps(rng, i):
        rate = [Fraction(1, 100), Fraction(1, 3), Fraction(30000, 1001), 240, 1000, 120000, Fraction(7, 2)][i % 7]
        return "odd_fps.mp4", _small(rng, rate=rate)

    def zero_fps(rng, i):
        return "zero_fps.mp4", patch_timescale(_small(rng), [0, 1, 0xFFFFFFFF][i % 3])

    def vfr(rng, i):
        steps = np.cumsum(rng.integers(1, 8, 40))
        return ["vfr.mkv", "vfr.mp4"][i % 2], _small(rng, fmt=["matroska", "mp4"][i % 2],
                                                      pts=lambda k: int(steps[k]))

    def timestamps(rng, i):
        mode = i % 3
        if mode == 0:  # raw H.264 elementary stream: no container, no timestamps
            return "raw.h264", _small(rng, fmt="h264")
        if mode == 1:  # a huge jump in the middle
            return "jump.mkv", _small(rng, fmt="matroska", pts=lambda k: k if k < 4 else k + 10 ** 7)
        return "start_late.mp4", _small(rng, pts=lambda k: k + 10 ** 6)  # first frame 11 hours in

    def other_codec(rng, i):
        codec, fmt, ext, pix = [("mpeg4", "avi", "avi", "yuv420p"), ("mjpeg", "avi", "avi", "yuvj420p"),
                                ("libvpx-vp9", "webm", "webm", "yuv420p"), ("libvpx", "webm", "webm", "yuv420p"),
                                ("ffv1", "matroska", "mkv", "yuv420p"), ("mpeg2video", "mpegts", "ts", "yuv420p"),
                                ("gif", "gif", "gif", "rgb8"), ("libsvtav1", "mp4", "mp4", "yuv420p"),
                                ("prores_ks", "mov", "mov", "yuv422p10le")][i % 9]
        return f"codec.{ext}", _small(rng, codec=codec, fmt=fmt, pix_fmt=pix)

    def wrong_extension(rng, i):
        return ["clip.avi", "clip.webm", "clip.mov", "clip.mkv", "clip.txt", "clip.jpg", "clip"][i % 7], _small(rng)

    def ten_bit(rng, i):
        return "ten_bit.mp4", _small(rng, pix_fmt=["yuv420p10le", "yuv444p", "yuv422p", "yuv444p10le"][i % 4])

    def interlaced(rng, i):
        return "interlaced.mp4", _small(rng, options={"x264-params": ["interlaced=1:tff=1", "fake-interlaced=1",
                                                                       "interlaced=1:bff=1"][i % 3]})

    def rotated(rng, i):
        return "rotated.mp4", rotate_mp4(_small(rng), [90, 180, 270][i % 3])

    def extra_streams(rng, i):
        return "with_audio.mp4", _small(rng, audio=True)

    def long_name(rng, i):
        stem = "x" * int(rng.integers(120, 200)) if i % 2 else "é" * int(rng.integers(60, 100))
        return f"{stem}.mp4", _small(rng)

    def unicode_name(rng, i):
        return _NAMES[i % len(_NAMES)], _small(rng)

    def valid(rng, i):
        return "valid.mp4", _small(rng)

    return {
        "truncated": (trunc, False), "byte_flipped": (flipped, False), "zeroed_header": (zeroed, False),
        "no_index": (no_index, False), "glued": (glued, True), "image": (image, False), "text": (text, False),
        "archive": (archive, False), "random_bytes": (random_bytes, False), "empty": (empty, False),
        "audio_only": (audio_only, False), "one_frame": (one_frame, True), "tiny": (tiny, True),
        "extreme_aspect": (extreme_aspect, False), "large": (large, True), "odd_fps": (odd_fps, True),
        "zero_fps": (zero_fps, True), "vfr": (vfr, True), "timestamps": (timestamps, True),
        "other_codec": (other_codec, True), "wrong_extension": (wrong_extension, True), "ten_bit": (ten_bit, True),
        "interlaced": (interlaced, True), "rotated": (rotated, True), "extra_streams": (extra_streams, True),
        "long_name": (long_name, True), "unicode_name": (unicode_name, True), "valid": (valid, True),
    }


KINDS = tuple(_kinds())
def build_corpus(folder: str | Path, *, seed: int = 16, count: int = 1000) -> list[CorpusFile]:
    """Write `count` files (the kinds in turn, each file from its own seeded generator) under `folder`."""
    folder = Path(folder)
    kinds = _kinds()
    files = []
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        make, video = kinds[kind]
        index = n // len(KINDS)
        rng = np.random.default_rng([seed, n])
        name, data = make(rng, index)
        target = folder / f"{n:04d}" / name  # one folder per file: names repeat across files
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        files.append(CorpusFile(kind=kind, path=target, video=video))
    return files


def stratified(files: list[CorpusFile], per_kind: int) -> list[CorpusFile]:
    """The first `per_kind` files of every kind (in corpus order)."""
    taken: dict[str, int] = {}
    out = []
    for f in files:
        if taken.get(f.kind, 0) < per_kind:
            taken[f.kind] = taken.get(f.kind, 0) + 1
            out.append(f)
    return out
