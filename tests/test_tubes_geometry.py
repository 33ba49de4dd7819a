"""Tube geometry, fixed position embedding and kernel interpolation (pure, fast)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.errors import UserInputError
from lib.methods.tubes.geometry import (
    PAPER_INPUT,
    PAPER_TUBES,
    TubeSpec,
    dense_tubelets,
    image_tubes,
    scale_tubes,
    tube_grid_size,
    tube_layout,
)
from lib.methods.tubes.kernels import inflate_patch_kernel, interpolate_kernel, kernel_order, kernel_to_rgb
from lib.methods.tubes.position import cosine_similarity_to, sincos_3d


def test_paper_tubes_give_539_tokens_by_valid_convolution():
    # floor((L - offset - k) / s) + 1 per axis, as both public ports compute it. The paper quotes 559.
    layout = tube_layout(PAPER_INPUT, PAPER_TUBES)
    assert layout.grids == ((2, 7, 7), (3, 7, 7), (2, 7, 7), (1, 14, 14))
    assert layout.tokens_per_tube == (98, 147, 98, 196)
    assert layout.num_tokens == 539
    for tube, grid in zip(PAPER_TUBES, layout.grids):  # the same count from torch's own conv arithmetic
        o = tube.offset
        out = F.conv3d(torch.zeros(1, 1, 32 - o[0], 224 - o[1], 224 - o[2]), torch.zeros(1, 1, *tube.kernel),
                       stride=tube.stride)
        assert tuple(out.shape[2:]) == grid


def test_dense_tubelets_and_image_tube_counts():
    assert tube_layout(PAPER_INPUT, dense_tubelets((2, 16, 16))).num_tokens == 3136
    assert tube_layout((1, 224, 224), image_tubes(PAPER_TUBES)).num_tokens == 196


@pytest.mark.parametrize("shape", [(32, 224, 224), (32, 48, 48), (17, 61, 90)])
def test_every_token_extent_lies_inside_the_clip_and_respects_offsets(shape):
    tubes = PAPER_TUBES if shape[1] >= 200 else scale_tubes(PAPER_TUBES, spatial=0.5, temporal=0.5)
    layout = tube_layout(shape, tubes)
    assert (layout.starts >= 0).all() and (layout.ends <= np.asarray(shape)).all()
    for i, tube in enumerate(tubes):
        part = layout.tube_slice(i)
        starts = layout.starts[part]
        assert (starts.min(axis=0) == np.asarray(tube.offset)).all()  # first token starts at the offset
        assert ((starts - np.asarray(tube.offset)) % np.asarray(tube.stride) == 0).all()
        assert (layout.ends[part] - starts == np.asarray(tube.kernel)).all()
        assert (layout.token_tube[part] == i).all()
        # one more step on any axis would leave the clip: the grid is maximal
        last = starts.max(axis=0)
        assert (last + np.asarray(tube.stride) + np.asarray(tube.kernel) > np.asarray(shape)).all()
    np.testing.assert_array_equal(layout.centres, layout.starts + np.concatenate(
        [np.tile(np.asarray(t.kernel) // 2, (n, 1)) for t, n in zip(tubes, layout.tokens_per_tube)]))


def test_scaled_tubes_keep_the_paper_grid_at_half_size():
    half = scale_tubes(PAPER_TUBES, spatial=0.5)
    assert half[1] == TubeSpec((16, 2, 2), (6, 16, 16), (4, 4, 4))
    assert tube_layout((32, 112, 112), half).tokens_per_tube == (98, 147, 98, 196)
    assert tube_layout((32, 48, 48), half).num_tokens == 99
    assert tube_layout((32, 48, 48), dense_tubelets((2, 8, 8))).num_tokens == 576


@pytest.mark.parametrize("kernel, stride, offset, shape, words", [
    ((8, 8, 8), (0, 32, 32), (0, 0, 0), (32, 64, 64), "zero stride"),
    ((8, 80, 80), (16, 32, 32), (0, 0, 0), (32, 64, 64), "needs 80 pixels high"),
    ((40, 8, 8), (16, 32, 32), (0, 0, 0), (32, 64, 64), "needs 40 frames"),
    ((8, 8, 8), (16, 32, 32), (30, 0, 0), (32, 64, 64), "needs 38 frames"),
    ((8, 8, 8), (16, 32, 32), (0, -1, 0), (32, 64, 64), "negative"),
])
def test_bad_tubes_say_what_is_wrong(kernel, stride, offset, shape, words):
    with pytest.raises(UserInputError, match=words):
        tube_grid_size(shape, TubeSpec(kernel, stride, offset))
    with pytest.raises(UserInputError, match="at least one tube"):
        tube_layout((32, 64, 64), [])


def test_position_embedding_matches_its_formula():
    centres = np.array([[3.0, 17.0, 40.0], [0.0, 0.0, 0.0], [31.0, 223.0, 5.0]])
    dim = 64  # 10 frequencies per axis, 4 leftover zero channels
    emb = sincos_3d(centres, dim)
    assert emb.shape == (3, 64) and emb.dtype == np.float32
    freqs = dim // 6
    for n, centre in enumerate(centres):
        for axis in range(3):
            for k in range(freqs):
                omega = 1.0 / 10000 ** (k / freqs)
                base = axis * 2 * freqs
                assert emb[n, base + k] == pytest.approx(np.sin(centre[axis] * omega), abs=1e-6)
                assert emb[n, base + freqs + k] == pytest.approx(np.cos(centre[axis] * omega), abs=1e-6)
    assert (emb[:, 60:] == 0).all()
    sims = cosine_similarity_to(emb, 0)
    assert sims[0] == pytest.approx(1.0) and (sims <= 1 + 1e-6).all()


def test_position_embedding_separates_tubes_with_different_centres():
    layout = tube_layout(PAPER_INPUT, PAPER_TUBES)
    emb = sincos_3d(layout.centres, 96)
    # tube 0 and tube 2 share the grid but differ in offset/kernel, so their centres and codes differ
    a, b = layout.tube_slice(0), layout.tube_slice(2)
    assert not np.allclose(emb[a], emb[b])


def test_interpolated_kernel_shapes_and_identity():
    base = torch.randn(5, 3, 8, 8, 8)
    assert interpolate_kernel(base, (8, 8, 8)) is base
    for tube in PAPER_TUBES:
        assert interpolate_kernel(base, tube.kernel).shape == (5, 3, *tube.kernel)
    constant = torch.ones(2, 3, 8, 8, 8)  # trilinear resizing keeps a constant kernel constant
    assert torch.allclose(interpolate_kernel(constant, (16, 4, 4)), torch.ones(2, 3, 16, 4, 4))


def test_inflated_kernel_gives_the_image_response_on_a_static_clip():
    weight2d = torch.randn(4, 3, 16, 16)
    image = torch.randn(1, 3, 16, 16)
    kernel = inflate_patch_kernel(weight2d, (8, 16, 16))
    clip = image.unsqueeze(2).repeat(1, 1, 8, 1, 1)
    response3d = F.conv3d(clip, kernel).flatten()
    response2d = F.conv2d(image, weight2d).flatten()
    assert torch.allclose(response3d, response2d, atol=1e-4)


def test_kernel_order_and_rgb():
    weight = np.zeros((3, 3, 2, 2, 2), np.float32)
    weight[1] = 2.0
    weight[2] = 1.0
    weight[2, :, 1] = -1.0  # changes over time
    assert kernel_order(weight, "norm").tolist() == [1, 2, 0]
    assert kernel_order(weight, "motion")[0] == 2
    rgb = kernel_to_rgb(weight[2])
    assert rgb.shape == (2, 2, 2, 3) and rgb.dtype == np.uint8
    assert rgb[0].min() == 255 and rgb[1].max() == 0
