"""Warping invariants, DIS flow direction, and propagation metrics."""
import numpy as np
import pytest
import torch

from lib.methods.mask_propagation.flow import dis_flow, zero_flow
from lib.methods.mask_propagation.metrics import confusion, mean_iou, warp_error
from lib.methods.mask_propagation.warp import resize_flow, warp
from lib.toyworld import photo_pan_clip


def _square_mask(h=32, w=40, y0=8, x0=10, size=8):
    m = torch.zeros(1, 1, h, w)
    m[..., y0:y0 + size, x0:x0 + size] = 1.0
    return m


def test_zero_flow_is_identity():
    values = torch.rand(3, 4, 17, 23)
    out = warp(values, torch.zeros(3, 2, 17, 23))
    assert torch.allclose(out, values, atol=1e-5)


def test_known_shift_moves_mask_by_that_shift():
    mask = _square_mask()
    # Backward flow (-3, -2): out(x, y) = key(x - 3, y - 2), i.e. the square moves right 3 and down 2.
    flow = torch.zeros(1, 2, 32, 40)
    flow[:, 0], flow[:, 1] = -3.0, -2.0
    out = warp(mask, flow)
    expected = torch.roll(mask, shifts=(2, 3), dims=(2, 3))
    assert torch.allclose(out, expected, atol=1e-5)
    ys, xs = torch.nonzero(out[0, 0] > 0.5, as_tuple=True)
    assert (int(ys.min()), int(xs.min())) == (10, 13)


def test_low_resolution_flow_is_resized_and_rescaled():
    mask = _square_mask()
    # The same shift given on a grid 4x smaller: values are in coarse pixels (-0.75 = -3 full pixels).
    coarse = torch.zeros(1, 2, 8, 10)
    coarse[:, 0], coarse[:, 1] = -0.75, -0.5
    full = resize_flow(coarse, (32, 40))
    assert torch.allclose(full[:, 0], torch.full((1, 32, 40), -3.0))
    assert torch.allclose(full[:, 1], torch.full((1, 32, 40), -2.0))
    assert torch.allclose(warp(mask, coarse), torch.roll(mask, shifts=(2, 3), dims=(2, 3)), atol=1e-5)


def test_per_mask_flows_move_each_mask_separately():
    masks = torch.cat([_square_mask(x0=4), _square_mask(x0=24)])  # (2, 1, H, W)
    flow = torch.zeros(2, 2, 32, 40)
    flow[0, 0] = -2.0  # first mask moves right by 2
    flow[1, 0] = 2.0   # second mask moves left by 2
    out = warp(masks, flow)
    assert torch.allclose(out[0], torch.roll(masks[0], 2, dims=2), atol=1e-5)
    assert torch.allclose(out[1], torch.roll(masks[1], -2, dims=2), atol=1e-5)


def test_warp_rejects_mismatched_batches():
    with pytest.raises(ValueError):
        warp(torch.zeros(3, 1, 8, 8), torch.zeros(2, 2, 8, 8))


def test_dis_flow_points_from_current_to_key():
    rng = np.random.default_rng(0)
    key = (rng.random((64, 64, 3)) * 255).astype(np.uint8)
    key = np.ascontiguousarray(np.repeat(np.repeat(key[::4, ::4], 4, 0), 4, 1))  # blocky, easy to track
    current = np.roll(key, shift=(0, 3), axis=(0, 1))  # content moved right by 3
    flow = dis_flow(current, key)
    inner = flow[16:48, 16:48]
    assert np.median(inner[..., 0]) == pytest.approx(-3.0, abs=0.5)
    assert np.median(inner[..., 1]) == pytest.approx(0.0, abs=0.5)
    assert zero_flow(5, 7).shape == (5, 7, 2)


def test_dis_flow_lowers_warp_error_on_a_real_photo():
    clip = photo_pan_clip(num_frames=6, height=96, width=96, seed=3)
    key, current = clip.frames[0], clip.frames[5]
    no_flow = warp_error(current, key, zero_flow(96, 96))
    with_flow = warp_error(current, key, dis_flow(current, key))
    assert with_flow < 0.7 * no_flow


def test_miou_and_confusion():
    target = np.array([[0, 0, 1, 1], [0, 0, 1, 1]])
    assert mean_iou(target, target, 3) == pytest.approx(1.0)
    pred = np.array([[0, 0, 0, 1], [0, 0, 0, 1]])  # class 0 IoU 4/6, class 1 IoU 2/4
    assert mean_iou(pred, target, 3) == pytest.approx((4 / 6 + 2 / 4) / 2)
    assert confusion(pred, target, 3).sum() == 8
