"""Tubes' TubeViT-B (inflated from ViT-B/16) gets 224 px input decoded from the source, not an upscaled copy."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.methods.tubes import model as tube_model
from lib.methods.tubes import task as tubes_task
from lib.video import write_mp4


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
