"""S4D: the three computations agree, the layer is causal, the kernel matches its closed form."""
from __future__ import annotations

import pytest
import torch

from lib.methods.long_range.s4_kernel import (
    direct_causal_conv,
    discretize_zoh,
    fft_causal_conv,
    kernel_of,
    memory_length,
    s4d_convolution,
    s4d_lin_init,
    s4d_recurrence,
)
from lib.methods.long_range.s4_layer import S4DLayer, optimizer_groups


def _params(dtype=torch.float64, channels=3, state=8, seed=0):
    return s4d_lin_init(channels, state, generator=torch.Generator().manual_seed(seed), dtype=dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_fft_equals_direct_equals_recurrence(dtype):
    params = _params(dtype, channels=4, state=16)
    u = torch.randn(2, 4, 97, generator=torch.Generator().manual_seed(1), dtype=dtype)
    y_fft = s4d_convolution(u, params, method="fft")
    y_direct = s4d_convolution(u, params, method="direct")
    y_rec = s4d_convolution(u, params, method="recurrence")
    assert y_fft.shape == (2, 4, 97)
    torch.testing.assert_close(y_fft, y_direct, atol=1e-5, rtol=0)
    torch.testing.assert_close(y_fft, y_rec, atol=1e-5, rtol=0)
    # and the outputs are not trivially equal (e.g. all zero)
    assert y_fft.abs().max() > 1e-2


def test_fft_conv_does_not_wrap_around():
    # an impulse at the last step must not leak into early outputs (it would without the 2L padding)
    kernel = torch.ones(1, 8, dtype=torch.float64)
    u = torch.zeros(1, 1, 8, dtype=torch.float64)
    u[..., -1] = 1.0
    y = fft_causal_conv(u, kernel)
    torch.testing.assert_close(y[..., :-1], torch.zeros(1, 1, 7, dtype=torch.float64), atol=1e-12, rtol=0)
    assert y[..., -1].item() == pytest.approx(1.0)


def test_kernel_first_tap_is_two_real_c_times_bbar():
    params = _params()
    _, Bb = discretize_zoh(params.log_dt, params.log_A_real, params.A_imag)
    expected = 2.0 * (params.C * Bb).sum(-1).real
    torch.testing.assert_close(kernel_of(params, 5)[:, 0], expected)


def test_kernel_is_impulse_response_of_recurrence():
    params = _params()
    impulse = torch.zeros(1, 3, 40, dtype=torch.float64)
    impulse[..., 0] = 1.0
    y = s4d_recurrence(impulse, params)
    expected = kernel_of(params, 40).unsqueeze(0)
    expected[..., 0] += params.D  # the skip term adds D u_0
    torch.testing.assert_close(y, expected, atol=1e-10, rtol=0)


@pytest.mark.parametrize("method", ["fft", "direct", "recurrence"])
def test_layer_is_causal(method):
    torch.manual_seed(0)
    layer = S4DLayer(6, 8, seed=3).double().eval()
    u = torch.randn(1, 6, 50, dtype=torch.float64)
    changed = u.clone()
    t = 20
    changed[..., t + 1:] = torch.randn(1, 6, 50 - t - 1, dtype=torch.float64) * 5
    with torch.no_grad():
        y, y_changed = layer(u, method=method), layer(changed, method=method)
    torch.testing.assert_close(y[..., : t + 1], y_changed[..., : t + 1], atol=1e-10, rtol=0)
    assert (y[..., t + 1:] - y_changed[..., t + 1:]).abs().max() > 1e-3


def test_layer_methods_agree_and_gradients_reach_ssm_parameters():
    layer = S4DLayer(5, 16, seed=1)
    u = torch.randn(2, 5, 64)
    outputs = {m: layer(u, method=m) for m in ("fft", "direct", "recurrence")}
    torch.testing.assert_close(outputs["fft"], outputs["direct"], atol=1e-5, rtol=0)
    torch.testing.assert_close(outputs["fft"], outputs["recurrence"], atol=1e-5, rtol=0)
    outputs["fft"].square().mean().backward()
    for name in ("log_dt", "log_A_real", "A_imag", "C", "D"):
        grad = getattr(layer, name).grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_optimizer_groups_put_ssm_parameters_without_weight_decay():
    layer = S4DLayer(4, 8)
    groups = optimizer_groups(layer, lr=3e-3, weight_decay=0.05)
    assert len(groups) == 2
    ssm_ids = {id(p) for p in groups[1]["params"]}
    assert ssm_ids == {id(layer.log_dt), id(layer.log_A_real), id(layer.A_imag)}
    assert groups[1]["weight_decay"] == 0.0 and groups[0]["weight_decay"] == 0.05


def test_memory_length_grows_with_slower_decay():
    params = _params(channels=2)
    fast = kernel_of(params, 400)
    slow_params = type(params)(log_dt=params.log_dt - 3.0, log_A_real=params.log_A_real,
                               A_imag=params.A_imag, C=params.C, D=params.D)
    slow = kernel_of(slow_params, 400)  # a smaller step: the same continuous memory spans more steps
    assert (memory_length(slow) > memory_length(fast)).all()
    assert (memory_length(fast, 1.0) <= 400).all() and (memory_length(fast, 0.5) >= 1).all()


def test_direct_conv_matches_manual_sum():
    kernel = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float64)
    u = torch.tensor([[[1.0, 0.0, -1.0]]], dtype=torch.float64)
    # y0 = 1, y1 = 2*1 + 0, y2 = 3*1 + 2*0 + 1*(-1)
    torch.testing.assert_close(direct_causal_conv(u, kernel), torch.tensor([[[1.0, 2.0, 2.0]]], dtype=torch.float64))


def test_init_rejects_odd_state_size():
    with pytest.raises(ValueError):
        s4d_lin_init(2, 7)


def test_chunked_kernel_equals_whole_kernel_with_gradients():
    layer = S4DLayer(4, 8, seed=2)
    u = torch.randn(1, 4, 300)
    whole = layer(u)
    whole.sum().backward()
    grads = [p.grad.clone() for p in layer.parameters()]
    layer.zero_grad()
    layer.kernel_chunk = 64
    chunked = layer(u)
    chunked.sum().backward()
    torch.testing.assert_close(chunked, whole, atol=1e-5, rtol=0)
    for grad, param in zip(grads, layer.parameters()):
        torch.testing.assert_close(param.grad, grad, atol=1e-4, rtol=1e-4)
