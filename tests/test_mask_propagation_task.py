"""The mask-propagation task with the bundled models: results, renders, export, bad input, a real-camera clip."""
import json
import zipfile

import numpy as np
import pytest

from lib.errors import UserInputError
from lib.methods.mask_propagation import task as mp
from lib.methods.mask_propagation.data import toy_clip
from lib.methods.mask_propagation.flow import dis_flow, zero_flow
from lib.methods.mask_propagation.metrics import warp_error
from lib.methods.mask_propagation.motion import FlowMethod
from lib.methods.mask_propagation.segmentors import painted_segmentation
from lib.models import load_model
from lib.toyworld import photo_pan_clip


@pytest.fixture(scope="module")
def clip():
    return toy_clip(500_007)  # held-out seed


@pytest.fixture(scope="module")
def result(clip):
    return mp.run_mask_propagation(clip.frames[:12], flow="mpvss", k=5, ground_truth=clip.semantic[:12])


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
        mp.run_mask_propagation(clip.frames[:6], k=8)
    with pytest.raises(UserInputError, match="single frame"):
        mp.run_mask_propagation(clip.frames[:1], k=1)
    with pytest.raises(UserInputError, match="Nothing is painted"):
        mp.run_mask_propagation(clip.frames[:6], segmentor=mp.PAINTED, painting=np.zeros((128, 128, 4), np.uint8))
    with pytest.raises(UserInputError, match="(?i)offline|download|network|hub"):
        mp.run_mask_propagation(clip.frames[:6], segmentor="mask2former-swin-t-ade", k=2)


def test_painted_masks_propagate(clip):
    painting = np.zeros((128, 128, 4), np.uint8)
    painting[clip.semantic[0] > 0] = (230, 25, 75, 255)
    res = mp.run_mask_propagation(clip.frames[:8], segmentor=mp.PAINTED, flow="dis", k=8, painting=painting,
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
    none = warp_error(current, key, zero_flow(128, 128))
    assert warp_error(current, key, learned) < none
    assert warp_error(current, key, dis_flow(current, key)) < none
