"""Token merging with a CLIP tower: frames decoded from the source at the processor's size, centre-cropped."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.methods.token_merging import run_token_merging
from lib.methods.token_merging.task import _encoder_preprocess
from lib.models.preprocess import resize_frames
from lib.video import load_clip, load_frames, write_mp4


@pytest.fixture
def tiny_clip_tower():
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    config = CLIPVisionConfig(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                              image_size=32, patch_size=8, projection_dim=16)
    torch.manual_seed(0)
    model = CLIPVisionModelWithProjection(config).eval()
    seen: list[tuple[int, ...]] = []
    model.vision_model.embeddings.patch_embedding.register_forward_pre_hook(
        lambda module, args: seen.append(tuple(args[0].shape)))
    return model, seen


@pytest.fixture
def banded_video(tmp_path):
    """48 x 128 px, 8 frames: red | green (columns 32..96) | blue. A centre crop sees only green."""
    frames = np.zeros((8, 48, 128, 3), np.uint8)
    frames[:, :, :32, 0] = 255
    frames[:, :, 32:96, 1] = 255
    frames[:, :, 96:, 2] = 255
    path = tmp_path / "bands.mp4"
    write_mp4(frames, path, fps=8.0, crf=10)
    return path


def test_clip_gets_a_centre_crop_at_its_own_size_not_a_stretched_frame(tiny_clip_tower, banded_video):
    model, seen = tiny_clip_tower
    result = run_token_merging(banded_video, model=model, num_frames=4, num_segments=2, tokens_per_segment=5,
                               num_global=1, short_side=16)
    assert seen and all(shape[1:] == (3, 32, 32) for shape in seen)  # what the embedding actually received
    assert result.frames.shape == (4, 32, 32, 3) and result.grid == (4, 4)
    centre = result.frames.astype(int)
    assert centre[..., 1].min() > 200 and centre[..., 0].max() < 60 and centre[..., 2].max() < 60  # no red/blue


def test_a_small_decoded_clip_is_decoded_again_from_its_source(tiny_clip_tower, banded_video):
    model, seen = tiny_clip_tower
    small = load_clip(banded_video, num_frames=4, short_side=12)  # an analysis copy far below 32 px
    result = run_token_merging(small, model=model, num_frames=4, num_segments=2, tokens_per_segment=5, num_global=1)
    config = _encoder_preprocess(model, model)
    expected = resize_frames(load_frames(banded_video, small.indices).frames, config)
    assert np.array_equal(result.frames, expected)  # from the source file, not upscaled from 12 px
    assert all(shape[-2:] == (32, 32) for shape in seen)


def test_catalogued_clip_uses_its_checkpoint_processor():
    config = _encoder_preprocess("clip-vit-l14", None)
    assert config.input_size == (224, 224) and config.resample == 3 and config.crop and config.resize == 224
