"""lib.models.preprocess equals transformers' Pil image processors built from the kept preprocessor configs."""
from __future__ import annotations

import json

import numpy as np
import pytest

from lib.models import SPECS, get_spec, spec_preprocess_config
from lib.models.preprocess import (
    HALF,
    IMAGENET_MEAN,
    config_from_processor,
    kept_config_path,
    preprocess_config,
    preprocess_frames,
    resize_frames,
    to_unit_scale,
)
from tests.video_samples import smooth_frames

HUB_SPECS = [s for s in SPECS if s.source == "hub"]
# V-JEPA 2 ships a *video* processor (torchvision's resize of uint8 tensors, not PIL's): tests/test_preprocess_models.py
# compares it with that processor's steps instead.
# SAM 2's processors import torchvision (CHECKPOINTS.md section 9): its parity lives in tests/test_sam2_propagation.py.
PIL_SPECS = [s for s in HUB_SPECS if s.family not in ("vjepa2", "sam2")]
PROCESSORS = {"videomae": "VideoMAEImageProcessorPil", "timesformer": "VideoMAEImageProcessorPil",
              "clip": "CLIPImageProcessorPil", "vit": "ViTImageProcessorPil",
              "mask2former": "Mask2FormerImageProcessorPil", "siglip": "SiglipImageProcessorPil",
              "dinov2": "BitImageProcessorPil"}


def _reference(spec, frames: np.ndarray) -> np.ndarray:
    import transformers

    raw = json.loads(kept_config_path(spec.location).read_text())
    kwargs = {k: v for k, v in raw.items()
              if k not in ("image_processor_type", "feature_extractor_type", "processor_class")}
    processor = getattr(transformers, PROCESSORS[spec.family])(**kwargs)
    out = np.asarray(processor(list(frames), return_tensors="np")["pixel_values"])
    return out[0] if spec.family in ("videomae", "timesformer") else out  # video processors add a batch axis


def test_every_hub_checkpoint_has_a_kept_preprocessor_config_and_sampling():
    for spec in HUB_SPECS:
        assert kept_config_path(spec.location).is_file(), spec.location
        assert spec.sampling is not None and spec.sampling.source, spec.name
        config = spec_preprocess_config(spec)
        assert config.input_size == (spec.image_size, spec.image_size), spec.name


@pytest.mark.parametrize("shape", [(272, 640), (720, 1280)])
@pytest.mark.parametrize("name", [s.name for s in PIL_SPECS])
def test_preprocessing_equals_the_transformers_image_processor(name, shape):
    spec = get_spec(name)
    frames = smooth_frames(*shape)
    ours = preprocess_frames(frames, spec_preprocess_config(spec)).numpy()
    theirs = _reference(spec, frames)
    assert ours.shape == theirs.shape == (2, 3, spec.image_size, spec.image_size)
    assert float(np.abs(ours - theirs).max()) < 1e-3


def test_the_numbers_checkpoints_ship():
    assert spec_preprocess_config(get_spec("timesformer-base-k400")).mean == HALF  # not 0.45 / 0.225
    videomae = spec_preprocess_config(get_spec("videomae-base-k400"))
    assert videomae.mean == IMAGENET_MEAN and videomae.resample == 2 and videomae.resize == 224
    clip = spec_preprocess_config(get_spec("clip-vit-l14"))
    assert clip.resample == 3 and clip.crop and clip.resize == 224
    vit = spec_preprocess_config(get_spec("vit-b16-in1k"))
    assert vit.resize == (224, 224) and not vit.crop and vit.mean == HALF
    m2f = spec_preprocess_config(get_spec("mask2former-swin-t-ade"))
    assert m2f.resize == (384, 384) and not m2f.crop and max(m2f.mean) < 1


def test_mean_std_on_the_0_255_scale_are_converted_once():
    mean, std = to_unit_scale((123.675, 116.28, 103.53), (58.395, 57.12, 57.375))
    assert mean == pytest.approx(IMAGENET_MEAN, abs=1e-6) and std == pytest.approx((0.229, 0.224, 0.225), abs=1e-6)
    assert to_unit_scale(IMAGENET_MEAN, (0.229, 0.224, 0.225))[0] == IMAGENET_MEAN  # [0, 1] ones pass unchanged
    detectron = {"image_mean": [123.675, 116.28, 103.53], "image_std": [58.395, 57.12, 57.375],
                 "size": {"height": 64, "width": 64}}
    config = config_from_processor(detectron)
    frames = np.full((1, 30, 50, 3), 124, np.uint8)
    assert abs(float(preprocess_frames(frames, config)[0, 0].mean())) < 0.01  # ~mean grey -> ~0, not -500


def test_shortest_edge_truncates_and_crops_like_transformers():
    config = config_from_processor({"image_processor_type": "CLIPImageProcessor", "size": 224, "crop_size": 224,
                                    "do_center_crop": True, "resample": 3})
    frames = np.zeros((1, 272, 640, 3), np.uint8)
    frames[:, :, 320:] = 255  # right half white: the centre crop straddles the edge
    out = resize_frames(frames, config)
    assert out.shape == (1, 224, 224, 3)
    # 272x640 -> 224x527 (int, not round), crop columns 151..375: the white edge sits at column 263 - 151 = 112
    assert out[0, :, 100].max() < 10 and out[0, :, 124].min() > 245
    assert resize_frames(out, config) is out  # already at the input size: untouched


def test_missing_config_falls_back_to_family_defaults():
    fallback = preprocess_config("nobody/not-a-real-model-7f3a", family="timesformer", image_size=160)
    assert fallback.input_size == (160, 160) and fallback.mean == HALF and fallback.crop
