"""The mask-propagation task with the bundled models: results, renders, export, bad input, a real-camera clip,
one decode per clip, and ground truth attached by the file's content (never its name)."""
import json
import zipfile

import numpy as np
import pytest

from lib.errors import UserInputError
from lib.examples import EXAMPLES_DIR
from lib.methods import mask_propagation as mp
from lib.methods.mask_propagation import task
from lib.methods.mask_propagation.data import toy_clip
from lib.methods.mask_propagation.motion import FlowMethod
from lib.methods.mask_propagation.segmentors import painted_segmentation
from lib.models import load_model
from lib.toyworld import photo_pan_clip
from lib.video import Clip, load_clip, write_mp4

EXAMPLE = EXAMPLES_DIR / "toy_bounce.mp4"


@pytest.fixture(scope="module")
def clip():
    return toy_clip(500_007)  # held-out seed


@pytest.fixture(scope="module")
def result(clip):
    return mp.run_on_frames(clip.frames[:12], flow="mpvss", k=5, ground_truth=clip.semantic[:12])


def test_key_frames_are_the_segmentor_output_and_others_are_warped(result):
    track = result.track
    assert track.is_key.tolist() == [t % 5 == 0 for t in range(12)]
    seg = result.segmentations
    for t in (0, 5, 10):
        assert (track.labels[t] == seg[t].labels((128, 128))).all()
    assert (track.flops[track.is_key] == result.key_flops).all()
    assert (track.flops[~track.is_key] < result.key_flops / 3).all() and (track.flops[~track.is_key] > 0).all()
    assert len(track.segment_flows[3]) >= 2  # one flow per shown query
    assert result.gflops_per_frame < result.per_frame_gflops / 2


def test_renders_and_figures(result):
    overlay, strip, flows = mp.render_frame(result, 3)
    assert overlay.shape == (128, 128, 3) and overlay.dtype == np.uint8
    assert strip.shape[0] >= 128 and strip.shape[1] > 2 * strip.shape[0]
    assert flows.ndim == 3 and flows.dtype == np.uint8
    assert "warped from key frame 0 (+3)" in mp.frame_caption(result, 3)
    drift = mp.drift_figure(result)
    assert list(drift.data[1].y) == pytest.approx(list(result.drift), nan_ok=True)


def test_export_bundle(result, tmp_path):
    archive = mp.export_bundle(result, tmp_path)
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        meta = json.loads(zf.read("metrics.json"))
        with zf.open("propagation.npz") as f:
            data = np.load(f)
            assert (data["labels"] == result.track.labels).all()
    assert {"overlay.mp4", "metrics.json", "propagation.npz", "masks/frame_0000.png", "masks/frame_0011.png"} <= names
    assert meta["k"] == 5 and meta["flow"] == "mpvss" and meta["key_frames"] == [0, 5, 10]


def test_bad_inputs_say_what_to_do(clip):
    with pytest.raises(UserInputError, match="between 1 and"):
        mp.run_on_frames(clip.frames[:6], k=8)
    with pytest.raises(UserInputError, match="single frame"):
        mp.run_on_frames(clip.frames[:1], k=1)
    with pytest.raises(UserInputError, match="Nothing is painted"):
        mp.run_on_frames(clip.frames[:6], segmentor=mp.PAINTED, painting=np.zeros((128, 128, 4), np.uint8))
    with pytest.raises(UserInputError, match="(?i)offline|download|network|hub"):
        mp.run_on_frames(clip.frames[:6], segmentor="mask2former-swin-t-ade", k=2)


def test_painted_masks_propagate(clip):
    painting = np.zeros((128, 128, 4), np.uint8)
    painting[clip.semantic[0] > 0] = (230, 25, 75, 255)
    res = mp.run_on_frames(clip.frames[:8], segmentor=mp.PAINTED, flow="dis", k=8, painting=painting,
                                  ground_truth=(clip.semantic[:8] > 0).astype(np.uint8))
    assert res.reference_kind == "ground truth" and res.frame_iou[0] == pytest.approx(1.0)
    assert res.miou > 0.5
    with pytest.raises(UserInputError, match="needs a segmentor"):
        mp.run_cost_sweep(res)


def test_both_flows_move_content_on_a_real_camera_clip():
    """A real photograph under camera pan and zoom: both flows beat copying the key frame."""
    photo = photo_pan_clip(num_frames=6, height=128, width=128, seed=11)
    key, current = photo.frames[0], photo.frames[5]
    mpvss = FlowMethod("mpvss", load_model("mpvss-flow-tiny-toy", device="cpu"))
    seg = painted_segmentation(np.ones((128, 128), np.int32))
    learned = mpvss.estimate(current, key, seg).flows[0].permute(1, 2, 0).numpy()
    none = mp.warp_error(current, key, mp.zero_flow(128, 128))
    assert mp.warp_error(current, key, learned) < none
    assert mp.warp_error(current, key, mp.dis_flow(current, key)) < none


@pytest.fixture
def count_decodes(monkeypatch):
    """Counts lib.video.load_clip calls made by the task (with an empty clip cache)."""
    calls = []

    def counting(*args, **kwargs):
        calls.append(args[0] if args else kwargs.get("path"))
        return load_clip(*args, **kwargs)

    task._decoded.cache_clear()
    monkeypatch.setattr(task, "load_clip", counting)
    yield calls
    task._decoded.cache_clear()


def test_a_clip_is_decoded_once_for_the_editor_and_the_run(count_decodes):
    first = mp.load_propagation_clip(EXAMPLE).frames[0]  # what the paint editor shows
    result = mp.run_mask_propagation(EXAMPLE, flow="none", k=5)
    again = mp.run_mask_propagation(str(EXAMPLE), flow="none", k=8)
    assert len(count_decodes) == 1
    assert (result.frames[0] == first).all() and again.frames is result.frames


def test_a_rewritten_file_is_decoded_again(count_decodes, tmp_path):
    path = tmp_path / "clip.mp4"
    write_mp4(toy_clip(500_003).frames[:8], path, fps=12.5)
    mp.load_propagation_clip(path)
    write_mp4(toy_clip(500_004).frames[:10], path, fps=12.5)
    assert len(mp.load_propagation_clip(path).frames) == 10 and len(count_decodes) == 2


def test_ground_truth_comes_from_the_content_not_the_file_name(tmp_path):
    impostor = tmp_path / EXAMPLE.name  # another scene, saved under the example's file name
    write_mp4(toy_clip(500_011).frames, impostor, fps=25.0)
    assert mp.load_propagation_clip(impostor).ground_truth is None
    other = mp.run_mask_propagation(impostor, flow="none", k=5)
    assert not other.has_ground_truth and other.reference_kind == "per-frame segmentation"
    assert other.metrics()["reference"] == "per-frame segmentation"
    painted = np.zeros((*other.frames.shape[1:3], 4), np.uint8)
    painted[:20, :20] = (230, 25, 75, 255)
    assert mp.run_mask_propagation(impostor, segmentor=mp.PAINTED, flow="none", k=5,
                                   painting=painted).reference_kind == "none"
    real = mp.run_mask_propagation(EXAMPLE, flow="none", k=5)
    assert real.has_ground_truth and real.metrics()["reference"] == "ground truth"
    assert real.reference.shape == real.track.labels.shape


def test_a_decoded_clip_is_used_as_is():
    decoded = load_clip(EXAMPLE, num_frames=10, short_side=96)  # another sampling than the tab's
    result = mp.run_mask_propagation(decoded, flow="dis", k=4)
    assert result.frames is decoded.frames and result.has_ground_truth  # its source is the example's bytes
    assert result.reference.shape == (10, *decoded.frames.shape[1:3])
    generated = mp.run_mask_propagation(Clip.from_frames(toy_clip(500_007).frames[:6], fps=12.5), flow="none", k=3)
    assert generated.reference_kind == "per-frame segmentation" and len(generated.frames) == 6
