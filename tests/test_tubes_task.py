"""run_tubes / update_tubes / render_* on a small synthetic clip: shapes, invariants and user-facing errors."""
from __future__ import annotations

import numpy as np
import pytest

from lib.errors import UserInputError
from lib.examples import list_examples
from lib.methods.tubes import (
    PAPER_TUBES,
    EncoderSize,
    TubeSpec,
    compare_tokenisers,
    describe_scaled_tubes,
    render_costs,
    render_kernel_animation,
    render_kernel_sheet,
    render_kernels,
    render_position,
    render_prediction,
    render_sampling,
    render_summary,
    render_volume,
    run_tubes,
    run_tubes_on_frames,
    scale_tubes,
    update_tubes,
    write_kernel_gif,
)
from lib.video import load_clip

SMALL = EncoderSize(dim=48, depth=2, heads=2, mlp_dim=96)
HALF = scale_tubes(PAPER_TUBES, spatial=0.5)


@pytest.fixture(scope="module")
def result():
    frames = np.random.default_rng(0).integers(0, 256, (32, 64, 96, 3), dtype=np.uint8)  # wider than tall
    return run_tubes_on_frames(frames, tubes=HALF, patch=8, encoder=SMALL)


def test_run_tubes_result_is_consistent(result):
    assert result.layout.input_shape == (32, 64, 96)
    assert result.position.shape == (result.layout.num_tokens, 48)
    assert result.probabilities.shape == (len(result.class_names),)
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert result.pool_weights.shape == (result.model_layout.num_tokens,)
    assert result.pool_by_tube.sum() == pytest.approx(1.0, abs=1e-5)
    assert result.crop == (0, 64, 16, 80)  # the model's square input is the centre of the wide clip
    assert len(result.kernels) == len(result.model_layout.tubes)


def test_costs_rank_sparse_below_dense_below_per_frame(result):
    sparse, dense, frames = result.costs
    assert sparse.tokens == result.layout.num_tokens
    assert dense.tokens == 16 * 8 * 12 and frames.tokens == 32 * 8 * 12
    assert sparse.gflops < dense.gflops < frames.gflops
    rows, fig = render_costs(result)
    assert [r[1] for r in rows] == [sparse.tokens, dense.tokens, frames.tokens]
    assert len(fig.data) == 2


def test_flops_grow_with_encoder_depth():
    shallow = compare_tokenisers((16, 64, 64), HALF[:1], patch=8, size=EncoderSize(48, 1, 2, 96))[0]
    deep = compare_tokenisers((16, 64, 64), HALF[:1], patch=8, size=EncoderSize(48, 2, 2, 96))[0]
    assert deep.gflops > shallow.gflops


def test_update_tubes_changes_geometry_not_the_prediction(result):
    edited = update_tubes(result, [[[2, 8, 8], [2, 8, 8], [0, 0, 0]]], patch=8)
    assert edited.layout.num_tokens == 16 * 8 * 12
    assert np.array_equal(edited.probabilities, result.probabilities)
    with pytest.raises(UserInputError, match="zero stride"):
        update_tubes(result, [[[2, 8, 8], [0, 8, 8], [0, 0, 0]]])
    with pytest.raises(UserInputError, match="needs 40 frames"):
        update_tubes(result, [TubeSpec((40, 8, 8), (1, 8, 8))])


def test_renders(result):
    images = render_kernels(result, channels=4)
    assert len(images) == len(result.model_layout.tubes)
    assert all(img.dtype == np.uint8 and img.ndim == 3 for img, _ in images)
    animation = render_kernel_animation(result, channels=3)
    longest = max(k.shape[2] for k in result.kernels)
    assert animation.shape[0] == longest and animation.dtype == np.uint8
    assert not np.array_equal(animation[0], animation[-1])  # the 3-D kernels move through their slices
    panel = render_sampling(result, 5, token=0)
    assert panel.dtype == np.uint8 and panel.shape[1] > 2 * 96
    assert len(render_volume(result).data) == len(HALF)
    assert render_position(result, 3).data[0].marker.color[3] == pytest.approx(1.0)
    top, overlay, fig = render_prediction(result, count=4)
    assert len(top) == 5 and overlay.dtype == np.uint8
    sheet = render_kernel_sheet(result, channels=4, cols=2)
    assert sheet.dtype == np.uint8 and sheet.shape[1] >= images[0][0].shape[1]
    with pytest.raises(UserInputError):
        render_sampling(result, 99)
    with pytest.raises(UserInputError):
        render_position(result, 10_000)


def test_short_clip_and_unknown_model_are_refused():
    frames = np.zeros((4, 64, 64, 3), np.uint8)
    with pytest.raises(UserInputError, match="needs"):
        run_tubes_on_frames(frames, tubes=HALF, patch=8, encoder=SMALL)
    with pytest.raises(UserInputError, match="Choose one of the tube models"):
        run_tubes_on_frames(np.zeros((32, 64, 64, 3), np.uint8), model_name="resnet", tubes=HALF, patch=8,
                            encoder=SMALL)
    with pytest.raises(UserInputError, match="Expected frames shaped"):
        run_tubes_on_frames(np.zeros((32, 64, 64), np.uint8))


def test_describe_scaled_tubes():
    assert "total 99 tube tokens vs 576 dense 2x8x8" in describe_scaled_tubes(32, 48, 48, 0.5)
    assert "needs 20 frames" in describe_scaled_tubes(8, 224, 224)


def test_summary_and_kernel_gif(result, tmp_path):
    summary = render_summary(result)
    assert f"**{result.layout.num_tokens} tube tokens**" in summary and "32x64x96" in summary
    assert result.model_name in summary
    path = write_kernel_gif(result, channels=2, path=tmp_path / "kernels.gif")
    assert path.endswith("kernels.gif") and (tmp_path / "kernels.gif").stat().st_size > 0


def test_run_tubes_takes_a_path_or_the_clip_decoded_from_it():
    example = next(e for e in list_examples() if e.name == "toy_left")
    from_path = run_tubes(example.path, num_frames=24, short_side=64, tubes=HALF, patch=8, encoder=SMALL)
    clip = load_clip(example.path, num_frames=24, short_side=64)
    from_clip = run_tubes(clip, tubes=HALF, patch=8, encoder=SMALL)
    assert from_path.frames.shape == clip.frames.shape == (24, 64, 64, 3)
    assert np.array_equal(from_path.frames, from_clip.frames)
    assert np.array_equal(from_path.probabilities, from_clip.probabilities)


def test_costs_show_macs_beside_flops(result):
    rows, _ = render_costs(result)
    for row, cost in zip(rows, result.costs):
        assert row[2] == round(cost.gflops, 2) and row[-1] == round(cost.gflops / 2, 2)  # a MAC is 2 torch FLOPs
    summary = render_summary(result)
    assert "GMACs" in summary and "multiply-adds" in summary


def _inflated_tiny_vit():
    import torch
    import transformers

    from lib.methods.tubes.hub import tubevit_from_vit

    config = transformers.ViTConfig(image_size=32, patch_size=16, hidden_size=24, num_hidden_layers=1,
                                    num_attention_heads=2, intermediate_size=48)
    torch.manual_seed(0)
    return tubevit_from_vit(transformers.ViTModel(config, add_pooling_layer=False).eval(), input_shape=(32, 64, 64))


def test_an_untrained_video_head_gives_no_prediction(monkeypatch, result):
    from lib.methods.tubes import task
    from lib.methods.tubes.render import UNTRAINED_HEAD

    model = _inflated_tiny_vit()
    assert model.head_trained is False  # the inflated TubeViT-B's pooling and head are fresh
    monkeypatch.setattr(task, "_inflated_vit_b", lambda: model)
    frames = np.random.default_rng(3).integers(0, 256, (32, 64, 64, 3), dtype=np.uint8)
    untrained = run_tubes_on_frames(frames, model_name=task.INFLATED_MODEL, tubes=HALF, patch=8, encoder=SMALL)
    assert untrained.head_trained is False and untrained.prediction is None
    summary = render_summary(untrained)
    assert UNTRAINED_HEAD == "head not trained for video: no prediction" and UNTRAINED_HEAD in summary
    assert " says " not in summary and not any(f"*{name}*" in summary for name in untrained.class_names)
    top, overlay, fig = render_prediction(untrained, count=4)
    assert top == UNTRAINED_HEAD and overlay.dtype == np.uint8  # no top-k classes
    assert not fig.data and "untrained" in fig.layout.title.text  # no pooling-based claim
    # a bundled model's head was trained: it predicts
    assert result.head_trained and result.prediction[0] in result.class_names and " says " in render_summary(result)
