"""ViS4mer decoder and attention twin: stage shapes, contributions, save/load; cost prediction and budget refusal."""
from __future__ import annotations

import math

import pytest
import torch

from lib.errors import UserInputError
from lib.hooks import record_attention
from lib.methods.long_range.cost_curves import (
    check_attention_fits,
    geometric_lengths,
    largest_length_within,
    measure_cost_curves,
    predict_attention_bytes,
)
from lib.methods.long_range.cost_measure import forward_backward, forward_only, peak_memory_bytes
from lib.methods.long_range.model import SelfAttention, ViS4merDecoder
from lib.models.bundled import save_bundled


@pytest.mark.parametrize("mixer", ["s4", "attention"])
def test_decoder_stage_shapes_halve_length_and_channels(mixer):
    model = ViS4merDecoder(d_input=12, d_model=32, num_classes=5, num_layers=3, mixer=mixer, heads=2).eval()
    tokens = torch.randn(2, 101, 12)
    stages = model.features(tokens)
    assert [tuple(s.shape[1:]) for s in stages] == [(101, 32), (50, 16), (25, 8), (12, 4)]
    assert model.stage_shapes(101) == [(101, 32), (50, 16), (25, 8), (12, 4)]
    assert model(tokens).shape == (2, 5)


def test_lvu_stage_shapes_match_the_paper():
    model = ViS4merDecoder(d_input=1024, d_model=1024, num_layers=3)
    assert model.stage_shapes(11820) == [(11820, 1024), (5910, 512), (2955, 256), (1477, 128)]


def test_contributions_add_up_to_the_logit():
    model = ViS4merDecoder(d_input=8, d_model=16, num_classes=3, num_layers=2).eval()
    tokens = torch.randn(2, 40, 8)
    with torch.no_grad():
        logits = model(tokens)
        parts = model.contributions(tokens, 2)
    assert parts.shape == (2, 10)
    torch.testing.assert_close(parts.sum(1) + model.head.bias[2], logits[:, 2], atol=1e-5, rtol=1e-5)


def test_s4_decoder_is_causal_before_the_head_and_attention_is_not():
    tokens = torch.randn(1, 64, 8)
    changed = tokens.clone()
    changed[:, 40:] += 3.0
    for mixer, causal in (("s4", True), ("attention", False)):
        model = ViS4merDecoder(d_input=8, d_model=16, num_layers=2, mixer=mixer).eval()
        with torch.no_grad():
            before, after = model.features(tokens)[-1], model.features(changed)[-1]
        early = (before[:, :9] - after[:, :9]).abs().max().item()  # positions covering tokens < 36
        assert (early < 1e-6) == causal, (mixer, early)


def test_attention_twin_is_recorded_and_rows_sum_to_one():
    model = ViS4merDecoder(d_input=8, d_model=16, num_layers=2, mixer="attention", heads=2).eval()
    with record_attention(model, dtype=torch.float32) as recording:
        model(torch.randn(1, 32, 8))
    first = recording.maps[0]
    assert first.shape[-2:] == (32, 32)
    torch.testing.assert_close(first.sum(-1), torch.ones_like(first.sum(-1)), atol=1e-5, rtol=0)


@pytest.mark.parametrize("mixer", ["s4", "attention"])
def test_decoder_saves_and_loads(tmp_path, mixer):
    model = ViS4merDecoder(d_input=8, d_model=16, num_classes=4, num_layers=2, mixer=mixer).eval()
    save_bundled(model, tmp_path / mixer)
    loaded = ViS4merDecoder.from_pretrained(tmp_path / mixer, strict=True).eval()
    tokens = torch.randn(1, 20, 8)
    torch.testing.assert_close(loaded(tokens), model(tokens))
    assert loaded.mixer_kind == mixer
    assert hasattr(loaded.layers[0].mixer.s4.log_dt, "_optim") if mixer == "s4" else True


@pytest.mark.parametrize("backward", [True, False])
@pytest.mark.parametrize("dim,heads", [(32, 1), (32, 4)])
def test_attention_memory_prediction_bounds_the_measurement(dim, heads, backward):
    for length in (128, 384):
        layer, tokens = SelfAttention(dim, heads), torch.randn(1, length, dim)
        step = forward_backward(layer, tokens) if backward else forward_only(layer, tokens)
        measured = peak_memory_bytes(step)
        predicted = predict_attention_bytes(length, dim, heads, backward=backward)
        assert measured <= predicted <= 1.5 * measured, (length, measured, predicted)


def test_largest_length_within_is_the_boundary():
    def predict(n):
        return predict_attention_bytes(n, 64, 2)
    budget = 300e6
    fits = largest_length_within(budget, predict)
    assert predict(fits) <= budget < predict(fits + 1)
    assert largest_length_within(1.0, predict) == 0


def test_over_budget_sequence_is_refused_naming_the_largest_length():
    fits = largest_length_within(100e6, lambda n: predict_attention_bytes(n, 64, 1))
    with pytest.raises(UserInputError, match=f"largest length that fits is {fits:,} tokens"):
        check_attention_fits(20_000, 64, 1, 100.0, backward=True)
    check_attention_fits(fits, 64, 1, 100.0, backward=True)  # the named length itself is accepted


def test_cost_curves_skip_attention_over_budget_and_measure_the_rest():
    lengths = geometric_lengths(128, 2048, 3)
    budget_mb = predict_attention_bytes(600, 16, 1) / 1e6  # so 128 and 512 fit, 2048 does not
    curves = measure_cost_curves(lengths, dim=16, heads=1, state_size=4, budget_mb=budget_mb, repeats=1)
    assert list(curves.lengths) == [128, 512, 2048]
    assert curves.attention_ran.tolist() == [True, True, False]
    assert math.isnan(curves.attn_peak_mb[-1]) and curves.attn_predicted_mb[-1] > budget_mb
    assert (curves.s4_peak_mb > 0).all() and (curves.s4_seconds > 0).all()
    assert 512 <= curves.attention_limit < 2048
    # attention memory grows faster than S4's
    assert curves.attn_peak_mb[1] / curves.attn_peak_mb[0] > curves.s4_peak_mb[1] / curves.s4_peak_mb[0]


def test_cost_curves_refuse_bad_settings():
    with pytest.raises(UserInputError):
        measure_cost_curves([1, 8])
    with pytest.raises(UserInputError):
        geometric_lengths(100, 10, 3)
