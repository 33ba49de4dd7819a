"""lib.models.speed: estimates from the catalog's FLOPs, replaced by the measured rate after a run."""
from __future__ import annotations

import pytest

from lib.methods.token_merging import default_frames, default_segments, time_estimate
from lib.models import get_spec
from lib.models.speed import estimate_seconds, fitting_inputs, forget_speeds, record_speed


@pytest.fixture(autouse=True)
def fresh_speeds():
    forget_speeds()
    yield
    forget_speeds()


def test_estimate_scales_with_inputs_and_uses_catalog_flops():
    one, ten = estimate_seconds("clip-vit-l14", 1), estimate_seconds("clip-vit-l14", 10)
    assert one.gflops == pytest.approx(get_spec("clip-vit-l14").gflops_per_input)
    assert ten.seconds == pytest.approx(10 * one.seconds)
    assert not one.measured and one.rate_gflops > 0


def test_a_measured_run_replaces_the_guess():
    record_speed("clip-vit-b16", inputs=20, seconds=2.0)  # 20 x 35.13 GFLOPs in 2 s
    estimate = estimate_seconds("clip-vit-b16", 40)
    assert estimate.measured
    assert estimate.rate_gflops == pytest.approx(20 * 35.13 / 2.0)
    assert estimate.seconds == pytest.approx(4.0, rel=1e-3)
    assert "as measured" in estimate.sentence("40 frames") and "40 frames" in estimate.sentence("40 frames")
    assert fitting_inputs("clip-vit-b16", budget_s=1.0) == 10


def test_bundled_models_have_no_estimate():
    with pytest.raises(ValueError, match="gflops_per_input"):
        estimate_seconds("frame-vit-toy", 10)
    record_speed("frame-vit-toy", inputs=10, seconds=1.0)  # ignored, not an error
    assert time_estimate("frame-vit-toy", 100) == ""


def test_default_frames_are_fewer_for_big_towers():
    for model in ("clip-vit-l14", "clip-vit-b16"):  # as fast as a 2-core CPU with native bfloat16
        record_speed(model, inputs=100, seconds=5.0 * get_spec(model).gflops_per_input / 100)
    assert default_frames("frame-vit-toy") == 100
    assert default_frames("clip-vit-l14") < default_frames("clip-vit-b16") <= 100
    assert default_frames("clip-vit-l14") % 10 == 0  # whole segments at the tab's default of 10


def test_default_frames_fit_a_slower_machine():
    record_speed("clip-vit-l14", inputs=3, seconds=1.0)  # 3 frames a second: float32 on a slow CPU
    assert default_frames("clip-vit-l14") == 20  # 8 s x 3 frames/s = 24 frames, whole segments of 10
    record_speed("clip-vit-l14", inputs=1, seconds=1.0)  # 8 frames fit: one frame for each of 8 segments
    assert (default_frames("clip-vit-l14"), default_segments("clip-vit-l14")) == (8, 8)
    record_speed("clip-vit-l14", inputs=1, seconds=4.0)  # 2 frames would fit: the floor of 3 segments
    assert (default_frames("clip-vit-l14"), default_segments("clip-vit-l14")) == (3, 3)
    record_speed("clip-vit-b16", inputs=3, seconds=1.0)
    assert default_frames("clip-vit-b16") == 20  # 60 on a fast machine
    assert default_segments("clip-vit-b16") == 10
    assert "20 frames" in time_estimate("clip-vit-l14", 20)


def test_attention_proposes_fewer_blocks_where_recording_all_is_slow(monkeypatch):
    from demos.attention import model_defaults
    from lib.methods.attention import default_layers_text, fitted_note
    from lib.models import speed

    monkeypatch.setenv("VIDEO_EXPLORER_PRECISION", "float32")  # the rates below are float32 ones
    monkeypatch.setattr(speed, "matmul_rate", lambda precision: 1000.0)  # a fast machine: 361 GFLOPs in 0.6 s
    assert default_layers_text("videomae-base-k400") == "" and fitted_note("videomae-base-k400") == ""
    monkeypatch.setattr(speed, "matmul_rate", lambda precision: 100.0)  # float32 on 2 cores without bfloat16
    record_speed("videomae-base-k400", inputs=1, seconds=0.1)  # a measured run does not change the proposal
    assert default_layers_text("videomae-base-k400") == "0, 6, 11"
    assert "would take about 17 s" in fitted_note("videomae-base-k400")
    update, estimate = model_defaults("videomae-base-k400")
    assert update["value"] == "0, 6, 11" and "clear 'Layers'" in estimate
    assert default_layers_text("timesformer-base-k400") == ""  # no fused attention: recording fewer saves little
    assert model_defaults("stpt-tiny-toy")[0]["value"] == ""


def test_a_pretrained_segmentor_reads_as_many_frames_as_fit_here(monkeypatch):
    from lib.methods.mask_propagation.hub_frames import HUB_MAX_FRAMES, MIN_HUB_FRAMES, hub_frames
    from lib.models import speed

    monkeypatch.setenv("VIDEO_EXPLORER_PRECISION", "float32")
    monkeypatch.setattr(speed, "matmul_rate", lambda precision: 600.0)  # ~0.5 s a frame
    assert hub_frames("mask2former-swin-t-ade") == HUB_MAX_FRAMES == 12
    monkeypatch.setattr(speed, "matmul_rate", lambda precision: 200.0)  # 79 GFLOPs -> 1.5 s a frame: 5 fit 8 s
    assert hub_frames("mask2former-swin-t-ade") == 5
    # bfloat16 speeds the matmuls more than Mask2Former: the AMX Xeon's 613 GFLOP/s gave 1.3 s a frame, 6 fit
    monkeypatch.setenv("VIDEO_EXPLORER_PRECISION", "bfloat16")
    monkeypatch.setattr(speed, "matmul_rate", lambda precision: 613.0)
    assert hub_frames("mask2former-swin-t-ade") == 6
    monkeypatch.setattr(speed, "matmul_rate", lambda precision: 20.0)
    assert hub_frames("mask2former-swin-t-ade") == MIN_HUB_FRAMES == 3
