"""lib.video sampling math: which frame indices a clip reads by count, fps, segments or caps."""
from __future__ import annotations

import numpy as np
import pytest

from lib.video import cap_indices, fps_indices, segment_indices, uniform_indices


def test_uniform_indices_centred_distinct_and_in_range():
    idx = uniform_indices(100, 16)
    assert idx.dtype == np.int64 and idx.shape == (16,)
    assert np.all(np.diff(idx) > 0) and idx[0] >= 0 and idx[-1] < 100
    assert uniform_indices(10, 2).tolist() == [2, 7]  # middles of bins [0, 5) and [5, 10)
    # Centred: the pattern is symmetric about the middle of the video (up to one frame of flooring).
    assert np.all(np.abs(idx + idx[::-1] - 99) <= 1)
    for total in range(1, 40):
        for count in range(1, total + 1):
            got = uniform_indices(total, count)
            assert len(np.unique(got)) == count and got.max() < total


def test_uniform_indices_more_than_total_returns_every_frame():
    assert uniform_indices(5, 16).tolist() == [0, 1, 2, 3, 4]
    assert uniform_indices(0, 4).size == 0
    with pytest.raises(ValueError):
        uniform_indices(10, 0)


def test_fps_indices_steps_and_limits():
    idx = fps_indices(100, 30.0, 10.0)
    assert idx.tolist() == list(range(0, 100, 3))
    assert fps_indices(10, 25.0, 30.0).tolist() == list(range(10))  # never upsample
    one_per_second = fps_indices(3000, 29.97, 1.0)
    assert len(one_per_second) == int(np.ceil(3000 / 29.97))
    assert np.all(np.abs(np.diff(one_per_second) - 29.97) <= 1)
    with pytest.raises(ValueError):
        fps_indices(10, 0.0, 1.0)


def test_segment_indices_are_bin_middles_in_consecutive_segments():
    seg = segment_indices(100, 4, 3)
    assert seg.shape == (4, 3)
    assert seg[0].tolist() == [4, 12, 20]  # bins of 100 / 12 = 8.33 frames, middles floored
    assert np.array_equal(seg.reshape(-1), uniform_indices(100, 12))
    assert np.all(seg[1:, 0] > seg[:-1, -1])  # segment s+1 starts after segment s ends
    short = segment_indices(5, 2, 4)  # fewer frames than bins: shape kept, frames shared
    assert short.shape == (2, 4) and np.all(np.diff(short.reshape(-1)) >= 0) and short.max() < 5


def test_cap_indices_subsamples_uniformly():
    idx = np.arange(0, 200, 2)
    capped = cap_indices(idx, 10)
    assert capped.shape == (10,) and set(capped) <= set(idx) and np.all(np.diff(capped) > 0)
    assert capped[0] < 20 and capped[-1] > 180  # spread over the whole range
    assert np.array_equal(cap_indices(idx, 500), idx)


