"""Recorders (parity with transformers, hook hygiene), attention probe, FLOP counts, token grid."""
import numpy as np
import pytest
import torch
from torch import nn

from lib.hooks import (
    AttentionProbe,
    RecordingError,
    TokenGrid,
    count_flops,
    count_model_flops,
    find_attention_modules,
    record_attention,
    record_hidden,
)
from lib.hooks.recorder import FUSED_MESSAGE
from tests.tiny_models import tiny_mask2former, tiny_timesformer, tiny_videomae

torch.set_num_threads(2)


def clip(batch: int = 1) -> torch.Tensor:
    return torch.randn(batch, 4, 3, 32, 32, generator=torch.Generator().manual_seed(3))  # (B, T, 3, H, W)


def hook_counts(model: nn.Module) -> list[int]:
    return [
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._forward_hooks_with_kwargs)
        for m in model.modules()
    ]


class ProbedAttention(nn.Module):
    """Minimal self-attention that routes its probabilities through an AttentionProbe."""

    def __init__(self, dim: int = 8, heads: int = 2, index: int = 0):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.probe = AttentionProbe(name="global", layer_index=index)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = self.probe((q @ k.transpose(-2, -1) * q.shape[-1] ** -0.5).softmax(dim=-1))  # (B, h, N, N)
        return (attn @ v).transpose(1, 2).reshape(b, n, d)


class ProbedNet(nn.Module):
    def __init__(self, depth: int = 3):
        super().__init__()
        self.blocks = nn.ModuleList(ProbedAttention(index=i) for i in range(depth))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = x + block(x)
        return x


# --- attention recording --------------------------------------------------------------------------


def test_recorded_attention_equals_output_attentions():
    model = tiny_videomae("eager")
    pixels = clip(batch=2)
    with torch.no_grad():
        reference = model(pixel_values=pixels, output_attentions=True).attentions
        with record_attention(model, dtype=torch.float32) as rec:
            model(pixel_values=pixels)
    assert len(reference) == 2 and len(rec.maps) == 2
    assert rec.layer_names == [
        "videomae.encoder.layer.0.attention.attention",
        "videomae.encoder.layer.1.attention.attention",
    ]
    for ours, theirs in zip(rec.maps, reference):
        assert ours.shape == (2, 4, 8, 8)  # (B, heads, tokens, tokens): 2x2x2 tubelet grid
        assert torch.equal(ours, theirs)


def test_only_requested_layers_are_recorded_at_the_requested_dtype():
    model = tiny_videomae("eager")
    with torch.no_grad(), record_attention(model, layers=[-1]) as rec:
        model(pixel_values=clip())
    assert rec.layer_indices == [1] and len(rec.maps) == 1
    assert rec.maps[0].dtype == torch.float16 and rec.maps[0].device.type == "cpu"
    torch.testing.assert_close(rec.maps[0].float().sum(-1), torch.ones(1, 4, 8), atol=2e-3, rtol=0)
    with pytest.raises(IndexError):
        record_attention(model, layers=[2])


def test_sdpa_model_raises_recording_error():
    model = tiny_videomae("sdpa")
    before = hook_counts(model)
    with pytest.raises(RecordingError) as info, torch.no_grad():
        with record_attention(model):
            model(pixel_values=clip())
    assert str(info.value) == FUSED_MESSAGE
    assert hook_counts(model) == before


def test_hooks_are_removed_also_when_the_body_raises():
    model = tiny_timesformer()
    before = hook_counts(model)
    with pytest.raises(ZeroDivisionError):
        with record_attention(model):
            assert sum(hook_counts(model)) > sum(before)
            1 / 0
    assert hook_counts(model) == before
    with torch.no_grad(), record_attention(model):
        model(pixel_values=clip())
    assert hook_counts(model) == before


def test_timesformer_records_temporal_and_spatial_attention():
    model = tiny_timesformer()
    with torch.no_grad():
        reference = model(pixel_values=clip(), output_attentions=True).attentions  # spatial only
        with record_attention(model, dtype=None) as rec:
            model(pixel_values=clip())
    spatial = [m for n, m in zip(rec.layer_names, rec.maps) if ".temporal_attention." not in n]
    temporal = [m for n, m in zip(rec.layer_names, rec.maps) if ".temporal_attention." in n]
    assert len(spatial) == len(temporal) == 2
    assert temporal[0].shape == (4, 4, 4, 4)  # (B*H*W, heads, T, T)
    for ours, theirs in zip(spatial, reference):
        assert torch.equal(ours, theirs)  # (B*T, heads, 1+H*W, 1+H*W)


def test_mask2former_attention_found_by_type():
    model = tiny_mask2former()
    kinds = {type(m).__name__ for _, m in find_attention_modules(model)}
    assert {"SwinAttention", "Mask2FormerAttention", "MultiheadAttention"} <= kinds
    with torch.no_grad(), record_attention(model) as rec:
        model(pixel_values=torch.randn(1, 3, 64, 64))
    cross = [m for n, m in zip(rec.layer_names, rec.maps) if n.endswith("cross_attn")]
    assert cross and cross[0].shape[:3] == (1, 2, 5)  # (B, heads, queries, pixels): per head, not averaged


def test_attention_probe_found_and_layers_concatenate_over_calls():
    net = ProbedNet(depth=3).eval()
    assert [n for n, _ in find_attention_modules(net)] == [f"blocks.{i}.probe" for i in range(3)]
    x = torch.randn(2, 5, 8)
    with torch.no_grad(), record_attention(net, layers=[0, 2], dtype=None) as rec:
        net(x[:1])
        net(x[1:])
    assert rec.layer_names == ["blocks.0.probe", "blocks.2.probe"]
    assert rec.maps[0].shape == (2, 2, 5, 5)
    torch.testing.assert_close(rec.maps[1].sum(-1), torch.ones(2, 2, 5))


def test_recording_without_a_forward_pass_is_an_error():
    with pytest.raises(RecordingError, match="did not run"):
        with record_attention(ProbedNet()):
            pass
    with pytest.raises(RecordingError, match="No attention modules"):
        with record_attention(nn.Linear(2, 2)):
            pass


# --- hidden states --------------------------------------------------------------------------------


def test_record_hidden_matches_output_hidden_states():
    from transformers.models.videomae.modeling_videomae import VideoMAELayer

    model = tiny_videomae("eager")
    with torch.no_grad():
        reference = model(pixel_values=clip(), output_hidden_states=True).hidden_states
        before = hook_counts(model)  # after the reference: transformers keeps hooks of its own
        with record_hidden(model, (VideoMAELayer,)) as rec:
            model(pixel_values=clip())
    assert hook_counts(model) == before
    assert rec.layer_names == ["videomae.encoder.layer.0", "videomae.encoder.layer.1"]
    for ours, theirs in zip(rec.maps, reference[1:]):
        assert torch.equal(ours, theirs)  # (B, tokens, hidden)
    with pytest.raises(RecordingError):
        record_hidden(model, (nn.Conv1d,))


# --- FLOPs ----------------------------------------------------------------------------------------


def test_linear_flops_and_per_module_report():
    layer = nn.Linear(16, 32)
    report = count_model_flops(layer, torch.randn(4, 16))
    assert report.total == 2 * 16 * 32 * 4
    assert report.gflops == pytest.approx(report.total / 1e9)
    net = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8))
    report = count_flops(lambda: net(torch.randn(4, 16)))
    assert report.total == 2 * 4 * (16 * 32 + 32 * 8)
    assert report.per_module["Sequential.0"] == 2 * 4 * 16 * 32
    assert report.per_module["Sequential.2"] == 2 * 4 * 32 * 8
    assert sum(report.per_operator.values()) == report.total


def test_macs_are_half_the_counted_flops_as_papers_count():
    from lib.hooks import MACS_NOTE, macs_of

    report = count_model_flops(nn.Linear(1000, 10), torch.randn(1, 1000))
    assert report.macs == 1000 * 10  # fvcore's own example: Linear(1000, 10) is 10000 multiply-adds
    assert report.gmacs == pytest.approx(report.gflops / 2) and macs_of(report.total) == report.macs
    assert "multiply-adds" in MACS_NOTE and "GMACs" in MACS_NOTE



def test_fused_attention_on_cpu_counts_what_the_explicit_matmuls_count():
    """F.scaled_dot_product_attention on CPU runs a fused kernel torch's counter did not know (0 FLOPs)."""
    q, k, v = torch.randn(3, 2, 4, 50, 8).unbind(0)  # (batch, heads, tokens, head dim)
    fused = count_flops(lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v))
    explicit = count_flops(lambda: torch.softmax(q @ k.transpose(-1, -2) / 8 ** 0.5, -1) @ v)
    assert fused.total == explicit.total == 2 * (2 * 2 * 4 * 50 * 50 * 8)  # QK^T and AV: 2 FLOPs a multiply-add


# --- token grid -----------------------------------------------------------------------------------


def test_token_grid_round_trips_for_videomae_geometry():
    grid = TokenGrid(t=8, h=14, w=14, tubelet=(2, 16, 16))  # VideoMAE-B: 16x224x224 -> 1568 tokens
    assert grid.num_tokens == 1568
    for index in (0, 1, 14, 195, 196, 1567):
        assert grid.index(*grid.coords(index)) == index
    assert grid.coords(196) == (1, 0, 0)
    assert grid.cell_of_pixel(5, 100, 223) == (2, 6, 13)
    assert grid.pixel_box(2, 6, 13) == (4, 6, 96, 112, 208, 224)
    volume = grid.to_volume(np.arange(grid.num_tokens))
    assert volume.shape == (8, 14, 14) and volume[1, 2, 3] == grid.index(1, 2, 3)
    with_cls = TokenGrid(t=2, h=2, w=2, num_prefix=1)
    assert with_cls.to_volume(np.arange(9))[0, 0, 0] == 1
    with pytest.raises(IndexError):
        with_cls.coords(0)


def test_forward_passes_of_other_threads_are_not_recorded():
    import threading

    net = ProbedNet(depth=1).eval()
    with torch.no_grad(), record_attention(net, dtype=None) as rec:
        other = threading.Thread(target=lambda: net(torch.randn(3, 5, 8)))
        other.start()
        other.join()
        net(torch.randn(1, 5, 8))
    assert rec.maps[0].shape == (1, 2, 5, 5)
