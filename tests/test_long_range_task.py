"""The long-range task end to end with the bundled models: run, refuse over budget, render."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from lib.errors import UserInputError
from lib.methods.long_range import (
    attention_span,
    cost_summary,
    render_attention_vs_kernels,
    render_cost_curves,
    render_filmstrip,
    render_prediction,
    render_receptive_fields,
    render_stages,
    run_cost_curves,
    run_long_range,
    stage_rows,
)
from lib.methods.long_range.cost_curves import largest_length_within, predict_attention_bytes


@pytest.fixture(scope="module")
def result():
    return run_long_range(None, seed=900_001, num_frames=256)


def test_run_on_a_toy_video_has_consistent_shapes(result):
    assert len(result.frames) == 64 and result.frames.dtype == np.uint8
    assert result.num_tokens == 63 * result.tokens_per_frame
    assert result.stage_shapes[0][0] == result.num_tokens
    assert [length for length, _ in result.stage_shapes] == [252, 126, 63, 31]
    assert result.kernels.shape == (result.stage_shapes[0][1], result.num_tokens)
    assert result.attention.shape == (result.num_tokens, result.num_tokens)
    np.testing.assert_allclose(result.attention.astype(np.float64).sum(-1), 1.0, atol=5e-3)
    for run in (result.s4, result.attention_run):
        assert run.probs.shape == (len(result.class_labels),)
        assert abs(run.probs.sum() - 1.0) < 1e-5
        assert run.contributions.shape == (result.stage_shapes[-1][0],)
    assert result.true_label is not None and result.segments
    assert (result.kernel_memory >= 1).all() and (result.kernel_memory <= result.num_tokens).all()


def test_renders_return_figures_and_images(result):
    for figure in (render_prediction(result), render_attention_vs_kernels(result, channels=[0, 3], query_frame=100),
                   render_receptive_fields(result), render_stages(result)):
        assert isinstance(figure, go.Figure) and len(figure.data) >= 1
    kernels = render_attention_vs_kernels(result, channels=[0, 3])
    assert len(kernels.data) == 3  # two kernels and one attention row
    strip = render_filmstrip(result)
    assert strip.dtype == np.uint8 and strip.ndim == 3
    assert stage_rows(result)[0][1] == f"{result.num_tokens:,}"


def test_too_long_for_the_budget_is_refused_naming_the_largest_length():
    fits = largest_length_within(64e6, lambda n: predict_attention_bytes(n, 128, 2))
    with pytest.raises(UserInputError, match=f"largest length that fits is {fits:,} tokens"):
        run_long_range(None, seed=1, num_frames=8192, budget_mb=64)


def test_chosen_video_file_runs(tmp_path):
    from lib.methods.long_range.data import task_video
    from lib.video import write_mp4

    video = task_video(900_002, num_frames=160)
    path = write_mp4(video.frames(list(range(160))), tmp_path / "long.mp4", fps=25.0)
    res = run_long_range(str(path))
    assert res.true_label is None and res.segments == ()
    assert len(res.frames) == pytest.approx(160 / 4, abs=2)
    assert res.source == "long.mp4"


def test_a_decoded_clip_is_used_as_it_is(tmp_path):
    from lib.methods.long_range.data import IMAGE_SIZE, SAMPLED_FPS, task_video
    from lib.video import load_clip, write_mp4

    video = task_video(900_002, num_frames=160)
    path = write_mp4(video.frames(list(range(160))), tmp_path / "long.mp4", fps=25.0)
    clip = load_clip(path, fps=SAMPLED_FPS, short_side=IMAGE_SIZE)
    from_clip, from_path = run_long_range(clip), run_long_range(path)
    np.testing.assert_array_equal(from_clip.frames, from_path.frames)
    np.testing.assert_array_equal(from_clip.s4.probs, from_path.s4.probs)
    assert from_clip.source == "long.mp4"


def test_attention_span_of_simple_rows():
    rows = np.zeros((3, 5))
    rows[0, 0] = 1.0  # attends to itself: span 0
    rows[1, [0, 2]] = 0.5  # one step either side: span 1
    rows[2, 4] = 1.0  # two steps ahead
    assert attention_span(rows).tolist() == [0, 1, 2]


def test_cost_curves_task_and_figure():
    curves = run_cost_curves(longest=512, shortest=64, points=3, dim=16, heads=1, budget_mb=1.0)
    figure = render_cost_curves(curves)
    assert isinstance(figure, go.Figure)
    assert "Largest length" in cost_summary(curves) or "did not fit" in cost_summary(curves)
    assert not curves.attention_ran.all()  # 1 MB cannot hold attention at 512 tokens
    with pytest.raises(UserInputError):
        run_cost_curves(longest=1 << 20)
