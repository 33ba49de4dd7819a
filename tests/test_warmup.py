"""A hub model runs one canonical input when it loads (lib/models/warmup.py), so the first visitor does not pay
the process's first forward; skipped where it would be wrong or slow."""
from __future__ import annotations

import torch

from lib.models import get_spec
from lib.models.warmup import canonical_input_shape, warm_up


class _Recorder(torch.nn.Module):
    """Records the inputs it is called with (and whether autograd was on)."""

    def __init__(self, fails: bool = False) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.calls: list[dict] = []
        self.fails = fails

    def forward(self, **inputs):
        self.calls.append({k: (tuple(v.shape), torch.is_grad_enabled()) for k, v in inputs.items()})
        if self.fails:
            raise ValueError("Input image size (224*224) doesn't match model (32*32).")
        return inputs


def test_the_canonical_input_is_what_the_catalog_counted_flops_on():
    assert canonical_input_shape(get_spec("videomae-base-k400")) == (1, 16, 3, 224, 224)
    assert canonical_input_shape(get_spec("timesformer-base-k400")) == (1, 8, 3, 224, 224)
    assert canonical_input_shape(get_spec("clip-vit-l14")) == (1, 3, 224, 224)
    assert canonical_input_shape(get_spec("mask2former-swin-t-ade")) == (1, 3, 384, 384)


def test_a_hub_model_runs_one_canonical_input_without_autograd():
    model = _Recorder()
    assert warm_up(get_spec("videomae-base-k400"), model) is not None
    assert model.calls == [{"pixel_values": ((1, 16, 3, 224, 224), False)}]


def test_no_warm_up_for_bundled_sam2_gpu_only_on_cpu_or_another_geometry():
    for name in ("stpt-tiny-toy", "sam2.1-hiera-tiny", "vjepa2-vitl-ssv2"):
        model = _Recorder()
        assert warm_up(get_spec(name), model) is None and model.calls == []
    failing = _Recorder(fails=True)  # a tiny test checkpoint: loading goes on without a warm-up
    assert warm_up(get_spec("videomae-base-k400"), failing) is None and len(failing.calls) == 1


def test_the_registry_warms_a_hub_model_up_when_it_loads(monkeypatch):
    from lib.models import registry

    model = _Recorder()
    monkeypatch.setattr(registry, "load_from", lambda spec, device: model)
    registry.clear_model_cache()
    try:
        assert registry.load_model("clip-vit-b16") is model
        assert model.calls == [{"pixel_values": ((1, 3, 224, 224), False)}]
    finally:
        registry.clear_model_cache()
