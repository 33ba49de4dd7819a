"""Toy world: determinism, shapes, exact flow, consistent maps, labels that match the motion, lazy long videos."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from lib.errors import UserInputError
from lib.toyworld import (
    ACTION_NAMES,
    CLASS_NAMES,
    LONG_VIDEO_ACTIONS,
    LongToyVideo,
    ToyWorldConfig,
    generate_clip,
    load_example_ground_truth,
    photo_pan_clip,
)
from lib.toyworld.clips import build_clip_scene
from lib.toyworld.examples import save_ground_truth
from lib.toyworld.render import flow_from_affines, instance_flow_affines

SMALL = ToyWorldConfig(height=64, width=64, num_frames=16)


def _warp_error(frame0: np.ndarray, frame1: np.ndarray, flow: np.ndarray, mask: np.ndarray) -> float:
    """Mean abs grey-level error of frame t+1 sampled at (x + dx, y + dy) against frame t, inside mask."""
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    warped = cv2.remap(frame1.astype(np.float32), xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    return float(np.abs(warped - frame0.astype(np.float32))[mask].mean())


def _away_from_edges(instance: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels 2 px or more from any instance boundary (anti-aliased edges mix colours)."""
    edge = cv2.morphologyEx(instance, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    return cv2.dilate(edge.astype(np.uint8), np.ones((3, 3), np.uint8)) == 0


def _centroid_area(mask: np.ndarray) -> tuple[float, float, int]:
    ys, xs = np.nonzero(mask)
    return float(xs.mean()), float(ys.mean()), int(mask.sum())


def test_clip_is_deterministic_and_seed_dependent():
    a, b, c = generate_clip(5, SMALL), generate_clip(5, SMALL), generate_clip(6, SMALL)
    for name in ("frames", "semantic", "instance", "flow", "occlusion"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.action == b.action and a.instance_classes == b.instance_classes
    assert not np.array_equal(a.frames, c.frames)


def test_clip_shapes_dtypes_and_clip_conversion():
    clip = generate_clip(1, SMALL)
    t, h, w = 16, 64, 64
    assert clip.frames.shape == (t, h, w, 3) and clip.frames.dtype == np.uint8
    assert clip.semantic.shape == clip.instance.shape == (t, h, w)
    assert clip.semantic.dtype == clip.instance.dtype == np.uint8
    assert clip.flow.shape == (t - 1, h, w, 2) and clip.flow.dtype == np.float32
    assert clip.occlusion.shape == (t - 1, h, w) and clip.occlusion.dtype == bool
    assert 0 <= clip.action < len(ACTION_NAMES) and clip.semantic.max() < len(CLASS_NAMES)
    video = clip.to_clip()
    assert video.frames.shape == clip.frames.shape and video.fps == SMALL.fps
    assert video.indices.tolist() == list(range(t))


def test_forced_action_and_config_checks():
    assert generate_clip(3, SMALL, action=ACTION_NAMES.index("grow")).action_name == "grow"
    assert {generate_clip(s, ToyWorldConfig(height=32, width=32, num_frames=4, actions=(2, 3))).action
            for s in range(8)} <= {2, 3}
    with pytest.raises(ValueError):
        ToyWorldConfig(min_objects=3, max_objects=2)
    with pytest.raises(ValueError):
        generate_clip(0, SMALL, action=len(ACTION_NAMES))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_flow_is_exact(seed):
    # A translating actor plus camera motion: the true flow warps frame t+1 back onto frame t everywhere
    # outside the occlusion mask; a wrong flow (zero) fails on the moving actor.
    clip = generate_clip(seed, ToyWorldConfig(height=96, width=96, num_frames=10), action=ACTION_NAMES.index("left"))
    exact, exact_actor, zero_actor = [], [], []
    for t in range(clip.num_frames - 1):
        valid = ~clip.occlusion[t] & _away_from_edges(clip.instance[t])
        actor = valid & (clip.instance[t] == 1)
        assert actor.sum() > 30
        exact.append(_warp_error(clip.frames[t], clip.frames[t + 1], clip.flow[t], valid))
        exact_actor.append(_warp_error(clip.frames[t], clip.frames[t + 1], clip.flow[t], actor))
        zero_actor.append(_warp_error(clip.frames[t], clip.frames[t + 1], 0 * clip.flow[t], actor))
    assert np.mean(exact) < 3.0 and np.mean(exact_actor) < 3.0
    assert np.mean(zero_actor) > 2 * np.mean(exact_actor) + 1.0


def test_occlusion_marks_points_leaving_or_hidden():
    clip = generate_clip(4, SMALL)
    h, w = clip.height, clip.width
    xs, ys = np.meshgrid(np.arange(w), np.arange(h))
    new_x, new_y = xs + clip.flow[..., 0], ys + clip.flow[..., 1]
    outside = (new_x < 0) | (new_x > w - 1) | (new_y < 0) | (new_y > h - 1)
    assert np.all(clip.occlusion[outside])
    # A visible point lands on a pixel of the same instance at t+1 (up to rounding at the edges).
    t_idx, y_idx, x_idx = np.nonzero(~clip.occlusion)
    nx = np.clip(np.rint(new_x[t_idx, y_idx, x_idx]).astype(int), 0, w - 1)
    ny = np.clip(np.rint(new_y[t_idx, y_idx, x_idx]).astype(int), 0, h - 1)
    same = clip.instance[t_idx + 1, ny, nx] == clip.instance[t_idx, y_idx, x_idx]
    assert same.mean() > 0.98


def test_semantic_and_instance_agree():
    for seed in range(4):
        clip = generate_clip(seed, SMALL)
        np.testing.assert_array_equal(clip.semantic == 0, clip.instance == 0)
        for k in np.unique(clip.instance):
            if k == 0:
                continue
            classes = np.unique(clip.semantic[clip.instance == k])
            assert classes.tolist() == [clip.instance_classes[k - 1]]


def test_main_actor_is_the_largest_object():
    for seed in range(6):
        clip = generate_clip(seed, ToyWorldConfig(height=64, width=64, num_frames=8, min_objects=3))
        counts = np.bincount(clip.instance[0].ravel(), minlength=len(clip.instance_classes) + 1)
        assert counts[1] > 0 and counts[1] > counts[2:].max(initial=0)


@pytest.mark.parametrize("name", ACTION_NAMES)
def test_action_label_matches_measured_motion(name):
    config = ToyWorldConfig(height=64, width=64, num_frames=24, camera_motion=False)
    clip = generate_clip(11, config, action=ACTION_NAMES.index(name))
    (x0, y0, a0), (x1, y1, a1) = _centroid_area(clip.instance[0] == 1), _centroid_area(clip.instance[-1] == 1)
    ys_path = [_centroid_area(m == 1)[1] for m in clip.instance]
    moves = {"left": x1 < x0 - 5, "right": x1 > x0 + 5, "up": y1 < y0 - 5, "down": y1 > y0 + 5}
    if name in moves:
        assert moves[name] and abs((y1 - y0) if name in ("left", "right") else (x1 - x0)) < 1.5
    elif name in ("grow", "shrink"):
        assert (a1 > 1.3 * a0) if name == "grow" else (a1 < a0 / 1.3)
    elif name == "bounce":
        assert min(ys_path) < y0 - 3 and abs(y1 - y0) < 1.0 and abs(x1 - x0) < 1.0
    elif name == "stay":
        assert abs(x1 - x0) < 0.5 and abs(y1 - y0) < 0.5 and abs(a1 - a0) <= 2
    else:  # rotation: the curl of the actor's flow about its centroid (y points down: cw is positive)
        t = 5
        ys, xs = np.nonzero(clip.instance[t] == 1)
        dx, dy = clip.flow[t, ys, xs, 0], clip.flow[t, ys, xs, 1]
        curl = np.mean((xs - xs.mean()) * dy - (ys - ys.mean()) * dx)
        assert (curl > 0.5) if name == "rotate_cw" else (curl < -0.5)
        assert abs(x1 - x0) < 0.5 and abs(y1 - y0) < 0.5


def test_action_relative_to_a_moving_camera():
    clip = generate_clip(2, ToyWorldConfig(height=64, width=64, num_frames=12), action=ACTION_NAMES.index("right"))
    actor = clip.instance[:-1] == 1
    background = clip.instance[:-1] == 0
    assert clip.flow[..., 0][actor].mean() - np.median(clip.flow[..., 0][background]) > 0.3


def test_flow_affines_reproduce_dense_flow():
    clip = generate_clip(8, SMALL)
    scene, _ = build_clip_scene(8, SMALL)
    for t in (0, 7, 14):
        affines = instance_flow_affines(scene, t, len(clip.instance_classes) + 1)
        np.testing.assert_allclose(flow_from_affines(clip.instance[t], affines), clip.flow[t], atol=1e-3)


def test_long_video_random_access_equals_sequential():
    video = LongToyVideo(4, num_frames=160, height=48, width=48, min_action=10, max_action=30, min_gap=5, max_gap=15)
    sequential = [f.image for f in video.iter_frames(100, 130)]
    fresh = LongToyVideo(4, num_frames=160, height=48, width=48, min_action=10, max_action=30, min_gap=5, max_gap=15)
    for i in reversed(range(100, 130)):
        frame = fresh.frame(i)
        np.testing.assert_array_equal(frame.image, sequential[i - 100])
        np.testing.assert_array_equal(frame.semantic, video.semantic(i))
    with pytest.raises(IndexError):
        video.frame(160)
    clip = video.to_clip([3, 50, 7])
    assert clip.frames.shape == (3, 48, 48, 3) and clip.indices.tolist() == [3, 50, 7]


def test_long_video_segments_and_labels():
    video = LongToyVideo(9, num_frames=600, height=32, width=32)
    segs = video.segments
    assert len(segs) >= 3
    assert all(0 <= s.start < s.end <= video.num_frames and s.label in LONG_VIDEO_ACTIONS for s in segs)
    assert all(a.end < b.start for a, b in zip(segs, segs[1:]))  # ordered, with background between
    labels = video.frame_labels()
    assert labels[: segs[0].start].tolist() == [-1] * segs[0].start
    for i in (0, segs[0].start, segs[0].end - 1, segs[0].end, segs[-1].start + 1, video.num_frames - 1):
        assert video.action_at(i) == labels[i]


def test_long_video_actor_idle_or_absent_between_segments():
    video = LongToyVideo(2, num_frames=400, height=48, width=48, camera_motion=False, min_gap=20, max_gap=40)
    checked_idle = False
    for before, seg in zip((None,) + video.segments, video.segments):
        gap = range(before.end if before else 0, seg.start)
        masks = [video.frame(i).instance == 1 for i in gap]
        assert any(not m.any() for m in masks) or before is None  # the actor changes only while absent
        for a, b in zip(masks, masks[1:]):
            if a.any() and b.any():
                np.testing.assert_array_equal(a, b)  # visible in a gap: idle
                checked_idle = True
        assert video.actor_visible(seg.start) and (video.frame(seg.start).instance == 1).any()
    assert checked_idle


def test_long_video_flow_is_exact():
    video = LongToyVideo(1, num_frames=200, height=64, width=64, min_gap=5, max_gap=10)
    seg = video.segments[0]
    for i in (seg.start + 3, seg.start + 10):
        flow, occ = video.flow(i)
        a, b = video.frame(i), video.frame(i + 1)
        valid = ~occ & _away_from_edges(a.instance)
        assert _warp_error(a.image, b.image, flow, valid) < 3.0
        np.testing.assert_allclose(flow_from_affines(a.instance, video.flow_affines(i)), flow, atol=1e-3)


def test_photo_pan_clip_has_exact_flow():
    clip = photo_pan_clip(num_frames=8, height=128, width=128, seed=3)
    assert clip.frames.shape == (8, 128, 128, 3) and not clip.semantic.any() and clip.action == -1
    assert np.abs(clip.flow).max() > 0.2
    exact = np.mean([_warp_error(clip.frames[t], clip.frames[t + 1], clip.flow[t], ~clip.occlusion[t])
                     for t in range(7)])
    assert exact < 3.0


def test_example_ground_truth_round_trip(tmp_path):
    clip = generate_clip(8, SMALL)
    scene, _ = build_clip_scene(8, SMALL)
    affines = np.stack([instance_flow_affines(scene, t, len(clip.instance_classes) + 1) for t in range(15)])
    save_ground_truth(tmp_path / "toy.npz", semantic=clip.semantic, instance=clip.instance, occlusion=clip.occlusion,
                      flow_affine=affines, action=clip.action, fps=clip.fps, seed=8)
    manifest = {"examples": [{"name": "toy", "file": "toy.mp4", "ground_truth": "toy.npz"}]}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    truth = load_example_ground_truth("toy", tmp_path)
    np.testing.assert_array_equal(truth.semantic, clip.semantic)
    np.testing.assert_allclose(truth.flow(), clip.flow, atol=1e-3)
    assert truth.frame_labels().tolist() == [clip.action] * 16
    with pytest.raises(UserInputError):
        load_example_ground_truth("missing", tmp_path)
