"""The shared self-attention (lib/models/attention.py): eager == fused, the bias path, the probe's rows,
and the parameter names every model that uses it keeps (bundled weights load by these names)."""
from __future__ import annotations

import pytest
import torch

from lib.hooks import RecordingError, record_attention
from lib.methods.attention.model import SpaceTimeAttention
from lib.methods.long_range.model import SelfAttention as ViS4merAttention
from lib.methods.token_merging.model import Attention as FrameViTAttention
from lib.methods.training_cost.model import Attention as SmallVideoAttention
from lib.methods.tubes.model import SelfAttention as TubeViTAttention
from lib.models.attention import ProbedSelfAttention

DIM, HEADS, TOKENS = 24, 3, 10


def layer(scale_logits: bool = False) -> ProbedSelfAttention:
    torch.manual_seed(0)
    return ProbedSelfAttention(DIM, HEADS, probe_name="test", layer_index=0, scale_logits=scale_logits).eval()


def reference(module: ProbedSelfAttention, x: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """softmax(q k^T / sqrt(d) + bias) v, heads split and joined by hand (no einops), in float64."""
    b, n, dim = x.shape
    d = dim // module.heads
    qkv = torch.nn.functional.linear(x.double(), module.qkv.weight.double(), module.qkv.bias.double())
    q, k, v = qkv.view(b, n, 3, module.heads, d).permute(2, 0, 3, 1, 4)
    logits = q @ k.transpose(-1, -2) / d ** 0.5
    if bias is not None:
        logits = logits + bias.double()
    mixed = (logits.softmax(-1) @ v).transpose(1, 2).reshape(b, n, dim)
    return torch.nn.functional.linear(mixed, module.proj.weight.double(), module.proj.bias.double())


@pytest.mark.parametrize("scale_logits", [False, True])
def test_eager_and_fused_paths_agree(scale_logits):
    module, x = layer(scale_logits), torch.randn(2, TOKENS, DIM)
    with torch.no_grad():
        eager, fused = module(x), module(x, fused=True)
    assert eager.shape == (2, TOKENS, DIM)
    torch.testing.assert_close(fused, eager, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(eager.double(), reference(module, x, None), atol=1e-5, rtol=1e-5)


def test_bias_path_matches_hand_written_reference():
    module, x = layer(), torch.randn(2, TOKENS, DIM)
    bias = torch.rand(2, 1, 1, TOKENS).add(0.5).log()  # ToMe-style log(size) per key, broadcast over heads/rows
    with torch.no_grad():
        out, keys = module(x, bias=bias, return_keys=True)
        fused = module(x, bias=bias, fused=True)
        unbiased = module(x)
    expected = reference(module, x, bias)
    torch.testing.assert_close(out.double(), expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(fused.double(), expected, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(out, unbiased, atol=1e-4)  # the bias did something
    assert keys.shape == (2, HEADS, TOKENS, DIM // HEADS)
    k = torch.nn.functional.linear(x, module.qkv.weight[DIM:2 * DIM], module.qkv.bias[DIM:2 * DIM])
    torch.testing.assert_close(keys, k.view(2, TOKENS, HEADS, -1).transpose(1, 2))


def test_probe_records_one_row_per_query_summing_to_one():
    module, x = layer(), torch.randn(2, TOKENS, DIM)
    with torch.no_grad(), record_attention(module, dtype=torch.float32) as rec:
        module(x)
    assert rec.layer_names == ["probe"]
    (maps,) = rec.maps
    assert maps.shape == (2, HEADS, TOKENS, TOKENS)
    torch.testing.assert_close(maps.sum(-1), torch.ones(2, HEADS, TOKENS), atol=1e-6, rtol=0)
    assert (maps >= 0).all()


def test_fused_path_records_nothing():
    module = layer()
    # the probe never runs on the fused path, so the recording is an error, never an empty picture
    with pytest.raises(RecordingError, match="No attention weights were captured"), torch.no_grad(), \
            record_attention(module):
        module(torch.randn(1, TOKENS, DIM), fused=True)


def test_width_must_split_into_heads():
    with pytest.raises(ValueError, match="not divisible"):
        ProbedSelfAttention(10, 3)


@pytest.mark.parametrize("build", [
    lambda: TubeViTAttention(DIM, HEADS, 0),
    lambda: ViS4merAttention(DIM, HEADS, layer_index=0),
    lambda: SpaceTimeAttention(DIM, HEADS, (2, 2, 2), 0),
    lambda: SmallVideoAttention(DIM, HEADS),
    lambda: FrameViTAttention(DIM, HEADS, 0),
], ids=["tubevit", "vis4mer", "stpt", "small-video-transformer", "frame-vit"])
def test_every_model_attention_keeps_its_parameter_names(build):
    module = build()
    assert isinstance(module, ProbedSelfAttention)
    assert list(module.state_dict()) == ["qkv.weight", "qkv.bias", "proj.weight", "proj.bias"]
    assert module.qkv.weight.shape == (3 * DIM, DIM) and module.proj.weight.shape == (DIM, DIM)
