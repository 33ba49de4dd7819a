"""A one-hour 1080p 25 fps H.264 file (90,000 frames) is sampled in bounded time and under 1 GB of decode RSS.

The file is made cheaply: one 10 s GOP (a gradient with a square that moves once a second) is encoded once and
its packets repeated with shifted timestamps: 9 MB, about 10 s to write. The decode runs in a child process so
its peak RSS is its own. Measured on the 2-core machine (busy): decord (the app's path) 16 frames in 4.8 s at
285 MB, 64 frames in 24 s at 405 MB; PyAV seek + decode of the same frames 7.0 s / 104 MB and 11.0 s / 119 MB.
"""
from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
RSS_LIMIT_MB = 1024


def write_hour(path: Path, *, seconds: int = 3600, fps: int = 25, gop_s: int = 10, height: int = 1080,
               width: int = 1920) -> Path:
    """`seconds` of `height` x `width` H.264 at `fps`, keyframe every `gop_s` s (see the module docstring)."""
    gop = fps * gop_s
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([xx * 255 // width, yy * 255 // height, np.full_like(xx, 128)], -1).astype(np.uint8)
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.height, stream.width, stream.pix_fmt = height, width, "yuv420p"
        stream.codec_context.gop_size = gop
        stream.options = {"preset": "ultrafast", "crf": "40",
                          "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0"}
        packets = []
        for i in range(gop):
            picture = base.copy()
            x = (i // fps) * (width // 12)
            picture[height // 3:height // 3 + 160, x:x + 160] = 255
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            packets += stream.encode(frame)
        packets += stream.encode()
        time_base = packets[0].time_base
        shift = int(round(Fraction(gop, fps) / time_base))
        for rep in range(seconds // gop_s):
            for packet in packets:
                copy = av.Packet(bytes(packet))
                copy.time_base, copy.pts, copy.dts = time_base, packet.pts + rep * shift, packet.dts + rep * shift
                copy.is_keyframe, copy.stream = packet.is_keyframe, stream
                out.mux(copy)
    return path


# The child reads VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forked parent, so under a big
# pytest process (CI) it reported the parent's 3.6 GB.
_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
from lib.video import load_clip
start = time.perf_counter()
clip = load_clip({path!r}, num_frames={n}, short_side=224)
print(json.dumps({{"seconds": time.perf_counter() - start, "shape": list(clip.frames.shape), "fps": clip.fps,
                  "duration": clip.duration, "first": float(clip.timestamps[0]), "last": float(clip.timestamps[-1]),
                  "rss_mb": int(next(line.split()[1] for line in open("/proc/self/status")
                                     if line.startswith("VmHWM:"))) / 1024}}))
"""


def sample_in_child(path: Path, num_frames: int) -> dict:
    code = _CHILD.format(root=str(REPO_ROOT), path=str(path), n=num_frames)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def hour(tmp_path_factory) -> Path:
    return write_hour(tmp_path_factory.mktemp("hour") / "hour_1080p25.mp4")


def test_short_version_of_the_generator_is_what_it_says(tmp_path):
    path = write_hour(tmp_path / "twenty_seconds.mp4", seconds=20, height=180, width=320)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.frames, stream.average_rate, stream.width, stream.height) == (500, 25, 320, 180)


@pytest.mark.slow
def test_one_hour_1080p25_is_sampled_under_1_gb(hour):
    result = sample_in_child(hour, 16)
    print("one hour 1080p25, 16 frames:", result)
    assert result["shape"] == [16, 224, 398, 3] and result["fps"] == 25
    assert abs(result["duration"] - 3600) < 1 and result["first"] < 200 and result["last"] > 3400
    assert result["rss_mb"] < RSS_LIMIT_MB
    assert result["seconds"] < 120  # bounded: 4.8 s measured; a full decode of 90,000 frames takes far longer
