"""SigLIP 2 and DINOv2 as Token merging frame encoders (issue 18): catalog, own preprocessing, merged timeline.

Tiny random towers with the checkpoints' real input geometry (224 px; SigLIP patch 16 -> 196 patches and no
CLS; DINOv2 patch 14 -> 256 patches + CLS) load through the catalog's model classes and run the tab's pipeline on
a video file. Random weights: only shapes, preprocessing and bookkeeping are checked, never what merges.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from tiny_models import tiny_dinov2, tiny_siglip

from lib.methods.token_merging import encoder_choices, run_token_merging
from lib.methods.token_merging import task as merging_task
from lib.methods.token_merging.features import encode_frames, encoder_geometry
from lib.models import get_spec, load_from, spec_preprocess_config
from lib.models import speed as model_speed
from lib.models.precision import PRECISION_ENV
from lib.models.preprocess import HALF, IMAGENET_MEAN, IMAGENET_STD, kept_config_path, preprocess_frames
from lib.video import load_frames, write_mp4

NEW = ("siglip2-base-p16-224", "dinov2-small")
PATCH_GRID = {"siglip2-base-p16-224": (14, 14), "dinov2-small": (16, 16)}
TINY = {"siglip": tiny_siglip, "dinov2": tiny_dinov2}
PROCESSORS = {"siglip": "SiglipImageProcessorPil", "dinov2": "BitImageProcessorPil"}


@pytest.fixture
def banded_video(tmp_path):
    """96 x 192 px, 12 frames: red | green (columns 48..144) | blue; DINOv2's centre crop sees green only."""
    frames = np.zeros((12, 96, 192, 3), np.uint8)
    frames[:, :, :48, 0] = 255
    frames[:, :, 48:144, 1] = 255
    frames[:, :, 144:, 2] = 255
    path = tmp_path / "bands.mp4"
    write_mp4(frames, path, fps=6.0, crf=10)
    return path


@pytest.fixture
def tiny_tower(request, tmp_path, monkeypatch):
    """(name, tower loaded through the catalog spec from a saved tiny checkpoint, pixel batches its embedding saw)."""
    name = request.param
    spec = get_spec(name)
    TINY[spec.family]().save_pretrained(tmp_path / "ckpt")  # SigLIP: the full model, as google ships it
    tower = load_from(spec, tmp_path / "ckpt", device="cpu")
    seen: list[torch.Tensor] = []
    embed = tower.embeddings.patch_embedding if spec.family == "siglip" else tower.embeddings.patch_embeddings
    embed.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    monkeypatch.setattr(merging_task, "load_model", lambda wanted: tower if wanted == name else None)
    monkeypatch.setattr(model_speed, "_MEASURED", {})  # the tiny tower's speed is not the checkpoint's
    monkeypatch.setenv(PRECISION_ENV, "float32")  # compared with float32 forwards below
    return name, tower, seen


def test_catalog_entries_are_frame_encoders_the_tab_offers():
    choices = encoder_choices()
    for name in NEW:
        spec = get_spec(name)
        assert spec.source == "hub" and spec.task == "frame-encoder" and name in choices
        assert spec.sampling is not None and "hf:" in spec.sampling.source
        assert spec.download_mb > 50 and spec.gflops_per_input > 10
        assert merging_task.default_frames(name) < 200
    assert choices[0] == "frame-vit-toy"  # the bundled encoder stays first
    # a SigLIP 2 frame costs what a CLIP-B/16 frame does; DINOv2-S a third of it
    assert get_spec("siglip2-base-p16-224").gflops_per_input == pytest.approx(get_spec("clip-vit-b16").gflops_per_input,
                                                                              rel=0.05)
    assert get_spec("dinov2-small").gflops_per_input < get_spec("clip-vit-b16").gflops_per_input / 2


def test_each_gets_its_own_preprocessing():
    siglip = spec_preprocess_config(get_spec("siglip2-base-p16-224"))
    assert siglip.resize == (224, 224) and not siglip.crop and siglip.resample == 2  # bilinear, no crop
    assert siglip.mean == HALF and siglip.std == HALF
    for name in ("dinov2-small",):
        dino = spec_preprocess_config(get_spec(name))
        assert dino.resize == 256 and dino.crop and dino.input_size == (224, 224) and dino.resample == 3
        assert dino.mean == IMAGENET_MEAN and dino.std == IMAGENET_STD  # not BitImageProcessor's CLIP defaults


@pytest.mark.parametrize("name", NEW)
def test_preprocessing_equals_the_transformers_processor(name):
    import transformers

    spec = get_spec(name)
    raw = json.loads(kept_config_path(spec.location).read_text())
    kwargs = {k: v for k, v in raw.items() if k not in ("image_processor_type", "processor_class")}
    rng = np.random.default_rng(0)
    frames = np.repeat(np.repeat(rng.integers(0, 256, (2, 34, 80, 3), dtype=np.uint8), 8, axis=1), 8, axis=2)
    theirs = getattr(transformers, PROCESSORS[spec.family])(**kwargs)(list(frames), return_tensors="np")
    ours = preprocess_frames(frames, spec_preprocess_config(spec)).numpy()  # (2, 3, 224, 224) from 272 x 640
    assert ours.shape == np.asarray(theirs["pixel_values"]).shape == (2, 3, 224, 224)
    assert float(np.abs(ours - np.asarray(theirs["pixel_values"])).max()) < 1e-3


@pytest.mark.parametrize("tiny_tower", NEW, indirect=True)
def test_merged_timeline_on_the_users_frames(tiny_tower, banded_video):
    name, tower, seen = tiny_tower
    spec = get_spec(name)
    result = run_token_merging(banded_video, model=name, num_frames=4, num_segments=2, tokens_per_segment=5,
                               num_global=2, short_side=32)
    rows, cols = PATCH_GRID[name]
    assert result.grid == (rows, cols) and result.raw_tokens == 4 * rows * cols
    assert result.sequence.shape == (2 + 2 * 5, tower.config.hidden_size) and result.merged_tokens == 12
    assert all(seg.sizes.sum() == 2 * rows * cols for seg in result.segments)  # every patch in one token
    # what the embedding received: the source frames prepared by the checkpoint's own processor, at 224 px
    config = spec_preprocess_config(spec)
    source = load_frames(banded_video, np.round(result.timestamps * 6.0).astype(int)).frames
    expected = preprocess_frames(source, config)
    pixels = torch.cat(seen)
    assert pixels.shape == (4, 3, 224, 224) and torch.allclose(pixels, expected, atol=1e-5)
    assert result.frames.shape == (4, 224, 224, 3)
    red, blue = result.frames[..., 0].max(), result.frames[..., 2].max()
    if spec.family == "siglip":  # a fixed resize of the whole frame: all three bands stay in view
        assert red > 200 and blue > 200 and result.global_from == "patch-mean" and "no CLS token" in result.summary()
        budgets = {b.name: b.tokens for b in result.budgets}  # the video LLM built on SigLIP pools 2x per frame
        assert budgets["LLaVA-OneVision frame pooling"] == 4 * 7 * 7
    else:  # short side 256, centre crop 224 of 256 x 512: only the green band
        assert red < 60 and blue < 60 and result.global_from == "cls" and "no CLS" not in result.summary()


@pytest.mark.parametrize("tiny_tower", NEW[:2], indirect=True)
def test_features_are_the_towers_own_tokens(tiny_tower, banded_video):
    name, tower, _ = tiny_tower
    config = spec_preprocess_config(get_spec(name))
    frames = load_frames(banded_video, np.arange(3)).frames
    feats = encode_frames(tower, frames, preprocess=config)
    assert feats.grid == encoder_geometry(tower, config)[1] == PATCH_GRID[name]
    with torch.no_grad():
        states = tower(pixel_values=preprocess_frames(frames, config), output_hidden_states=True).hidden_states
    prefix = 0 if name.startswith("siglip") else 1  # SigLIP has no CLS token
    assert states[-2].shape[1] == prefix + feats.patches.shape[1]
    assert torch.allclose(feats.patches, states[-2][:, prefix:], atol=1e-5)  # penultimate layer, patches only
    assert feats.keys.shape[:2] == feats.patches.shape[:2]
    assert feats.cls_states.shape == (3, len(states), tower.config.hidden_size)
    summary = states[-1].mean(dim=1) if prefix == 0 else states[-1][:, 0]
    assert torch.allclose(feats.cls_states[:, -1], summary, atol=1e-5)


def test_dinov2_grid_comes_from_the_input_not_the_position_grid():
    tower = tiny_dinov2()
    assert tower.config.image_size == 518  # 37 x 37 position embeddings, interpolated to what it is given
    assert encoder_geometry(tower)[:2] == (224, (16, 16))
