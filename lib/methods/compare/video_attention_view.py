"""The per-moment view of the video-model attention comparison: one query, one time axis, one colour scale.

    focus = query_focus(result, block, moment)    # where the centre patch at `moment` attends, in that block
    image = side_picture(result, focus, moment, axis, vmax, share_max)   # its frame nearest `moment` + time strip

Each model reads its own window of the clip (VideoMAE 16 frames 4 apart, about 2 s; TimeSformer 8 frames 32
apart, about 7.5 s; V-JEPA 2 16 x 4 at 12 fps, about 5 s), so the shared slider runs over source time: its
positions are the source frames either side read, and each side shows its own input frame nearest the
position. The query is the Attention tab's first query (the patch under the centre of the frame) on each
side's input frame nearest one shared moment. Maps are attention x number of key cells (1 = uniform
attention), so grids of 1,568 and 2,048 cells share one colour scale.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lib.hooks import TokenGrid
from lib.methods.attention import AttentionResult, query_token
from lib.viz import blend_heat, colourise, draw_boxes, put_label

QUERY_COLOUR = (0, 255, 255)
PANEL = 288  # side of the frame panel (the results' frames are 192 px; 1.5x keeps one token >= 20 px)
STRIP = 64  # height of the time strip under the frame


@dataclass(frozen=True)
class QueryFocus:
    """Where one side's query token attends in the chosen block.

    volume:      (t, h, w) float32 attention x number of cells (mean of heads; 1 = uniform); sums to t*h*w.
    query_frame: the side's input frame holding the query; query_cell: its (t, h, w) grid cell.
    step_times:  (t,) source seconds at the middle of each time step (a tubelet spans 2 input frames).
    shares:      (t,) share of the query's attention on each time step (sums to 1).
    tubelet:     (frames, pixels, pixels) of one token; kind: "global" or "divided" (TimeSformer: time, then space).
    """

    volume: np.ndarray
    query_frame: int
    query_cell: tuple[int, int, int]
    step_times: np.ndarray
    shares: np.ndarray
    tubelet: tuple[int, int, int]
    kind: str

    @property
    def own_step_share(self) -> float:
        """Share of the query's attention on its own time step."""
        return float(self.shares[self.query_cell[0]])

    @property
    def reach_seconds(self) -> float:
        """Attention-weighted distance in time (s of video) from the query's time step to its keys."""
        return float((self.shares * np.abs(self.step_times - self.step_times[self.query_cell[0]])).sum())


def seconds_of(result: AttentionResult) -> np.ndarray:
    """(T,) source seconds of every input frame of a result."""
    return np.asarray(result.source_frames, np.float64) / float(result.fps or 1.0)


def nearest_frame(result: AttentionResult, moment: float) -> int:
    """The input frame of `result` nearest to `moment` (source seconds)."""
    return int(np.argmin(np.abs(seconds_of(result) - moment)))


def block_layers(result: AttentionResult, block: int) -> dict:
    """{kind: LayerAttention} of the recorded maps of `block` ("global"; TimeSformer "time" and "space")."""
    view = result.main
    found = {view.layers[i].kind: view.layers[i] for i in range(len(view.layers)) if view.block_of(i) == block}
    if not found:
        raise KeyError(f"block {block} was not recorded (recorded: {sorted(set(view.blocks))})")
    return found


def block_row(result: AttentionResult, block: int, frame: int) -> tuple[np.ndarray, tuple[int, int, int], TokenGrid]:
    """((N,) attention of the centre patch of input frame `frame` over all tokens in `block` (mean of heads,
    sums to 1), its cell, the grid). TimeSformer's block runs time attention, then space attention: its row is
    the space row times the time map (the block's two mixing steps multiplied, residuals left out)."""
    layers = block_layers(result, block)
    centre = result.frames.shape[1] / 2
    if "global" in layers:
        layer = layers["global"]
        query = query_token(result, layer, frame, centre, centre)
        return layer.row(query), layer.grid.coords(query), layer.grid
    space, time = layers["space"], layers["time"]
    query = query_token(result, space, frame, centre, centre)
    return space.row(query) @ time.dense(), space.grid.coords(query), space.grid


def query_focus(result: AttentionResult, block: int, moment: float) -> QueryFocus:
    """The centre patch of the input frame nearest `moment` (source seconds) and where it attends in `block`."""
    frame = nearest_frame(result, moment)
    row, cell, grid = block_row(result, block, frame)
    volume = grid.to_volume(row).astype(np.float32)
    volume = volume / max(float(volume.sum()), 1e-12) * volume.size
    ft = grid.tubelet[0]
    times = seconds_of(result)
    step_times = np.array([times[k * ft:(k + 1) * ft].mean() for k in range(grid.t)])
    shares = volume.reshape(grid.t, -1).sum(-1) / volume.size
    kind = "global" if "global" in block_layers(result, block) else "divided"
    return QueryFocus(volume, frame, cell, step_times, shares, tuple(grid.tubelet), kind)


def frame_words(result: AttentionResult, focus: QueryFocus, moment: float) -> str:
    """Which input frame (and tubelet) a side shows at `moment`, and whether the moment lies in its window."""
    times = seconds_of(result)
    frame = nearest_frame(result, moment)
    ft = focus.tubelet[0]
    text = f"input frame {frame} ({times[frame]:.2f} s"
    text += f", tubelet {frame // ft} = frames {frame // ft * ft}-{frame // ft * ft + ft - 1}" if ft > 1 else ""
    if not times[0] - 1e-6 <= moment <= times[-1] + 1e-6:
        return f"its nearest {text}; {moment:.2f} s is outside its window {times[0]:.2f}-{times[-1]:.2f} s)"
    return text + ")"


def _frame_panel(result: AttentionResult, focus: QueryFocus, frame: int, vmax: float) -> np.ndarray:
    picture = cv2.resize(result.frames[frame], (PANEL, PANEL), interpolation=cv2.INTER_LINEAR)
    step = min(frame // focus.tubelet[0], focus.volume.shape[0] - 1)
    image = blend_heat(picture, focus.volume[step], vmax)
    if step == focus.query_cell[0]:
        _, fy, fx = focus.tubelet
        scale = PANEL / result.input_size
        _, h, w = focus.query_cell
        box = (round(h * fy * scale), round((h + 1) * fy * scale), round(w * fx * scale), round((w + 1) * fx * scale))
        image = draw_boxes(image, [box], colours=[QUERY_COLOUR], thickness=2)
    times = seconds_of(result)
    return put_label(image, f"input frame {frame} of {len(times)} · {times[frame]:.2f} s", corner="bottom-left",
                     scale=0.45)  # bottom: the app's image label covers the top-left corner


def _time_strip(result: AttentionResult, focus: QueryFocus, moment: float, axis: tuple[float, float],
                vmax: float, share_max: float) -> np.ndarray:
    """Bars: the query's attention per time step, placed at their source time on the shared axis (A and B alike);
    light band: the side's window; white line: the slider's moment; cyan bar: the query's own time step."""
    strip = np.full((STRIP, PANEL, 3), 24, np.uint8)
    lo, hi = axis
    span = max(hi - lo, 1e-6)

    def x_of(seconds: float) -> int:
        return int(round(4 + (seconds - lo) / span * (PANEL - 9)))

    times = seconds_of(result)
    top, bottom = 14, STRIP - 14
    cv2.rectangle(strip, (x_of(times[0]), top), (x_of(times[-1]), bottom), (60, 60, 60), -1)
    steps = np.diff(focus.step_times)
    spacing = float(steps[steps > 0].min()) if (steps > 0).any() else span  # repeated last frames: no spacing
    half = max(1, int(round(0.4 * spacing / span * (PANEL - 9))))  # bars 80 % of a time step wide
    for k, (when, share) in enumerate(zip(focus.step_times, focus.shares)):
        height = int(round((bottom - top) * share / max(share_max, 1e-12)))
        colour = QUERY_COLOUR if k == focus.query_cell[0] else (255, 150, 40)
        cv2.rectangle(strip, (x_of(when) - half, bottom - height), (x_of(when) + half, bottom), colour, -1)
    cv2.line(strip, (x_of(moment), top - 2), (x_of(moment), bottom + 1), (255, 255, 255), 1)
    cv2.putText(strip, f"attention per time step, {lo:.1f}-{hi:.1f} s", (4, 10), cv2.FONT_HERSHEY_SIMPLEX, 0.33,
                (220, 220, 220), 1, cv2.LINE_AA)
    bar = colourise(np.linspace(0, vmax, 120, dtype=np.float32)[None].repeat(6, 0), vmin=0.0, vmax=vmax)
    strip[STRIP - 9:STRIP - 3, 22:142] = bar
    for x, text in ((4, "0"), (146, f"{vmax:.1f}x uniform (A and B)")):
        cv2.putText(strip, text, (x, STRIP - 2), cv2.FONT_HERSHEY_SIMPLEX, 0.33, (220, 220, 220), 1, cv2.LINE_AA)
    return strip


def side_picture(result: AttentionResult, focus: QueryFocus, moment: float, axis: tuple[float, float],
                 vmax: float, share_max: float) -> np.ndarray:
    """(PANEL + STRIP, PANEL, 3) uint8: the side's input frame nearest `moment` with its map on the shared colour
    scale (0..vmax times uniform; cyan box: the query token), and the time strip on the shared axis."""
    frame = nearest_frame(result, moment)
    return np.concatenate([_frame_panel(result, focus, frame, vmax),
                           _time_strip(result, focus, moment, axis, vmax, share_max)], axis=0)
