"""The Compare tab's lib: settings checks, each comparison's two sides, the shared-frame render, the JSON export."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lib.errors import UserInputError
from lib.methods.compare import (
    COMPARISONS,
    Setting,
    compare_numbers,
    compare_rows,
    render_compare,
    run_compare,
    write_numbers_json,
)
from lib.video import write_mp4

EXAMPLE = Path(__file__).resolve().parent.parent / "assets" / "examples" / "toy_left.mp4"


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory) -> str:
    """The first 16 frames of the toy_left example (no ground truth: a different file name), 25 fps."""
    from lib.video import load_clip

    frames = load_clip(str(EXAMPLE), fps=25, short_side=128).frames[:16]
    return str(write_mp4(frames, tmp_path_factory.mktemp("compare") / "short.mp4", fps=25))


@pytest.fixture(scope="module")
def tubes():
    spec = COMPARISONS["tubes"]
    return run_compare(str(EXAMPLE), "tubes", spec.default_a, spec.default_b)


@pytest.fixture(scope="module")
def attention():
    spec = COMPARISONS["attention"]
    return run_compare(str(EXAMPLE), "attention", spec.default_a, spec.default_b)


def test_every_comparison_has_differing_defaults_that_pass_its_own_check():
    assert len(COMPARISONS) >= 3
    for spec in COMPARISONS.values():
        assert spec.check(spec.default_a, "A") != spec.check(spec.default_b, "B")


@pytest.mark.parametrize("key, setting, words", [
    ("mask-propagation", Setting("optical", 5), "Setting A: choose one of MPVSS per-query flow"),
    ("mask-propagation", Setting("mpvss", 0), "whole number from 1 to 40; got 0"),
    ("mask-propagation", Setting("mpvss", 2.5), "whole number from 1 to 40; got 2.5"),
    ("mask-propagation", Setting("mpvss", "many"), "needs a whole number"),
    ("attention", Setting("stpt-tiny-toy", 6), "whole number from 0 to 5; got 6"),
])
def test_settings_outside_the_menu_are_refused_with_a_sentence(key, setting, words):
    with pytest.raises(UserInputError, match=words):
        COMPARISONS[key].check(setting, "A")


def test_run_refuses_missing_video_and_unknown_comparison():
    with pytest.raises(UserInputError, match="Choose an example clip"):
        run_compare(None, "tubes", Setting("tubevit-tiny-toy"), Setting("vivit-dense-tiny-toy"))
    with pytest.raises(UserInputError, match="Unknown comparison 'nope'"):
        run_compare(str(EXAMPLE), "nope", Setting("a"), Setting("b"))


def test_a_key_frame_interval_longer_than_the_clip_is_refused(short_clip):
    with pytest.raises(UserInputError, match="k=20 must be between 1 and the clip's 8 frames"):
        run_compare(short_clip, "mask-propagation", Setting("mpvss", 20), Setting("mpvss", 1))


def _check_frames(result, frames=(0, -1)):
    images = []
    for t in frames:
        a, b, caption = render_compare(result, t % result.num_frames)
        assert a.dtype == np.uint8 and a.ndim == 3 and a.shape == b.shape
        assert f"rame {t % result.num_frames}" in caption
        images.append((a, b))
    assert not np.array_equal(images[0][0], images[1][0])  # another frame, another picture
    with pytest.raises(UserInputError, match="Pick a frame between 0 and"):
        render_compare(result, result.num_frames)


def test_mask_propagation_sides_share_frames_and_differ_in_cost(short_clip):
    result = run_compare(short_clip, "mask-propagation", Setting("dis", 4), Setting("mpvss", 1))
    assert result.a.num_frames == result.b.num_frames == 8
    assert result.a.label == "one plain optical flow (DIS), k=4" and result.b.label == "per-frame segmentation (k=1)"
    assert result.a.value("key frames segmented") == 2 and result.b.value("key frames segmented") == 8
    assert result.a.value("GFLOPs per frame (mean)") < result.b.value("GFLOPs per frame (mean)") / 2
    reference = "mIoU vs per-frame segmentation"  # the short copy is not a known example: no ground truth
    assert result.b.value(reference) == pytest.approx(1.0) and result.a.value(reference) < 1.0
    _check_frames(result, frames=(0, 3))


@pytest.mark.slow
def test_mask_propagation_on_an_example_is_scored_against_its_ground_truth():
    result = run_compare(str(EXAMPLE), "mask-propagation", Setting("mpvss", 5), Setting("none", 5))
    assert result.a.num_frames == result.b.num_frames == 32
    a, b = result.a.value("mIoU vs ground truth"), result.b.value("mIoU vs ground truth")
    assert 0 < a < 1 and 0 < b < 1 and a != b  # the same key frames, warped by per-query flow or copied
    # MPVSS pays for its flow module on warped frames; copying masks costs nothing there
    assert result.a.value("GFLOPs per frame (mean)") > result.b.value("GFLOPs per frame (mean)")


def test_tubes_sides_spend_different_tokens_and_flops(tubes):
    a, b = tubes.a, tubes.b
    assert a.num_frames == b.num_frames == 32
    assert (a.value("tokens"), b.value("tokens")) == (99, 576)
    assert 0 < a.value("forward GFLOPs (FlopCounterMode)") < b.value("forward GFLOPs (FlopCounterMode)") / 5
    assert a.value("true action (toy example)") == b.value("true action (toy example)") == "left"
    assert isinstance(a.value("top-1 correct"), bool)
    _check_frames(tubes)


def test_attention_sides_reach_differently_at_the_same_layer(attention):
    a, b = attention.a, attention.b
    assert a.num_frames == b.num_frames == 64
    assert "local 4x4x4" in a.value("attention layer") and "global" in b.value("attention layer")
    assert a.value("this layer: mean reach in time (frames)") < b.value("this layer: mean reach in time (frames)")
    assert a.value("GFLOPs per 64-frame window (whole model)") < b.value("GFLOPs per 64-frame window (whole model)")
    assert a.value("mAP@0.5 vs ground truth (toy_long)") is None  # toy_left has no action segments
    _check_frames(attention)


def test_table_and_json_export_hold_both_sides(tubes, tmp_path):
    rows = compare_rows(tubes)
    assert [r[0] for r in rows] == [name for name, _ in tubes.a.numbers]
    assert ["tokens", "99", "576"] in rows
    correct = next(r for r in rows if r[0] == "top-1 correct")
    assert set(correct[1:]) <= {"yes", "no"}
    path = write_numbers_json(tubes, tmp_path)
    data = json.loads(path.read_text())
    assert data == json.loads(json.dumps(compare_numbers(tubes)))
    assert data["clip"] == "toy_left.mp4" and data["A"]["numbers"]["tokens"] == 99
    assert data["B"]["variant"] == "vivit-dense-tiny-toy" and data["B"]["numbers"]["tokens"] == 576


def test_token_merging_budgets_share_frames_and_keep_different_token_counts():
    result = run_compare(str(EXAMPLE), "token-merging", Setting("pseudo_heads", 16), Setting("keys", 128))
    a, b = result.a, result.b
    assert a.num_frames == b.num_frames == 32
    segments, globals_ = len(a.result.segments), len(a.result.global_tokens)
    assert a.value("tokens kept (global + segments x per segment)") == globals_ + segments * 16
    assert b.value("tokens kept (global + segments x per segment)") == globals_ + segments * 128
    assert a.value("merge steps per segment") > b.value("merge steps per segment")  # a smaller target takes longer
    assert a.value("tokens after each step (segment 1)").endswith("> 16")
    assert "attention keys" in b.label and a.value("patch tokens before merging") == b.value(
        "patch tokens before merging")
    _check_frames(result)


def test_token_merging_target_above_a_segments_patch_tokens_is_refused():
    with pytest.raises(UserInputError, match="Target of 1500 tokens per segment is outside 1..1152"):
        run_compare(str(EXAMPLE), "token-merging", Setting("pseudo_heads", 1500), Setting("pseudo_heads", 16))
