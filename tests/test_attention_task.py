"""The Attention task: recording views safely, STPT + twin on one clip, hub models (tiny), renders."""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from lib.errors import UserInputError  # noqa: E402
from lib.methods.attention.data import toy_video  # noqa: E402
from lib.methods.attention.detection import Segment  # noqa: E402
from lib.methods.attention.record import estimate_record_bytes, record_view  # noqa: E402
from lib.methods.attention.render import (  # noqa: E402
    cost_table,
    plot_layer_stats,
    plot_timeline,
    render_compare,
    render_query,
    render_rollout,
    summary,
)
from lib.methods.attention.task import run_hub, run_stpt  # noqa: E402
from lib.models.preprocess import PreprocessConfig  # noqa: E402
from tests.test_attention_stpt import tiny  # noqa: E402
from tests.test_models import tiny_timesformer, tiny_videomae  # noqa: E402

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def stpt_result():
    clip = toy_video(11, num_frames=24, frame_stride=4, size=32)  # 24 frames: one window of 16 + a padded one
    truth = (Segment(20, 60, 2),)  # ground truth in source frames (the task only displays it)
    return run_stpt(clip.frames, np.arange(24) * 4, 25.0, models=(tiny(2), tiny(0)), ground_truth=truth)


def test_stpt_and_twin_views_share_geometry_and_differ_in_cost(stpt_result):
    local, twin = stpt_result.main, stpt_result.twin
    assert [l.kind for l in local.layers] == ["local", "local", "global"]
    assert [l.kind for l in twin.layers] == ["global"] * 3
    assert [l.grid for l in local.layers] == [l.grid for l in twin.layers]
    assert local.gflops < twin.gflops
    assert local.rollout.shape == (8, 128)
    np.testing.assert_allclose(local.rollout.sum(-1), 1.0, atol=1e-3)
    assert stpt_result.frames.shape == (16, 192, 192, 3)
    assert set(stpt_result.detections) == {"stpt-tiny-toy", "stpt-global-tiny-toy"}
    for dets in stpt_result.detections.values():
        assert all(0 <= d.start < d.end <= 96 for d in dets)  # clipped to the analysed span
    assert stpt_result.notes  # two windows, attention on the first


def test_renders_draw_query_windows_and_one_scale(stpt_result):
    image = render_query(stpt_result, layer=0, head=None, frame=5, y=100, x=30, count=4)
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[1] > 3 * 192
    assert (image == np.array([0, 255, 255], np.uint8)).all(-1).any()  # the query box
    assert (image == np.array([255, 255, 255], np.uint8)).all(-1).any()  # the local window
    side = render_compare(stpt_result, layer=0, head=1, frame=5, y=100, x=30, shown_frame=5)
    assert side.shape[1] >= 2 * 192
    rollout = render_rollout(stpt_result, frame=5, y=100, x=30, count=3)
    assert rollout.dtype == np.uint8
    with pytest.raises(UserInputError):
        render_query(stpt_result, layer=7, head=None, frame=0, y=0, x=0)
    with pytest.raises(UserInputError):
        render_query(stpt_result, layer=0, head=5, frame=0, y=0, x=0)
    figure = plot_layer_stats(stpt_result)
    assert len(figure.data) == 6  # 3 panels x 2 models
    assert plot_timeline(stpt_result, min_score=0.0).data  # ground truth at least
    rows = cost_table(stpt_result)
    assert rows[0][2] == "1.00x" and float(rows[1][2][:-1]) > 1.0
    assert "detects" in summary(stpt_result)


def test_local_layer_attention_stays_inside_the_window(stpt_result):
    layer = stpt_result.main.layers[0]  # (8, 4, 4) grid, windows (4, 2, 2)
    query = layer.grid.index(5, 3, 0)
    volume = layer.query_volume(query)
    outside = np.ones(volume.shape, bool)
    outside[4:8, 2:4, 0:2] = False
    assert volume[outside].max() == 0 and volume.sum() == pytest.approx(1.0, abs=1e-2)
    twin_volume = stpt_result.twin.layers[0].query_volume(query)
    assert twin_volume[outside].sum() > 0


def test_videomae_view_matches_output_attentions_and_stats():
    model = tiny_videomae("eager")
    frames = np.random.default_rng(0).integers(0, 255, (4, 40, 48, 3), dtype=np.uint8)
    result = run_hub(frames, np.arange(4), 25.0, model, "videomae", name="tiny",
                     preprocess=PreprocessConfig(size=32))
    view = result.main
    from lib.models import video_to_tensor

    pixels = video_to_tensor(frames, size=32)[None]
    with torch.no_grad():
        reference = model(pixel_values=pixels, output_attentions=True).attentions
    for layer, theirs in zip(view.layers, reference):
        np.testing.assert_allclose(layer.dense(0), theirs[0, 0].numpy(), atol=1e-3)
    assert view.logits.shape == (5,) and len(view.stats) == 2
    assert "Prediction" in summary(result)
    assert render_query(result, layer=1, head=None, frame=3, y=10, x=150).dtype == np.uint8


def test_timesformer_view_orders_time_before_space_and_rolls_out():
    model = tiny_timesformer()
    frames = np.random.default_rng(1).integers(0, 255, (4, 32, 32, 3), dtype=np.uint8)
    result = run_hub(frames, np.arange(4), 25.0, model, "timesformer", name="tiny", preprocess=PreprocessConfig(32))
    assert [l.kind for l in result.main.layers] == ["time", "space", "time", "space"]
    assert result.main.rollout.shape == (16, 16)
    np.testing.assert_allclose(result.main.rollout.sum(-1), 1.0, atol=1e-3)


def test_timesformer_layers_are_blocks_with_time_and_space_selectable():
    from lib.methods.attention.record import attention_blocks
    from lib.methods.attention.render import layer_label

    model = tiny_timesformer()  # 2 blocks, each a temporal and a spatial attention module (4 modules)
    assert [[part for _, part in block] for block in attention_blocks(model, "timesformer")] == [["time", "space"]] * 2
    frames = np.random.default_rng(1).integers(0, 255, (4, 32, 32, 3), dtype=np.uint8)

    def hub(**kwargs):
        return run_hub(frames, np.arange(4), 25.0, model, "timesformer", name="tiny", preprocess=PreprocessConfig(32),
                       **kwargs).main

    last = hub(layers=[1])  # "1" is block 1 (its time and space maps), not module 1 (block 0's temporal attention)
    assert last.blocks == (1, 1) and [l.kind for l in last.layers] == ["time", "space"]
    assert ".layer.1." in last.layers[0].name and ".layer.1." in last.layers[1].name
    assert [layer_label(last, i).split(" on ")[0] for i in range(2)] == ["block 1 · time", "block 1 · space"]
    space = hub(layers=[-1], parts="space")
    assert space.blocks == (1,) and [l.kind for l in space.layers] == ["space"]
    np.testing.assert_array_equal(space.layers[0].maps, last.layers[1].maps)
    time = hub(parts="time")
    assert time.blocks == (0, 1) and {l.kind for l in time.layers} == {"time"}
    with pytest.raises(UserInputError, match="layers 0..1"):
        hub(layers=[2])  # 2 blocks, though 4 attention modules
    with pytest.raises(UserInputError, match="not 'spacetime'"):
        hub(parts="spacetime")


def test_stpt_and_videomae_blocks_are_their_attention_modules(stpt_result):
    from lib.methods.attention.render import layer_label

    assert stpt_result.main.blocks == (0, 1, 2)
    assert layer_label(stpt_result.main, 2).startswith("block 2 · global")
    view = record_view(tiny_videomae("eager"), "videomae", torch.randn(1, 4, 3, 32, 32), layers=[1], parts="time")
    assert view.blocks == (1,) and view.layer_ids == (1,)  # parts only applies to divided attention


def test_memory_budget_refuses_with_a_sentence_and_records_only_requested_layers():
    model = tiny_videomae("eager")
    pixels = torch.randn(1, 4, 3, 32, 32)
    needed = estimate_record_bytes(model, "videomae", 4, 32, [0, 1])
    assert needed == 2 * 4 * 8 * 8 * 2
    with pytest.raises(UserInputError, match="would need .* GB of attention maps"):
        record_view(model, "videomae", pixels, max_record_bytes=needed - 1)
    view = record_view(model, "videomae", pixels, layers=[1], max_record_bytes=needed // 2)
    assert view.layer_ids == (1,) and view.record_bytes == needed // 2
    assert view.layers[0].maps.dtype == np.float16
    with pytest.raises(UserInputError, match="layers 0..1"):
        record_view(model, "videomae", pixels, layers=[3])


def test_blocks_not_recorded_run_fused_with_the_same_output(monkeypatch):
    model = tiny_videomae("eager")
    pixels = torch.randn(1, 4, 3, 32, 32)
    fused_calls = []
    sdpa = torch.nn.functional.scaled_dot_product_attention
    monkeypatch.setattr(torch.nn.functional, "scaled_dot_product_attention",
                        lambda *args, **kwargs: fused_calls.append(1) or sdpa(*args, **kwargs))
    every = record_view(model, "videomae", pixels)
    assert not fused_calls
    one = record_view(model, "videomae", pixels, layers=[1])
    assert len(fused_calls) == 1  # block 0 only
    np.testing.assert_allclose(one.logits, every.logits, atol=1e-5)  # block 0 fused, block 1 recorded
    np.testing.assert_array_equal(one.layers[0].maps, every.layers[1].maps)
    assert one.gflops == pytest.approx(every.gflops)  # fused attention counts the same FLOPs as the eager maps
    from lib.hooks import find_attention_modules

    assert all(m.config is model.config for _, m in find_attention_modules(model))  # switched back afterwards
    assert model.config._attn_implementation == "eager"


def test_run_attention_refuses_missing_video_and_unavailable_hub_model(tmp_path):
    from lib.methods.attention.task import run_attention
    from lib.models import ModelUnavailableError
    from lib.video import write_mp4

    with pytest.raises(UserInputError, match="Choose an example"):
        run_attention(None)
    with pytest.raises(UserInputError, match="Unknown model"):
        run_attention("x.mp4", model="gpt")
    path = write_mp4(np.zeros((8, 32, 32, 3), np.uint8), tmp_path / "black.mp4", fps=25)
    with pytest.raises(ModelUnavailableError):
        run_attention(str(path), model="videomae-base-k400")


def test_ground_truth_and_segment_types():
    assert Segment(1, 2, 3).label == 3


VIDEOMAE_BASE_VIEW = """
import os, resource, sys
os.environ["HF_HUB_OFFLINE"] = "1"
sys.path.insert(0, {repo!r})
import numpy as np, torch
torch.set_num_threads(2)
from transformers import VideoMAEConfig, VideoMAEForVideoClassification
from lib.models.preprocess import PreprocessConfig
from lib.methods.attention.task import run_hub
config = VideoMAEConfig(num_labels=400)  # ViT-B geometry: 16 x 224 x 224 -> 1568 tokens, 12 layers x 12 heads
config._attn_implementation = "eager"
model = VideoMAEForVideoClassification(config).eval()  # random weights: memory does not depend on them
frames = np.random.default_rng(0).integers(0, 255, (16, 240, 320, 3), dtype=np.uint8)
result = run_hub(frames, np.arange(16), 25.0, model, "videomae", name="videomae-base",
                 preprocess=PreprocessConfig(size=224))
# VmHWM, not ru_maxrss: ru_maxrss survives exec and would count the forked pytest parent.
peak = int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) * 1024
print(len(result.main.layers), result.main.record_bytes, peak)
"""


@pytest.mark.slow
def test_videomae_base_view_of_16_frames_stays_under_3_gb(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    repo = str(Path(__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", VIDEOMAE_BASE_VIEW.format(repo=repo)], capture_output=True, text=True,
                         check=True, cwd=repo)
    layers, record_bytes, peak = (int(v) for v in out.stdout.split()[-3:])
    assert layers == 12 and record_bytes == 12 * 12 * 1568 ** 2 * 2  # every layer, fp16
    assert peak < 3 * 2**30, f"peak RSS {peak / 2**30:.2f} GB"
