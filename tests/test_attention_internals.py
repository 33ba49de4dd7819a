"""Pure attention internals: 3-D windows, layer maps, rollout, distance/entropy, detection and mAP."""
import numpy as np
import pytest
import torch

from lib.errors import UserInputError
from lib.hooks import TokenGrid
from lib.methods.attention.detection import (
    Detection,
    Segment,
    average_precision,
    decode_detections,
    mean_average_precision,
    nms_1d,
    tiou,
)
from lib.methods.attention.maps import LayerAttention
from lib.methods.attention.rollout import attention_rollout, pooling_matrix, with_residual
from lib.methods.attention.stats import layer_stats, mean_distances, mean_entropy
from lib.methods.attention.windows import (
    local_to_full,
    window_of_cell,
    window_partition,
    window_reverse,
    window_token_indices,
)


def softmax_rows(shape, seed=0):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed)).softmax(-1).numpy()


# --- windows ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("grid,window", [((8, 4, 6), (2, 2, 3)), ((4, 8, 8), (4, 4, 4)), ((3, 2, 2), (1, 2, 1))])
def test_window_partition_covers_every_token_exactly_once(grid, window):
    index = window_token_indices(grid, window)
    assert index.shape == (np.prod(grid) // np.prod(window), np.prod(window))
    assert np.array_equal(np.sort(index.ravel()), np.arange(np.prod(grid)))
    # every window is a box of the requested size
    t, h, w = np.unravel_index(index, grid)
    for k in range(index.shape[0]):
        assert (t[k].max() - t[k].min() + 1, h[k].max() - h[k].min() + 1, w[k].max() - w[k].min() + 1) == window


def test_window_reverse_inverts_partition_and_cell_lookup():
    x = torch.randn(2, 4, 6, 6, 3)
    windows = window_partition(x, (2, 3, 3))
    assert windows.shape == (2 * 2 * 2 * 2, 18, 3)
    assert torch.equal(window_reverse(windows, (2, 3, 3), (4, 6, 6)), x)
    assert window_of_cell((4, 6, 6), (2, 3, 3), (3, 4, 1)) == (2, 4, 3, 6, 0, 3)
    with pytest.raises(UserInputError, match="multiple"):
        window_partition(x, (3, 3, 3))


def test_local_maps_scatter_into_row_stochastic_block_matrices():
    grid, window = (2, 4, 4), (1, 2, 2)
    maps = softmax_rows((8, 2, 4, 4))  # (nW, heads, n, n)
    full = local_to_full(maps, grid, window)[0]
    np.testing.assert_allclose(full.sum(-1), 1.0, atol=1e-5)
    index = window_token_indices(grid, window)
    outside = np.ones((32, 32), bool)
    for k in range(len(index)):
        outside[np.ix_(index[k], index[k])] = False
    assert np.all(full[:, outside] == 0)
    layer = LayerAttention("l", "local", TokenGrid(*grid), maps.astype(np.float16), window)
    np.testing.assert_allclose(layer.dense(1), full[1], atol=1e-3)
    np.testing.assert_allclose(layer.row(5), full.mean(0)[5], atol=1e-3)


def test_time_and_space_layers_are_row_stochastic():
    grid = TokenGrid(3, 2, 2)
    time_layer = LayerAttention("t", "time", grid, softmax_rows((4, 2, 3, 3)).astype(np.float16))
    space_layer = LayerAttention("s", "space", grid, softmax_rows((3, 2, 5, 5), 1).astype(np.float16))
    for layer in (time_layer, space_layer):
        dense = layer.dense()
        np.testing.assert_allclose(dense.sum(-1), 1.0, atol=2e-3)
        np.testing.assert_allclose(layer.row(7), dense[7], atol=1e-6)
    assert np.count_nonzero(time_layer.dense()[0]) == 3  # same patch, every frame
    assert set(np.flatnonzero(space_layer.dense()[5])) <= {4, 5, 6, 7}  # same frame only


# --- rollout -----------------------------------------------------------------------------------------


def test_rollout_rows_sum_to_one_across_a_pyramid():
    fine = TokenGrid(2, 4, 4, tubelet=(2, 8, 8))
    coarse = TokenGrid(2, 2, 2, tubelet=(2, 16, 16))
    layers = [
        LayerAttention("a", "local", fine, softmax_rows((4, 2, 8, 8)).astype(np.float16), (2, 2, 2)),
        LayerAttention("b", "global", fine, softmax_rows((2, 32, 32), 1).astype(np.float16)),
        LayerAttention("c", "global", coarse, softmax_rows((2, 8, 8), 2).astype(np.float16)),
    ]
    rollout = attention_rollout(layers)
    assert rollout.shape == (8, 32)
    np.testing.assert_allclose(rollout.sum(-1), 1.0, atol=1e-4)
    assert np.all(rollout >= 0)
    pool = pooling_matrix(fine, coarse)
    assert pool.shape == (8, 32) and np.all((pool > 0).sum(-1) == 4)


def test_rollout_of_identity_attention_is_identity_and_residual_mixes():
    grid = TokenGrid(1, 2, 2)
    eye = np.broadcast_to(np.eye(4, dtype=np.float16), (2, 4, 4)).copy()
    np.testing.assert_allclose(attention_rollout([LayerAttention("e", "global", grid, eye)] * 3), np.eye(4), atol=1e-6)
    uniform = np.full((4, 4), 0.25)
    np.testing.assert_allclose(with_residual(uniform, 0.5), 0.5 * uniform + 0.5 * np.eye(4))


# --- distances and entropy ---------------------------------------------------------------------------


def test_local_attention_looks_closer_and_is_less_spread_than_uniform():
    grid = TokenGrid(4, 4, 4, tubelet=(1, 8, 8))
    n = grid.num_tokens
    uniform = np.full((n, n), 1.0 / n, np.float32)
    eye = np.eye(n, dtype=np.float32)
    assert mean_distances(eye, grid) == (0.0, 0.0)
    assert mean_entropy(eye) == 0.0
    assert mean_entropy(uniform) == pytest.approx(np.log(n), rel=1e-5)
    local = LayerAttention("l", "local", grid, np.full((8, 1, 8, 8), 1 / 8, np.float16), (2, 2, 2))
    stats = layer_stats(local)
    s_uniform, t_uniform = mean_distances(uniform, grid)
    assert 0 < stats.spatial[0] < s_uniform and 0 < stats.temporal[0] < t_uniform
    assert stats.entropy[0] == pytest.approx(np.log(8), rel=1e-3)
    # a key one frame away: temporal distance exactly 1 frame, spatial 0
    spatial, temporal = mean_distances(np.kron(np.eye(2)[::-1], np.eye(16)).astype(np.float32), TokenGrid(2, 4, 4))
    assert spatial == 0.0 and temporal == 1.0


# --- detection ------------------------------------------------------------------------------------------


def test_tiou_and_nms():
    np.testing.assert_allclose(tiou((0, 10), np.array([[0, 10], [5, 15], [20, 30]])), [1.0, 5 / 15, 0.0])
    dets = [Detection(0, 10, 1, 0.9), Detection(1, 11, 1, 0.8), Detection(1, 11, 2, 0.7), Detection(30, 40, 1, 0.5)]
    kept = nms_1d(dets, iou_threshold=0.5)
    assert [(d.start, d.label) for d in kept] == [(0, 1), (1, 2), (30, 1)]


def test_decode_uses_distances_and_scale():
    scores = np.zeros((4, 3), np.float32)
    scores[2, 1] = 0.9
    distances = np.array([[0, 0], [0, 0], [1.0, 2.0], [0, 0]], np.float32)
    dets = decode_detections(scores, distances, np.arange(4) + 0.5, frame_scale=4.0, offset=100.0)
    assert dets == [Detection(100 + 4 * 1.5, 100 + 4 * 4.5, 1, pytest.approx(0.9))]


def test_map_is_one_for_perfect_predictions_and_drops_with_errors():
    truths = [[Segment(10, 50, 0), Segment(80, 120, 1)], [Segment(0, 30, 1)]]
    perfect = [[Detection(s.start, s.end, s.label, 0.9) for s in video] for video in truths]
    assert mean_average_precision(perfect, truths) == {t: 1.0 for t in (0.3, 0.4, 0.5, 0.6, 0.7)}
    shifted = [[Detection(s.start + 12, s.end + 12, s.label, 0.9) for s in video] for video in truths]
    result = mean_average_precision(shifted, truths, thresholds=(0.3, 0.7))
    assert result[0.3] == 1.0 and result[0.7] < 1.0
    # a confident false positive ahead of the true positive halves the precision at full recall
    ap = average_precision([(0, Detection(200, 240, 0, 0.95)), (0, Detection(10, 50, 0, 0.5))],
                           [(0, Segment(10, 50, 0))], 0.5)
    assert ap == pytest.approx(0.5)
    assert np.isnan(average_precision([], [], 0.5))


def test_global_stats_vectorised_equal_per_head_sums():
    """layer_stats runs all heads of a global layer at once in torch: the same numbers as the numpy sums per head."""
    grid = TokenGrid(2, 3, 4, tubelet=(2, 16, 16), num_prefix=1)
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, grid.num_tokens, grid.num_tokens)) * 3
    maps = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).astype(np.float16)
    maps[1, :, 5] = 0  # zeros must contribute nothing to the entropy
    stats = layer_stats(LayerAttention("l", "global", grid, maps))
    for head in range(3):
        dense = maps[head].astype(np.float32)
        spatial, temporal = mean_distances(dense, grid)
        assert stats.spatial[head] == pytest.approx(spatial, rel=1e-5)
        assert stats.temporal[head] == pytest.approx(temporal, rel=1e-5)
        assert stats.entropy[head] == pytest.approx(mean_entropy(dense), rel=1e-5)
