"""What decoding a video will cost, predicted from the header's geometry before any frame is decoded.

A 4000x16 video scaled to a 224 px short side is 56,000 px wide: its frames, filmstrips and overlay videos
outgrow encoders (WebP 16,383 px, libx264 16,384 px) and the server's memory. Such shapes, and frames too
large to decode within the budget, are refused here with a sentence, from the container header alone.
"""
from __future__ import annotations

from dataclasses import dataclass

from lib.video.errors import VideoError

MAX_ASPECT = 8.0  # longest side / shortest side; ultra-wide 32:9 is 3.6, a 2:1 panorama 2
MAX_SIDE = 8192  # pixels; 8K UHD is 7680x4320
MAX_PIXELS = 7680 * 4320  # pixels of one source frame (8K UHD)
DECODE_BUDGET_BYTES = 1 << 30  # predicted peak of one decode
DIRECT_PIXELS = 1920 * 1088  # sources up to this are decoded at full size; larger ones scaled to it by decord
# Measured (decord2 3.4.0, 2 cores): decord keeps about this many frames of its output size in flight
# (1080p: 393 MB for 16 sampled frames, 66 MB of it the process), and the codec about this many reference
# frames of the source size in YUV 4:2:0 (8K scaled to 1080p: 381 MB).
_OUTPUT_FRAMES_HELD = 52
_SOURCE_FRAMES_HELD = 8


@dataclass(frozen=True)
class DecodeCost:
    """Predicted memory of decoding a video of this geometry, from the header alone.

    frame_bytes: one decoded RGB frame at the source size (height * width * 3).
    peak_bytes:  predicted peak of a decode: decord's frames in flight (at the source size, or scaled to
                 DIRECT_PIXELS for larger sources) plus the codec's reference frames at the source size.
    """

    height: int
    width: int
    frame_bytes: int
    peak_bytes: int

    @property
    def aspect(self) -> float:
        """Longest side over shortest side (>= 1)."""
        return max(self.height, self.width) / max(1, min(self.height, self.width))


def decode_cost(height: int, width: int) -> DecodeCost:
    """The DecodeCost of a `height` x `width` video (source size, as the header says)."""
    pixels = int(height) * int(width)
    peak = _OUTPUT_FRAMES_HELD * min(pixels, DIRECT_PIXELS) * 3 + _SOURCE_FRAMES_HELD * pixels * 3 // 2
    return DecodeCost(height=int(height), width=int(width), frame_bytes=pixels * 3, peak_bytes=peak)


def check_geometry(height: int, width: int, name: str) -> DecodeCost:
    """The cost of decoding `name`, or VideoError (a sentence) when its shape or size cannot be analysed."""
    if height < 1 or width < 1:
        raise VideoError(f"'{name}' says its frames are {width}x{height} pixels, which is impossible (a damaged "
                         "header); re-export the video or upload it again.")
    cost = decode_cost(height, width)
    if cost.aspect > MAX_ASPECT:
        shape = "wider than tall" if width > height else "taller than wide"
        raise VideoError(f"'{name}' is {width}x{height} pixels, {cost.aspect:.0f} times {shape}; this app "
                         f"analyses videos up to {MAX_ASPECT:.0f}:1, so crop it to a less extreme shape "
                         "(e.g. 16:9) and upload again.")
    if max(height, width) > MAX_SIDE or height * width > MAX_PIXELS or cost.peak_bytes > DECODE_BUDGET_BYTES:
        raise VideoError(f"'{name}' is {width}x{height} pixels, larger than the 7680x4320 (8K) this app can "
                         "decode within its memory budget; downscale it (e.g. to 1920x1080) and upload again.")
    return cost
