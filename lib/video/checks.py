"""Tell the user what is wrong with a file that is not a usable video, and what to do about it.

decord reports bad files as RuntimeError / DECORDError with C++ source locations (and logs to
stderr), so we look at the file first with the bytes and PyAV, and explain decord's failures after.
Every function here raises or returns `VideoError`; nothing else escapes for bad input.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from lib.video.errors import VideoError

# Leading bytes of still-image formats; ISO-BMFF brands (bytes 8..12) of HEIF/AVIF stills.
_IMAGE_MAGIC = {
    b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG", b"GIF87a": "GIF", b"GIF89a": "GIF",
    b"BM": "BMP", b"II*\x00": "TIFF", b"MM\x00*": "TIFF", b"\x00\x00\x01\x00": "ICO",
}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
# PyAV's names for demuxers that read still images.
_IMAGE_DEMUXERS = {"image2", "gif", "apng", "webp_pipe", "ico"}
# Leading bytes of video containers: a file that starts like one but fails is damaged, not alien.
_VIDEO_MAGIC = (b"\x1a\x45\xdf\xa3", b"RIFF", b"OggS", b"FLV", b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3",
                b"\x30\x26\xb2\x75")
_UPLOAD_HINT = "upload a video file such as MP4 (H.264)"


@dataclass(frozen=True)
class StreamFacts:
    """What PyAV reads from the container header: the first video stream's size, codec and rate."""

    height: int
    width: int
    codec: str
    rate: float  # guessed frames per second, 0.0 when unknown
    frames: int  # frame count from the container, 0 when unknown


def _image_kind(head: bytes) -> str | None:
    """Name of the still-image format these leading bytes belong to, or None."""
    for magic, name in _IMAGE_MAGIC.items():
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF/AVIF"
    return None


def _looks_like_video(head: bytes) -> bool:
    if head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"):  # MP4 / MOV boxes
        return True
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:  # MPEG-TS sync bytes
        return True
    return head.startswith(_VIDEO_MAGIC)


def image_error(kind: str, name: str) -> VideoError:
    return VideoError(f"'{name}' is a {kind} image, not a video; {_UPLOAD_HINT}"
                      + (" (convert animated GIFs to MP4 first)." if kind == "GIF" else "."))


def check_file(path: str | Path) -> Path:
    """Raise VideoError unless `path` is an existing, non-empty file that is not a still image."""
    p = Path(path)
    if not p.exists():
        raise VideoError(f"Video file not found: '{p}'; check the path, or upload the video again.")
    if not p.is_file():
        raise VideoError(f"'{p}' is a folder, not a video file; choose a video file such as MP4.")
    if p.stat().st_size == 0:
        raise VideoError(f"The file '{p.name}' is empty (0 bytes); the upload probably failed, "
                         "so upload the video again.")
    with p.open("rb") as f:
        head = f.read(512)
    kind = _image_kind(head)
    if kind is not None:
        raise image_error(kind, p.name)
    return p


def read_stream_facts(path: Path) -> StreamFacts:
    """Open the container with PyAV (header only) and describe its first video stream.

    Raises VideoError for files that are not videos, are damaged, or have no video track.
    """
    try:
        with av.open(str(path)) as container:
            if container.format.name in _IMAGE_DEMUXERS or container.format.name.endswith("_pipe"):
                raise image_error(container.format.name.replace("_pipe", "").upper(), path.name)
            if not container.streams:  # e.g. an MP4 cut off inside its header
                raise ValueError("no streams")  # classified below from the leading bytes
            if not container.streams.video:
                raise VideoError(f"'{path.name}' has no video track (it may be audio only or an "
                                 f"empty recording); {_UPLOAD_HINT}.")
            stream = container.streams.video[0]
            if stream.codec_context is None:  # FFmpeg knows no decoder for the stream's codec tag
                raise VideoError(f"'{path.name}' uses an unknown video codec, which this app cannot decode "
                                 "(unsupported codec); re-encode it as H.264 MP4 and upload again.")
            codec = stream.codec_context.codec.canonical_name
            rate = stream.guessed_rate or stream.average_rate
            return StreamFacts(height=int(stream.height), width=int(stream.width), codec=codec,
                               rate=float(rate) if rate else 0.0, frames=int(stream.frames or 0))
    except VideoError:
        raise
    except Exception as exc:  # PyAV raises many FFmpegError subclasses, EOFError, ...
        with path.open("rb") as f:
            head = f.read(512)
        if _looks_like_video(head):
            raise VideoError(f"'{path.name}' looks like a video but is damaged or incomplete (its "
                             "header cannot be read; an interrupted upload or copy does this); "
                             "re-export the video or upload it again.") from exc
        raise VideoError(f"'{path.name}' is not a video file (no known video format found in it); "
                         f"{_UPLOAD_HINT}.") from exc


def _first_frame_decodes(path: Path, max_packets: int = 64) -> bool:
    """True when PyAV can decode at least one frame from the first `max_packets` video packets."""
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            for n, packet in enumerate(container.demux(stream)):
                try:
                    if packet.decode():
                        return True
                except av.error.FFmpegError:
                    pass  # a bad packet; try the next one
                if n >= max_packets:
                    break
    except Exception:
        return False
    return False


def explain_decode_failure(path: Path, facts: StreamFacts, exc: BaseException) -> VideoError:
    """Turn decord's failure on a file PyAV could open into a VideoError that says what to do."""
    message = str(exc)
    if "cannot find video stream" in message:
        # decord's bundled FFmpeg found no decoder for the stream that PyAV sees.
        return VideoError(f"'{path.name}' uses the {facts.codec} video codec, which this app cannot "
                          "decode (unsupported codec); re-encode it as H.264 MP4 and upload again.")
    if not _first_frame_decodes(path):
        return VideoError(f"No frame of '{path.name}' could be decoded (zero decodable frames), so "
                          "the video data is damaged; re-export or re-encode it as H.264 MP4 "
                          "and upload again.")
    return VideoError(f"'{path.name}' is damaged or incomplete (decoding failed part way, as after "
                      "an interrupted upload); re-export the video or upload it again.")
