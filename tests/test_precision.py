"""lib.models.precision: the choice (auto, override, refusal of nonsense) and bfloat16 outputs close to float32."""
from __future__ import annotations

import pytest
import torch

from lib.models.precision import PRECISION_ENV, choose_precision, inference_precision


def test_override_and_refusal(monkeypatch):
    monkeypatch.setenv(PRECISION_ENV, "float32")
    assert choose_precision("cpu").name == "float32"
    monkeypatch.setenv(PRECISION_ENV, "bfloat16")
    assert choose_precision("cpu").name == "bfloat16"
    assert "bfloat16" in choose_precision("cpu").note
    monkeypatch.setenv(PRECISION_ENV, "half please")
    with pytest.raises(ValueError, match=PRECISION_ENV):
        choose_precision("cpu")


def test_auto_follows_the_processor(monkeypatch):
    monkeypatch.delenv(PRECISION_ENV, raising=False)
    native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    assert choose_precision("cpu").name == ("bfloat16" if native else "float32")


def test_float32_context_is_exact_and_no_grad(monkeypatch):
    monkeypatch.setenv(PRECISION_ENV, "float32")
    layer = torch.nn.Linear(8, 4)
    x = torch.randn(3, 8)
    with inference_precision("cpu") as precision:
        y = layer(x)
    assert precision.name == "float32" and y.dtype == torch.float32 and not y.requires_grad
    assert torch.equal(y, layer(x).detach())


@pytest.mark.parametrize("family", ["clip", "videomae"])
def test_bfloat16_forward_stays_close_to_float32(monkeypatch, family):
    """A tiny transformers model under the bfloat16 context: same shapes, outputs within a few percent."""
    torch.manual_seed(0)
    if family == "clip":
        from transformers import CLIPVisionConfig, CLIPVisionModel

        model = CLIPVisionModel(CLIPVisionConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                                 num_attention_heads=4, image_size=32, patch_size=8)).eval()
        x = {"pixel_values": torch.randn(2, 3, 32, 32)}
    else:
        from transformers import VideoMAEConfig, VideoMAEForVideoClassification

        model = VideoMAEForVideoClassification(VideoMAEConfig(
            image_size=32, patch_size=8, num_frames=4, tubelet_size=2, hidden_size=64, num_hidden_layers=2,
            num_attention_heads=4, intermediate_size=128, num_labels=5)).eval()
        x = {"pixel_values": torch.randn(1, 4, 3, 32, 32)}
    with torch.no_grad():
        reference = model(**x)[0].float()
    monkeypatch.setenv(PRECISION_ENV, "bfloat16")
    with inference_precision("cpu"):
        fast = model(**x)[0].float()
    assert fast.shape == reference.shape
    relative = (fast - reference).norm() / reference.norm()
    assert relative < 0.05
    cosine = torch.nn.functional.cosine_similarity(fast.flatten(), reference.flatten(), dim=0)
    assert cosine > 0.99
