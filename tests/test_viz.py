"""lib.viz: shapes, determinism, and that each picture encodes what it claims."""
import numpy as np
import pytest

from lib.viz import (
    PALETTE,
    colour_for,
    colour_wheel,
    colourise,
    draw_boxes,
    draw_grid,
    filmstrip,
    filmstrip_positions,
    flow_to_rgb,
    hex_colour,
    overlay_heatmap,
    overlay_mask,
    tile,
)


@pytest.fixture
def frame():
    return np.full((40, 60, 3), 120, dtype=np.uint8)


def test_palette_fixed_and_distinct():
    assert PALETTE.shape == (256, 3) and PALETTE.dtype == np.uint8
    assert tuple(PALETTE[0]) == (0, 0, 0)
    assert len({tuple(c) for c in PALETTE[:64]}) == 64
    assert colour_for(3) == tuple(int(c) for c in PALETTE[3])
    assert colour_for(256) == colour_for(1)  # wraps, never to black
    assert hex_colour(1) == "#e6194b"


def test_heatmap_hot_where_high(frame):
    heat = np.zeros((2, 3), np.float32)
    heat[1, 2] = 1.0
    out = overlay_heatmap(frame, heat, alpha=1.0, cmap="gray", nearest=True)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert out[35, 55].mean() > 250 and out[5, 5].mean() < 5
    assert np.array_equal(out, overlay_heatmap(frame, heat, alpha=1.0, cmap="gray", nearest=True))


def test_shared_colour_scale():
    a = colourise(np.array([[0.0, 0.5]]), cmap="gray", vmin=0, vmax=1)
    b = colourise(np.array([[0.5, 1.0]]), cmap="gray", vmin=0, vmax=1)
    assert np.array_equal(a[0, 1], b[0, 0])
    # Without a fixed scale each map is stretched to its own range: the same value differs.
    assert not np.array_equal(colourise(np.array([[0.0, 0.5]]), cmap="gray")[0, 1],
                              colourise(np.array([[0.5, 1.0]]), cmap="gray")[0, 0])


def test_mask_overlay_tints_only_labels(frame):
    mask = np.zeros((40, 60), np.int32)
    mask[10:30, 10:30] = 2
    out = overlay_mask(frame, mask, alpha=1.0, borders=False)
    assert tuple(out[20, 20]) == colour_for(2)
    assert tuple(out[0, 0]) == (120, 120, 120)
    with_borders = overlay_mask(frame, mask, alpha=0.3, borders=True)
    assert not np.array_equal(with_borders[9:11, 20], overlay_mask(frame, mask, alpha=0.3, borders=False)[9:11, 20])


def test_tile_and_filmstrip(frame):
    grid = tile([frame] * 5, cols=3, pad=2)
    assert grid.shape == (2 * 40 + 2, 3 * 60 + 4, 3)
    assert tuple(grid[41, 0]) == (255, 255, 255)  # padding row
    frames = np.stack([np.full((40, 60, 3), i * 10, np.uint8) for i in range(20)])
    strip = filmstrip(frames, count=4, height=20)
    assert strip.shape[0] == 20
    assert list(filmstrip_positions(20, 4)) == [0, 6, 13, 19]
    assert strip[10, 2, 0] == 0 and strip[10, -3, 0] == 190  # first and last frame shown
    with pytest.raises(ValueError):
        filmstrip(frames, count=4, labels=["a"])


def test_flow_colours_encode_direction():
    right = flow_to_rgb(np.tile(np.array([1.0, 0.0], np.float32), (4, 4, 1)))
    left = flow_to_rgb(np.tile(np.array([-1.0, 0.0], np.float32), (4, 4, 1)))
    still = flow_to_rgb(np.zeros((4, 4, 2), np.float32), max_magnitude=1.0)
    assert right[0, 0, 0] > 200 and right[0, 0, 1] < 50  # red
    assert left[0, 0, 0] < 50 and left[0, 0, 2] > 200  # cyan
    assert (still == 255).all()  # no motion is white
    wheel = colour_wheel(33)
    assert wheel.shape == (33, 33, 3) and (wheel[0, 0] == 255).all()


def test_draw_boxes_and_grid(frame):
    out = draw_boxes(frame, [(5, 15, 5, 25)], colours=[(255, 0, 0)])
    assert tuple(out[5, 10]) == (255, 0, 0) and tuple(out[10, 10]) == (120, 120, 120)
    assert tuple(frame[5, 10]) == (120, 120, 120)  # input untouched
    g = draw_grid(frame, 2, 3, colour=(0, 255, 0))
    assert tuple(g[20, 5]) == (0, 255, 0) and tuple(g[5, 20]) == (0, 255, 0)
