"""lib.video: sampling math, MP4/GIF writing, decoding with caps, and clear errors for bad files."""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from lib.errors import UserInputError
from lib.video import (
    Clip,
    Mp4Writer,
    VideoError,
    VideoInfo,
    load_clip,
    probe_video,
    segment_indices,
    uniform_indices,
    write_gif,
    write_mp4,
)
from tests import video_samples as samples

REPO_ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- writing


def test_write_mp4_is_h264_yuv420p_with_even_size(tmp_path):
    frames = samples.ramp_frames(7, 37, 51)  # odd sizes must be padded for yuv420p
    path = write_mp4(frames, tmp_path / "out.mp4", fps=12.0)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert (stream.height, stream.width) == (38, 52)
        assert float(stream.average_rate) == pytest.approx(12.0)
        assert sum(1 for _ in container.decode(video=0)) == 7


@pytest.mark.parametrize("bad, words", [
    (np.zeros((4, 8, 8), np.uint8), "(T, H, W, 3)"),
    (np.zeros((4, 8, 8, 4), np.uint8), "(T, H, W, 3)"),
    (np.zeros((4, 8, 8, 3), np.float32), "uint8"),
    (np.zeros((0, 8, 8, 3), np.uint8), "at least one"),
])
def test_writers_reject_bad_frames_clearly(tmp_path, bad, words):
    for writer in (write_mp4, write_gif):
        with pytest.raises(ValueError, match=None) as info:
            writer(bad, tmp_path / "x.out", 10.0)
        assert words in str(info.value)


def test_mp4_writer_rejects_frames_of_another_size(tmp_path):
    with pytest.raises(ValueError, match="every frame must be"):
        with Mp4Writer(tmp_path / "x.mp4", fps=5) as writer:
            writer.write(np.zeros((8, 8, 3), np.uint8))
            writer.write(np.zeros((8, 10, 3), np.uint8))


def test_gif_round_trip(tmp_path):
    frames = samples.ramp_frames(6, 24, 32)
    path = write_gif(frames, tmp_path / "anim.gif", fps=5.0)
    with Image.open(path) as image:
        assert image.n_frames == 6 and image.info["duration"] == 200 and image.info["loop"] == 0
        for t in range(6):
            image.seek(t)
            got = np.asarray(image.convert("RGB"), dtype=np.int16)
            assert got.shape == (24, 32, 3)
            assert np.abs(got - frames[t]).mean() < 4  # 256-colour palette quantisation


# ---------------------------------------------------------------- decoding


@pytest.fixture
def small_video(tmp_path) -> tuple[Path, np.ndarray]:
    path = tmp_path / "ramp.mp4"
    return path, samples.make_video(path, num_frames=20, height=48, width=64, fps=10.0)


def test_round_trip_frames_sizes_pixels_and_times(small_video):
    path, written = small_video
    clip = load_clip(path, num_frames=20, short_side=None)
    assert isinstance(clip, Clip)
    assert clip.frames.shape == (20, 48, 64, 3) and clip.frames.dtype == np.uint8
    assert clip.indices.tolist() == list(range(20))
    assert np.abs(clip.frames.astype(np.int16) - written).mean() < 3  # H.264 at crf 10
    assert clip.fps == pytest.approx(10.0) and clip.duration == pytest.approx(2.0)
    assert clip.original_size == (48, 64) and clip.source == str(path) and clip.segments is None
    assert np.all(np.diff(clip.timestamps) > 0)
    assert np.allclose(clip.timestamps, clip.indices / 10.0, atol=1e-3)


def test_probe_video_reads_header_facts(small_video):
    path, _ = small_video
    info = probe_video(path)
    assert info == VideoInfo(path=str(path), num_frames=20, fps=info.fps, height=48, width=64)
    assert info.fps == pytest.approx(10.0) and info.duration == pytest.approx(2.0)


def test_sampled_frames_are_the_right_frames_with_one_keyframe(tmp_path):
    # One keyframe for 100 frames: decord must decode forward from it and still land on each index.
    path = tmp_path / "long_gop.mp4"
    samples.make_video(path, num_frames=100, fps=25.0, keyframe_interval=100)
    with av.open(str(path)) as container:
        keyframes = sum(p.is_keyframe for p in container.demux(video=0) if p.size)
    assert keyframes == 1
    clip = load_clip(path, num_frames=7, short_side=None)
    assert clip.indices.tolist() == uniform_indices(100, 7).tolist()
    brightness = clip.frames[..., 0].reshape(7, -1).mean(axis=1)
    assert np.allclose(brightness, 2 * clip.indices, atol=2.5)  # channel 0 encodes 2 * index


@pytest.mark.parametrize("height, width, short_side, expected", [
    (48, 64, 32, (32, 43)),
    (64, 48, 32, (43, 32)),  # 48 px wide: a width decord cannot decode unaided
    (40, 16, 8, (20, 8)),
    (48, 64, 96, (96, 128)),
])
def test_resize_sets_short_side_and_keeps_aspect(tmp_path, height, width, short_side, expected):
    path = tmp_path / "v.mp4"
    samples.make_video(path, num_frames=4, height=height, width=width)
    clip = load_clip(path, num_frames=4, short_side=short_side)
    assert (clip.height, clip.width) == expected
    assert clip.original_size == (height, width)


# Widths decord cannot decode unaided (see decode._reader_and_size); 24, 32, 48 stretch first to 96, which fails too.
@pytest.mark.parametrize("width", [8, 16, 24, 32, 48, 72, 96, 144])  # (below 8 px yuv420p itself is lossy)
def test_narrow_video_decodes_to_its_own_pixels(tmp_path, width):
    path = tmp_path / "narrow.mp4"
    written = samples.make_video(path, num_frames=5, height=40, width=width)
    clip = load_clip(path, num_frames=5, short_side=None)
    assert clip.frames.shape == (5, 40, width, 3)
    assert np.abs(clip.frames.astype(np.int16) - written).mean() < 6


@pytest.mark.parametrize("height", [32, 360])  # shown 32 px wide: a width decord cannot decode unaided
def test_rotated_phone_video_is_shown_upright(tmp_path, height):
    path = samples.make_rotated_video(tmp_path / "phone.mp4", height=height, width=64)
    info = probe_video(path)
    assert (info.height, info.width) == (64, height)
    clip = load_clip(path, num_frames=2, short_side=None)
    assert clip.original_size == (64, height) and (clip.height, clip.width) == (64, height)
    bright_rows = np.where(clip.frames[0].mean(axis=(1, 2)) > 128)[0]
    assert bright_rows.min() >= 55 and bright_rows.max() == 63  # the stripe ends up at the bottom, undistorted


def test_av1_video_is_read(tmp_path):
    written = samples.make_av1(tmp_path / "av1.mp4", num_frames=3)  # decord 0.6.0 could not decode AV1
    clip = load_clip(tmp_path / "av1.mp4", num_frames=3, short_side=None)
    assert clip.frames.shape == (3, 64, 64, 3)
    assert np.abs(clip.frames.astype(np.int16) - written).mean() < 6


def test_pyav_encoders_work_when_decord_loads_first(tmp_path):
    # decord 0.6.0's bundled FFmpeg broke PyAV's libvpx encoders when it loaded first; decord2 does not.
    child = ("import decord, av, pathlib, sys; sys.path.insert(0, '.'); from tests import video_samples; "
             "video_samples.make_streamed_webm(pathlib.Path(sys.argv[1]), num_frames=3)")  # libvpx
    done = subprocess.run([sys.executable, "-c", child, str(tmp_path / "w.webm")], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_streamed_webm_without_duration_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "scratch"))
    (tmp_path / "scratch").mkdir()
    path = tmp_path / "webcam.webm"
    written = samples.make_streamed_webm(path, num_frames=30)
    with av.open(str(path)) as container:
        assert container.duration is None  # what makes decord refuse the file unaided
    clip = load_clip(path, num_frames=6, short_side=None)
    assert clip.num_frames == 6 and clip.fps == pytest.approx(30.0) and clip.duration == pytest.approx(1.0)
    assert np.abs(clip.frames.astype(np.int16) - written[clip.indices]).mean() < 6
    assert list((tmp_path / "scratch").iterdir()) == []  # the remuxed copy is gone


def test_pixel_cap_downscales_keeping_aspect(small_video):
    path, _ = small_video
    clip = load_clip(path, num_frames=2, short_side=None, max_pixels=1000)
    assert clip.height * clip.width <= 1000
    assert clip.width / clip.height == pytest.approx(64 / 48, rel=0.06)
    capped = load_clip(path, num_frames=2, short_side=224, max_pixels=5000)
    assert capped.height * capped.width <= 5000 and capped.height < 224


def test_frame_caps_and_fps_sampling(small_video):
    path, _ = small_video
    assert load_clip(path, num_frames=100, max_frames=5).num_frames == 5
    by_rate = load_clip(path, fps=5.0, short_side=None)
    assert by_rate.indices.tolist() == list(range(0, 20, 2))
    assert load_clip(path, fps=100.0, max_frames=6).num_frames == 6


def test_segments_shape_positions_and_cap(small_video):
    path, _ = small_video
    clip = load_clip(path, segments=(4, 3), num_frames=16)  # segments override num_frames
    assert clip.segments.shape == (4, 3) and clip.num_frames == 12
    assert np.array_equal(clip.indices[clip.segments], segment_indices(20, 4, 3))
    capped = load_clip(path, segments=(4, 8), max_frames=16)
    assert capped.segments.shape == (4, 4) and capped.num_frames == 16


@pytest.mark.parametrize("kwargs, words", [
    ({"fps": 2.0, "segments": (2, 2)}, "not both"),
    ({"num_frames": None}, "num_frames, fps or segments"),
    ({"num_frames": 0}, "at least 1"),
    ({"fps": -1.0}, "positive"),
])
def test_bad_settings_raise_user_input_error(small_video, kwargs, words):
    path, _ = small_video
    with pytest.raises(UserInputError, match=None) as info:
        load_clip(path, **kwargs)
    assert words in str(info.value)


# ---------------------------------------------------------------- bad files


def _good(tmp_path: Path) -> Path:
    path = tmp_path / "good.mp4"
    samples.make_video(path, num_frames=10)
    return path


BAD_FILES = {
    # name: (make(tmp_path) -> path, words the message must contain)
    "missing": (lambda d: d / "nope.mp4", ["not found", "upload"]),
    "folder": (lambda d: d, ["folder", "video file"]),
    "empty": (lambda d: samples.make_empty(d / "empty.mp4"), ["empty", "0 bytes", "upload"]),
    "png": (lambda d: samples.make_image(d / "photo.mp4", "PNG"), ["image, not a video", "MP4"]),
    "jpeg": (lambda d: samples.make_image(d / "photo.jpg", "JPEG"), ["image, not a video", "MP4"]),
    "gif": (lambda d: samples.make_image(d / "still.gif", "GIF"), ["image, not a video", "MP4"]),
    "random bytes": (lambda d: samples.make_random_bytes(d / "noise.mp4"), ["not a video", "MP4"]),
    "text": (lambda d: samples.make_text(d / "notes.mp4"), ["not a video", "MP4"]),
    "truncated header": (lambda d: samples.make_truncated_header(d / "t.mp4", _good(d)),
                         ["damaged", "upload it again"]),
    "garbage after header": (lambda d: samples.make_garbage_after_header(d / "g.mp4", _good(d)),
                             ["damaged", "upload it again"]),
    "truncated data": (lambda d: samples.make_truncated_data(d / "half.mp4", _good(d)),
                       ["damaged", "upload it again"]),
    "zero decodable frames": (lambda d: samples.make_zeroed_frames(d / "z.mp4", _good(d)),
                              ["zero decodable frames", "re-encode"]),
    "unsupported codec": (lambda d: samples.make_unknown_codec(d / "u.mp4", _good(d)), ["unknown", "codec", "H.264"]),
    "audio only": (lambda d: samples.make_audio_only(d / "song.m4a"), ["no video track", "MP4"]),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_file_raises_video_error_with_a_hint(tmp_path, kind):
    make, words = BAD_FILES[kind]
    path = make(tmp_path)
    for read in (probe_video, lambda p: load_clip(p, num_frames=4)):
        with pytest.raises(VideoError) as info:  # nothing else may escape
            read(path)
        message = str(info.value)
        for word in words:
            assert word.lower() in message.lower(), f"{kind}: {word!r} not in {message!r}"


# ---------------------------------------------------------------- memory on a long, large video

# The child reads VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forked parent, so
# a large pytest process would be counted as the child's peak.
_CHILD = """
import json, resource, sys
from lib.video import load_clip
clip = load_clip(sys.argv[1], num_frames=64)
peak_kb = int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])
print(json.dumps({"peak_rss_mb": peak_kb / 1024,
                  "shape": list(clip.frames.shape), "last_index": int(clip.indices[-1])}))
"""


@pytest.fixture(scope="session")
def hour_of_1080p(tmp_path_factory) -> Path:
    """One hour of 1920x1080 at 1 fps (3,600 frames, keyframe every 10 s): ~20 s to encode."""
    return samples.make_long_video(tmp_path_factory.mktemp("long") / "hour_1080p.mp4", seconds=3600,
                                   fps=1.0, keyframe_interval=10)


@pytest.mark.slow
def test_decoding_64_frames_of_an_hour_of_1080p_stays_under_1_gb(hour_of_1080p):
    info = probe_video(hour_of_1080p)
    assert (info.num_frames, info.height, info.width) == (3600, 1080, 1920)
    done = subprocess.run([sys.executable, "-c", _CHILD, str(hour_of_1080p)], cwd=REPO_ROOT,
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"peak RSS decoding 64 frames of 1 h 1080p: {result['peak_rss_mb']:.0f} MB")
    assert result["shape"] == [64, 224, 398, 3] and result["last_index"] > 3500
    assert result["peak_rss_mb"] < 1024
