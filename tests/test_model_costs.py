"""The catalog's gflops_per_input (what time estimates start from) recounted on the real architectures.

Each hub checkpoint is built from its config in assets/hub_configs (on the meta device where transformers allows,
so nothing is computed; Mask2Former makes CPU tensors inside its forward and is built for real), and one input as
its catalog sampling shapes it goes through torch.utils.flop_counter (V-JEPA 2: 16 x 256^2, 2,048 tokens: 1,870
GFLOPs, 5.2x VideoMAE-B's 16 x 224^2; SAM 2.1 hiera-tiny: one 1024^2 frame's image encoder, 293 GFLOPs).
"""
from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import lib.hooks.flops  # noqa: F401  the project's counter: CPU fused attention counted (Mask2Former's decoder)
from lib.models import list_models
from lib.models.registry import import_class
from lib.models.rehearsal import config_folder
from lib.models.warmup import canonical_input_shape, input_name

HUB = [s for s in list_models() if s.source == "hub"]


def test_every_hub_model_has_a_cost():
    assert HUB and all(s.gflops_per_input and s.gflops_per_input > 1 for s in HUB)
    assert all(s.gflops_per_input is None for s in list_models() if s.source == "bundled")


@pytest.mark.slow
@pytest.mark.parametrize("spec", HUB, ids=[s.name for s in HUB])
def test_gflops_per_input_matches_a_count(spec):
    model_class = import_class(spec.model_class)
    config = model_class.config_class.from_pretrained(config_folder(spec.location))
    device = "cpu" if spec.family == "mask2former" else "meta"
    with torch.device(device):
        model = model_class(config).eval()
    counter = FlopCounterMode(display=False, depth=None)
    pixels = torch.zeros(canonical_input_shape(spec), device=device)
    with counter, torch.no_grad():  # V-JEPA 2 names its input pixel_values_videos (its predictor is skipped)
        if spec.family == "sam2":  # one frame's image encoder (Hiera + FPN), what every frame of a video pays
            model.get_image_features(pixels)
        else:
            model(**{input_name(spec): pixels})
    assert counter.get_total_flops() / 1e9 == pytest.approx(spec.gflops_per_input, rel=0.005)
