"""SAM 2 as a second way to propagate masks (lib/methods/mask_propagation/sam2_propagation.py): a tiny random
Sam2VideoModel runs the engine on toy-world clips; its preprocessing equals Sam2VideoVideoProcessor's documented
steps on the real preprocessor config; one slow test runs the full-size rehearsed facebook/sam2.1-hiera-tiny.
Random weights say nothing about mask quality: these tests check shapes, object ids, costs and mechanics."""
from __future__ import annotations

import ast
import importlib.util
import json
import resource
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from lib.errors import UserInputError
from lib.methods.mask_propagation.sam2_propagation import (
    countable_attention,
    key_frame_masks,
    propagate_with_sam2,
)
from lib.methods.mask_propagation.sam2_session import (
    HUB_ID,
    labels_from_masks,
    prompt_mask,
    sam2_pixel_values,
    sam2_preprocess_config,
)
from lib.models.preprocess import kept_config_path
from lib.toyworld import ToyWorldConfig, generate_clip
from tests.tiny_models import tiny_sam2_video
from tests.video_samples import smooth_frames

CONFIGS = Path(__file__).resolve().parents[1] / "assets" / "hub_configs" / HUB_ID.replace("/", "--")


@pytest.fixture(scope="module")
def tiny():
    return tiny_sam2_video()


@pytest.fixture(scope="module")
def clip():
    return generate_clip(3, ToyWorldConfig(num_frames=6, min_objects=2, max_objects=3))


def test_every_frame_gets_a_label_map_and_the_key_frames_classes_are_the_objects(tiny, clip):
    key = clip.semantic[0]
    result = propagate_with_sam2(tiny, clip.frames, key)
    present = [int(v) for v in np.unique(key) if v != 0]
    assert len(present) >= 2  # the clip has several objects, so the argmax over objects matters
    assert result.labels.shape == clip.semantic.shape and result.labels.dtype == np.uint8
    assert result.object_ids.tolist() == present  # one SAM 2 object per class, its id the class id
    assert result.object_scores.shape == (6, len(present))
    for labels in result.labels:  # every value is background or one of the prompted classes
        assert set(np.unique(labels).tolist()) <= {0, *present}
    # the key frame's output is its mask prompt, brought back to the grid: near-identical to the input
    assert (result.labels[0] == key).mean() > 0.97
    assert (result.flops > 0).all() and (result.seconds > 0).all()
    assert result.gflops_per_frame == pytest.approx(result.flops.mean() / 1e9)
    assert result.input_size == 128 and result.key_frame == 0 and result.precision in ("float32", "bfloat16")


def test_memory_frames_cost_more_than_the_prompted_frame_until_the_memory_is_full(tiny):
    clip = generate_clip(4, ToyWorldConfig(num_frames=10, min_objects=2, max_objects=2))
    flops = propagate_with_sam2(tiny, clip.frames, clip.semantic[0]).flops
    # frame 0 uses its mask as output (no memory attention); later frames attend to 1, 2, ... memories
    assert flops[1] > flops[0]
    assert (np.diff(flops[1:7]) > 0).all()  # one more memory frame (and object pointer) each time


def test_a_later_key_frame_propagates_both_ways(tiny, clip):
    key = clip.semantic[3]
    result = propagate_with_sam2(tiny, clip.frames, key, key_frame=3)
    assert result.key_frame == 3 and (result.labels[3] == key).mean() > 0.97
    assert (result.flops > 0).all()  # frames 0..2 were reached by the backward pass
    assert result.flops[2] > result.flops[3] and result.flops[4] > result.flops[3]


def test_painted_labels_and_a_custom_background(tiny, clip):
    painted = np.full(clip.frames.shape[1:3], 9, np.int32)  # 9 = unpainted
    painted[20:60, 30:90] = 1
    painted[70:110, 10:50] = 300  # an id beyond uint8
    result = propagate_with_sam2(tiny, clip.frames, painted, background=9)
    assert result.object_ids.tolist() == [1, 300] and result.labels.dtype == np.int32
    assert set(np.unique(result.labels).tolist()) <= {1, 9, 300}


def test_bad_inputs_say_what_is_wrong(tiny, clip):
    with pytest.raises(UserInputError, match="no object"):
        propagate_with_sam2(tiny, clip.frames, np.zeros(clip.frames.shape[1:3], np.uint8))
    with pytest.raises(UserInputError, match="must match"):
        propagate_with_sam2(tiny, clip.frames, clip.semantic[0][:64])
    with pytest.raises(UserInputError, match="key frame 6"):
        propagate_with_sam2(tiny, clip.frames, clip.semantic[0], key_frame=6)
    assert list(key_frame_masks(np.array([[0, 2], [5, 2]]))) == [2, 5]


def test_attention_is_counted_and_the_model_is_left_as_it_was(tiny, clip):
    before = tiny.config._attn_implementation
    with countable_attention(tiny):
        inside = tiny.config._attn_implementation
    assert tiny.config._attn_implementation == before
    if before != "eager":  # on CPU torch's counter misses fused attention: the run switches to eager
        assert inside == "eager" or torch.ops.aten._scaled_dot_product_flash_attention_for_cpu in \
            torch.utils.flop_counter.flop_registry


def test_labels_take_the_object_with_the_highest_positive_logit():
    logits = torch.full((2, 1, 4, 4), -5.0)
    logits[0, 0, :2] = 3.0
    logits[1, 0, 1:3] = 4.0  # row 1: both positive, object 2 (id 7) wins
    labels = labels_from_masks(logits, np.array([4, 7]), (4, 4))
    assert labels.tolist() == [[4] * 4, [7] * 4, [7] * 4, [0] * 4]


# --- preprocessing parity: Sam2VideoVideoProcessor's documented steps on the real preprocessor config -----------

def _class_values(path: str, class_name: str) -> dict:
    """Class attributes of a transformers processor read from its source (importing it needs torchvision)."""
    from transformers.image_utils import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD, PILImageResampling

    folder = Path(importlib.util.find_spec("transformers").submodule_search_locations[0])
    tree = ast.parse((folder / "models" / path).read_text())
    body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name).body
    names = {"PILImageResampling": PILImageResampling, "IMAGENET_DEFAULT_MEAN": IMAGENET_DEFAULT_MEAN,
             "IMAGENET_DEFAULT_STD": IMAGENET_DEFAULT_STD}
    simple = [n for n in body if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
              and not (isinstance(n.value, ast.Name) and n.value.id not in names)]  # e.g. valid_kwargs = a class
    return {n.targets[0].id: eval(compile(ast.Expression(n.value), class_name, "eval"), names)  # noqa: S307
            for n in simple}


def _processor_steps(frames: np.ndarray, values: dict) -> np.ndarray:
    """BaseVideoProcessor._preprocess on the torchvision backend: torchvision's resize of uint8 tensors to the fixed
    (height, width) (= torch's antialiased bilinear interpolate), no crop, then (x * 1/255 - mean) / std."""
    import torch.nn.functional as F

    video = torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
    size = (values["size"]["height"], values["size"]["width"])
    video = F.interpolate(video, size=size, mode="bilinear", antialias=True, align_corners=False).float()
    mean = torch.tensor(values["image_mean"]).view(1, 3, 1, 1)
    std = torch.tensor(values["image_std"]).view(1, 3, 1, 1)
    return ((video * (1 / 255) - mean) / std).numpy()


@pytest.mark.parametrize("shape", [(128, 128), (128, 227), (272, 640)])
def test_preprocessing_equals_the_sam2_video_processor_steps(shape):

    video = _class_values("sam2_video/video_processing_sam2_video.py", "Sam2VideoVideoProcessor")
    image = _class_values("sam2/image_processing_sam2.py", "Sam2ImageProcessor")
    kept = json.loads(kept_config_path(HUB_ID).read_text())
    for values in (video, image):  # the kept file holds the processors' values (the converter used the defaults)
        assert values["size"] == kept["size"] == {"height": 1024, "width": 1024}
        assert list(values["image_mean"]) == kept["image_mean"] and list(values["image_std"]) == kept["image_std"]
        assert int(values["resample"]) == kept["resample"] == 2
    assert image["mask_size"] == kept["mask_size"] == {"height": 256, "width": 256}

    class Real:  # the real checkpoint's input side, from the kept config.json
        config = type("C", (), {"image_size": json.loads((CONFIGS / "config.json").read_text())["image_size"]})

    config = sam2_preprocess_config(Real)
    assert config.input_size == (1024, 1024) and config.resize_backend == "torch" and not config.crop
    frames = smooth_frames(*shape, seed=1)
    ours = sam2_pixel_values(frames, config).numpy()
    theirs = _processor_steps(frames, video)
    assert ours.shape == theirs.shape == (2, 3, 1024, 1024)
    assert float(np.abs(ours - theirs).max()) < 1e-3


def test_mask_prompts_are_resized_and_thresholded_as_the_processor_does():
    mask = np.zeros((128, 128), bool)
    mask[10:20, 40:41] = True  # one pixel wide: survives the 8x upsampling
    out = prompt_mask(mask, 1024)
    assert out.shape == (1, 1, 1024, 1024) and set(torch.unique(out).tolist()) <= {0.0, 1.0}
    columns = torch.nonzero(out[0, 0].sum(0)).flatten()
    rows = torch.nonzero(out[0, 0].sum(1)).flatten()
    assert columns.tolist() == list(range(320, 328))  # input column 40 -> output columns 8 * 40 .. 8 * 41 - 1
    assert abs(int(rows[0]) - 80) <= 1 and abs(int(rows[-1]) - 159) <= 1
    assert prompt_mask(np.ones((1024, 1024), bool), 1024).sum() == 1024 * 1024  # at size: passed as is


# --- the real architecture, random weights ------------------------------------------------------------------

def test_the_kept_config_is_the_real_hiera_tiny():
    config = json.loads((CONFIGS / "config.json").read_text())
    trunk = config["vision_config"]["backbone_config"]
    assert config["architectures"] == ["Sam2VideoModel"] and config["model_type"] == "sam2_video"
    assert (trunk["hidden_size"], trunk["blocks_per_stage"], trunk["global_attention_blocks"]) == \
        (96, [1, 2, 7, 2], [5, 7, 9])
    assert (config["image_size"], config["num_maskmem"], config["memory_attention_num_layers"]) == (1024, 7, 4)
    assert config["max_object_pointers_in_encoder"] == 16 and config["memory_encoder_output_channels"] == 64


@pytest.mark.slow
def test_full_size_rehearsal_propagates_a_toy_clip():
    from lib.models.rehearsal import build_random_model

    torch.set_num_threads(min(2, torch.get_num_threads()))
    model = build_random_model(HUB_ID)
    params = sum(p.numel() for p in model.parameters())
    assert 38.5e6 < params < 39.5e6  # 38.9 M in the sam2 README's checkpoint table
    clip = generate_clip(11, ToyWorldConfig(num_frames=3, min_objects=2, max_objects=2))
    start = time.perf_counter()
    result = propagate_with_sam2(model, clip.frames, clip.semantic[0])
    seconds = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"\nSAM 2.1 hiera-tiny (random weights), {params / 1e6:.2f} M parameters, {len(result.object_ids)} objects, "
          f"128 px frames upsampled to {result.input_size}: {seconds:.1f} s for 3 frames "
          f"({result.seconds.round(2).tolist()} s per frame), GFLOPs per frame {(result.flops / 1e9).round(1).tolist()}"
          f", peak RSS {peak_gb:.2f} GB")
    assert result.input_size == 1024 and result.labels.shape == clip.semantic.shape
    assert result.object_ids.tolist() == [int(v) for v in np.unique(clip.semantic[0]) if v != 0]
    assert result.flops[1] > result.flops[0] > 50e9  # Hiera at 1024 x 1024 alone is tens of GFLOPs
