"""A hub Mask2Former segments at its processor's resolution, decoded from the source; masks come back to the
analysis grid and its FLOPs are those of the input it receives."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from lib.methods.mask_propagation import task as mp_task
from lib.methods.mask_propagation.segmentors import KeyFrameSegmentor, hub_class_names
from lib.models import registry
from lib.models.preprocess import config_from_processor, resize_frames
from lib.models.spec import ClipSampling, ModelSpec
from lib.video import load_frames, write_mp4

PROCESSOR = {"do_normalize": True, "do_rescale": True, "do_resize": True, "image_processor_type":
             "Mask2FormerImageProcessor", "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225],
             "resample": 2, "rescale_factor": 1 / 255, "size": {"height": 64, "width": 64}, "size_divisor": 32}


def _tiny_mask2former():
    from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, SwinConfig

    swin = SwinConfig(image_size=64, embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2], window_size=4,
                      out_features=["stage1", "stage2", "stage3", "stage4"])
    config = Mask2FormerConfig(backbone_config=swin, hidden_dim=32, mask_feature_size=32, feature_size=32,
                               encoder_feedforward_dim=32, dim_feedforward=32, num_queries=5, num_labels=3,
                               decoder_layers=2, encoder_layers=1, num_attention_heads=2,
                               id2label={0: "road", 1: "car", 2: "sky"}, label2id={"road": 0, "car": 1, "sky": 2})
    torch.manual_seed(0)
    return Mask2FormerForUniversalSegmentation(config).eval()


def _record_inputs(model) -> list[tuple[int, ...]]:
    seen: list[tuple[int, ...]] = []
    model.register_forward_pre_hook(lambda m, args, kwargs: seen.append(tuple(kwargs["pixel_values"].shape)),
                                    with_kwargs=True)
    return seen


def test_segmentor_receives_its_processor_size_and_counts_flops_there():
    model = _tiny_mask2former()
    seen = _record_inputs(model)
    config = config_from_processor(PROCESSOR)
    seg = KeyFrameSegmentor(model, "mask2former", hub_class_names(model), preprocess=config)
    frames = (np.random.default_rng(0).random((2, 40, 96, 3)) * 255).astype(np.uint8)  # analysis size 40 x 96
    out = seg.segment(frames)
    assert seen == [(2, 3, 64, 64)] and out[0].mask_logits.shape == (5, 16, 16)  # model grid = input / 4
    assert out[0].labels((40, 96)).shape == (40, 96)  # back on the analysis grid
    assert seg.input_size(40, 96) == (64, 64)
    plain = KeyFrameSegmentor(model, "mask2former", hub_class_names(model))  # no processor: frames' own size
    assert seg.flops(40, 96) == plain.flops(64, 64) != plain.flops(40, 96)


@pytest.mark.slow
def test_hub_segmentor_on_a_video_segments_frames_decoded_from_the_source(tmp_path, monkeypatch):
    model = _tiny_mask2former()
    model.save_pretrained(tmp_path / "m2f")
    (tmp_path / "m2f" / "preprocessor_config.json").write_text(json.dumps(PROCESSOR))
    spec = ModelSpec(name="tiny-m2f", family="mask2former", task="semantic-segmentation", source="hub",
                     location=str(tmp_path / "m2f"), model_class="transformers:Mask2FormerForUniversalSegmentation",
                     num_frames=None, image_size=64, description="tiny random Mask2Former",
                     sampling=ClipSampling(num_frames=1, frame_stride=1, short_side=64, crop=None, source="test"))
    monkeypatch.setattr(registry, "SPECS", registry.SPECS + (spec,))
    monkeypatch.setitem(mp_task.SEGMENTORS, "tiny-m2f", "tiny")
    registry.clear_model_cache()
    rng = np.random.default_rng(1)
    frames = np.repeat((rng.random((1, 160, 320, 3)) * 255).astype(np.uint8), 6, axis=0)
    path = tmp_path / "wide.mp4"
    write_mp4(frames, path, fps=12.5, crf=10)
    try:
        loaded = registry.load_model("tiny-m2f")
        seen = _record_inputs(loaded)
        result = mp_task.run_mask_propagation(path, segmentor="tiny-m2f", flow="none", k=3)
        monkeypatch.setattr(mp_task, "hub_frames", lambda segmentor: 2)  # a slow machine: fewer frames than k
        short = mp_task.run_mask_propagation(path, segmentor="tiny-m2f", flow="none", k=3)
    finally:
        registry.clear_model_cache()
    assert result.frames.shape == (6, 128, 256, 3) and result.track.labels.shape == (6, 128, 256)
    assert seen and all(shape[-2:] == (64, 64) for shape in seen)  # segmented at 64 x 64, not 128 x 256
    assert len(short.frames) == 2 and short.k == 2 and short.track.is_key.tolist() == [True, False]
    assert "first 2 of the clip's 6" in short.notes[0] and "frame 0 is the only key frame" in short.notes[1]
    clip = mp_task.load_propagation_clip(path)
    config = config_from_processor(PROCESSOR)
    expected = resize_frames(load_frames(path, clip.indices).frames, config)  # from the 160 x 320 source
    assert np.array_equal(mp_task.segmentor_frames(clip, config), expected)
    seg = KeyFrameSegmentor(loaded, "mask2former", hub_class_names(loaded), preprocess=config)
    assert result.key_flops == seg.flops(128, 256) == seg.flops(64, 64)  # FLOPs of the 64 x 64 input
