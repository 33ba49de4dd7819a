"""Tubes' TubeViT-B (inflated from ViT-B/16) gets 224 px input decoded from the source, not an upscaled copy."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.methods.tubes import model as tube_model
from lib.methods.tubes import task as tubes_task
from lib.video import write_mp4
from tests.video_samples import smooth_frames


def _tiny_tubevit_b():
    from transformers import ViTConfig, ViTModel

    from lib.methods.tubes.hub import tubevit_from_vit

    config = ViTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37,
                       image_size=224, patch_size=16)
    torch.manual_seed(0)
    return tubevit_from_vit(ViTModel(config, add_pooling_layer=False))


@pytest.mark.slow
def test_inflated_tubevit_gets_224_px_frames_decoded_from_the_source(tmp_path, monkeypatch):
    model = _tiny_tubevit_b()
    assert tuple(model.input_shape[1:]) == (224, 224)
    monkeypatch.setattr(tubes_task, "_inflated_vit_b", lambda: model)
    seen_frames: list[tuple[int, ...]] = []
    seen_input: list[tuple[int, ...]] = []
    original = tube_model.video_input
    monkeypatch.setattr(tube_model, "video_input",
                        lambda frames, m: seen_frames.append(np.asarray(frames).shape) or original(frames, m))
    model.tokenizer.register_forward_pre_hook(lambda module, args: seen_input.append(tuple(args[0].shape)))
    frames = (np.random.default_rng(0).random((32, 240, 320, 3)) * 255).astype(np.uint8)
    path = tmp_path / "clip.mp4"
    write_mp4(frames, path, fps=8.0, crf=18)
    result = tubes_task.run_tubes(path, model_name=tubes_task.INFLATED_MODEL, num_frames=32, short_side=96)
    assert result.frames.shape == (32, 96, 128, 3)  # the analysed copy stays small
    assert seen_frames == [(32, 224, 299, 3)]  # the model's frames: short side 224 from the 240 x 320 source
    assert seen_input == [(1, 3, 32, 224, 224)]  # what the tube tokenizer receives
    # the bundled toy model keeps the analysed frames (no second decode)
    seen_frames.clear()
    tubes_task.run_tubes(path, model_name="tubevit-tiny-toy", num_frames=32, short_side=96)
    assert seen_frames == [(32, 96, 128, 3)]


# --- V-JEPA 2: a video processor (torchvision), compared with its documented steps ------------------------------

def _vjepa2_processor_values() -> dict:
    """The class attributes of transformers' VJEPA2VideoProcessor, read from its source (importing the class needs
    torchvision, which does not work here): resample, image_mean/std, crop_size and the resize its __init__ derives."""
    import ast
    import importlib.util
    from pathlib import Path

    from transformers.image_utils import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD, PILImageResampling

    folder = Path(importlib.util.find_spec("transformers").submodule_search_locations[0])
    tree = ast.parse((folder / "models" / "vjepa2" / "video_processing_vjepa2.py").read_text())
    body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "VJEPA2VideoProcessor").body
    names = {"PILImageResampling": PILImageResampling, "IMAGENET_DEFAULT_MEAN": IMAGENET_DEFAULT_MEAN,
             "IMAGENET_DEFAULT_STD": IMAGENET_DEFAULT_STD, "int": int}
    values = {n.targets[0].id: eval(compile(ast.Expression(n.value), "vjepa2", "eval"), names)  # noqa: S307
              for n in body if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)}
    init = ast.unparse(next(n for n in body if isinstance(n, ast.FunctionDef) and n.name == "__init__"))
    assert "int(crop_size * 256 / 224)" in init  # the resize its __init__ derives from the crop
    values["resize"] = int(values["crop_size"] * 256 / 224)
    return values


def _processor_steps(frames: np.ndarray, values: dict) -> np.ndarray:
    """BaseVideoProcessor._preprocess on the torchvision backend, step by step: shortest edge (transformers'
    get_resize_output_image_size, truncating), torchvision's resize of uint8 tensors (= torch's antialiased
    interpolate), centre crop at int((H - h) / 2.0), then (x * rescale - mean) / std in float32."""
    import torch.nn.functional as F

    height, width = frames.shape[1:3]
    short, long = sorted((height, width))
    new_long = int(values["resize"] * long / short)
    new_h, new_w = (values["resize"], new_long) if height <= width else (new_long, values["resize"])
    video = torch.from_numpy(frames).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
    video = F.interpolate(video, size=(new_h, new_w), mode="bilinear", antialias=True, align_corners=False)
    crop = values["crop_size"]
    top, left = int((new_h - crop) / 2.0), int((new_w - crop) / 2.0)
    video = video[..., top:top + crop, left:left + crop].float()
    mean = torch.tensor(values["image_mean"]).view(1, 3, 1, 1)
    std = torch.tensor(values["image_std"]).view(1, 3, 1, 1)
    return ((video * (1 / 255) - mean) / std).numpy()


@pytest.mark.parametrize("shape", [(272, 640), (720, 1280), (480, 360)])
def test_vjepa2_preprocessing_equals_its_video_processor_steps(shape):

    from lib.models import get_spec, spec_preprocess_config
    from lib.models.preprocess import preprocess_frames

    values = _vjepa2_processor_values()
    config = spec_preprocess_config(get_spec("vjepa2-vitl-ssv2"))  # the kept preprocessor_config.json
    assert (config.resize, config.input_size, config.resample) == (values["resize"], (256, 256), values["resample"])
    assert (config.resize, config.resample) == (292, 2)  # int(256 * 256 / 224), bilinear
    assert config.mean == tuple(values["image_mean"]) and config.std == tuple(values["image_std"])
    assert config.resize_backend == "torch"
    frames = smooth_frames(*shape, seed=1)
    ours = preprocess_frames(frames, config).numpy()
    theirs = _processor_steps(frames, values)
    assert ours.shape == theirs.shape == (2, 3, 256, 256)
    assert float(np.abs(ours - theirs).max()) < 1e-3
