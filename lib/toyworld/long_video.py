"""Long untrimmed toy videos, rendered lazily: any frame on demand, with action segments as ground truth.

Between action segments the actor is idle (holds its pose) or absent, so "background" is not simply
"no actor". Each segment has a fresh actor (class, skin, pose); distractors move forever (translations
wrap around outside the frame). Nothing per frame is stored: a frame is a pure function of its index.
"""
from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from lib.toyworld.motion import Motion
from lib.toyworld.render import Layer, Scene, flow_between, instance_flow_affines, render
from lib.toyworld.scene import (
    DISTRACTOR_SIZE_RATIO,
    actor_motion,
    looping_distractor_motion,
    make_layer,
    random_background,
    random_class,
    swaying_camera,
    texture_size,
)
from lib.toyworld.spec import BACKGROUND_ACTION, LONG_VIDEO_ACTIONS, ActionSegment, ToyFrame
from lib.toyworld.textures import object_texture


@dataclass(frozen=True)
class _Appearance:
    """The actor of one segment: it exists during frames [visible_from, visible_to) ⊇ the segment."""

    class_id: int
    texture_seed: int
    motion: Motion
    visible_from: int
    visible_to: int


def draw_segments(rng: np.random.Generator, num_frames: int, actions: Sequence[int], min_action: int,
                  max_action: int, min_gap: int, max_gap: int) -> list[ActionSegment]:
    """Ordered, non-overlapping segments separated (and preceded) by gaps of min_gap..max_gap frames."""
    segments = []
    t = int(rng.integers(min_gap, max_gap + 1))
    while True:
        length = int(rng.integers(min_action, max_action + 1))
        if t + length > num_frames:
            return segments
        segments.append(ActionSegment(t, t + length, int(actions[rng.integers(len(actions))])))
        t += length + int(rng.integers(min_gap, max_gap + 1))


def _idle_spans(rng: np.random.Generator, segments: list[ActionSegment], num_frames: int) -> list[tuple[int, int]]:
    """Per segment, frames the actor is idle before and after it; consecutive actors are apart >= 1 frame."""
    before = [0] * len(segments)
    after = [0] * len(segments)
    for k, seg in enumerate(segments):
        gap_start = segments[k - 1].end if k > 0 else 0
        gap = seg.start - gap_start
        if k == 0:
            before[k] = int(rng.integers(0, gap + 1))
        else:
            idle = int(rng.integers(0, gap))  # leave at least one empty frame
            after[k - 1] = int(rng.integers(0, idle + 1))
            before[k] = idle - after[k - 1]
    if segments:
        after[-1] = int(rng.integers(0, num_frames - segments[-1].end + 1))
    return list(zip(before, after))


class LongToyVideo:
    """A long untrimmed toy video, generated frame by frame from a seed.

    segments: ActionSegment(start, end, label) in order, end exclusive, label in LONG_VIDEO_ACTIONS.
    frame(i) -> ToyFrame (image (H, W, 3) uint8, semantic, instance (H, W) uint8), the same whether
    frames are visited in order or not. Instance 1 is the actor, 2.. are distractors.
    """

    def __init__(self, seed: int, num_frames: int = 1500, height: int = 128, width: int = 128, *, fps: float = 25.0,
                 min_action: int = 40, max_action: int = 120, min_gap: int = 20, max_gap: int = 90,
                 num_distractors: tuple[int, int] = (1, 3), camera_motion: bool = True, noise_std: float = 1.0,
                 off_colour_prob: float = 0.15, actions: Sequence[int] = LONG_VIDEO_ACTIONS) -> None:
        if num_frames < 2 or not 1 <= min_gap <= max_gap or not 2 <= min_action <= max_action:
            raise ValueError("need num_frames >= 2, 1 <= min_gap <= max_gap and 2 <= min_action <= max_action")
        self.seed, self.num_frames, self.height, self.width, self.fps = seed, num_frames, height, width, float(fps)
        self.off_colour_prob = off_colour_prob
        self._layer_cache: dict[int, Layer] = {}
        rng = np.random.default_rng(seed)
        background, offset = random_background(rng, height, width)
        camera = swaying_camera(rng, height, width, camera_motion)
        self.segments: tuple[ActionSegment, ...] = tuple(
            draw_segments(rng, num_frames, actions, min_action, max_action, min_gap, max_gap))
        appearances = []
        for seg, (before, after) in zip(self.segments, _idle_spans(rng, list(self.segments), num_frames)):
            motion = actor_motion(rng, seg.label, height, width, start=seg.start, duration=seg.end - 1 - seg.start,
                                  clamp=True)
            appearances.append(_Appearance(random_class(rng), int(rng.integers(2**31)), motion,
                                           seg.start - before, seg.end + after))
        self._appearances = tuple(appearances)
        self._starts = [a.visible_from for a in appearances]
        short = min(height, width)
        r_min = min((a.motion.radius_range(seg.start, seg.end)[0] for a, seg in zip(appearances, self.segments)),
                    default=0.16 * short)
        count = int(rng.integers(num_distractors[0], num_distractors[1] + 1))
        distractors = []
        for instance in range(2, count + 2):
            motion = looping_distractor_motion(rng, height, width, DISTRACTOR_SIZE_RATIO * r_min)
            distractors.append(make_layer(rng, random_class(rng), instance, motion, motion.radius, off_colour_prob))
        self._scene = Scene(height=height, width=width, background=background, background_offset=offset,
                            camera=camera, layers=tuple(distractors), noise_std=noise_std,
                            noise_seed=int(rng.integers(2**31)))

    def __len__(self) -> int:
        return self.num_frames

    @property
    def duration(self) -> float:
        return self.num_frames / self.fps

    def _check(self, i: int) -> int:
        if not 0 <= i < self.num_frames:
            raise IndexError(f"frame {i} is outside 0..{self.num_frames - 1}")
        return int(i)

    def _appearance_at(self, i: int) -> int | None:
        k = bisect.bisect_right(self._starts, i) - 1
        return k if k >= 0 and i < self._appearances[k].visible_to else None

    def _actor_layer(self, k: int) -> Layer:
        if k in self._layer_cache:
            return self._layer_cache[k]
        if len(self._layer_cache) >= 4:  # only the actors near the frames being rendered
            self._layer_cache.pop(next(iter(self._layer_cache)))
        self._layer_cache[k] = layer = self._make_actor_layer(k)
        return layer

    def _make_actor_layer(self, k: int) -> Layer:
        a = self._appearances[k]
        r_max = a.motion.radius_range(a.motion.start, a.motion.start + a.motion.duration)[1]
        texture = object_texture(np.random.default_rng(a.texture_seed), a.class_id, texture_size(r_max),
                                 self.off_colour_prob).astype(np.float32)
        return Layer(a.class_id, 1, texture, a.motion, visible=(a.visible_from, a.visible_to))

    def _scene_for(self, *frames: int) -> Scene:
        """The scene with the actor appearance that exists at any of `frames` (at most one: they are >= 1 apart)."""
        found = {k for k in (self._appearance_at(i) for i in frames) if k is not None}
        actors = tuple(self._actor_layer(k) for k in sorted(found))
        return replace(self._scene, layers=self._scene.layers + actors)

    def frame(self, i: int) -> ToyFrame:
        """Frame i: image (H, W, 3) uint8, semantic and instance maps (H, W) uint8."""
        i = self._check(i)
        out = render(self._scene_for(i), i)
        return ToyFrame(image=out.image, semantic=out.semantic, instance=out.instance)

    def semantic(self, i: int) -> np.ndarray:
        """(H, W) uint8 class map of frame i."""
        return self.frame(i).semantic

    def flow(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Exact forward flow (H, W, 2) float32 and occlusion (H, W) bool from frame i to i+1."""
        i = self._check(i)
        self._check(i + 1)
        scene = self._scene_for(i, i + 1)
        return flow_between(scene, render(scene, i), render(scene, i + 1))

    @property
    def num_instances(self) -> int:
        """Instance ids in use, background included: 0, 1 (actor), 2.. (distractors)."""
        return 2 + len(self._scene.layers)

    def flow_affines(self, i: int) -> np.ndarray:
        """(num_instances, 2, 3) per-instance affine maps from frame i to i+1 (see render.flow_from_affines)."""
        i = self._check(i)
        self._check(i + 1)
        return instance_flow_affines(self._scene_for(i, i + 1), i, self.num_instances)

    def iter_frames(self, start: int = 0, stop: int | None = None, step: int = 1) -> Iterator[ToyFrame]:
        """Frames start, start+step, ... before stop (default: the end), one at a time."""
        stop = self.num_frames if stop is None else min(stop, self.num_frames)
        for i in range(start, stop, step):
            yield self.frame(i)

    def frames(self, indices: Sequence[int]) -> np.ndarray:
        """(len(indices), H, W, 3) uint8 images of the given frames."""
        return np.stack([self.frame(i).image for i in indices]) if len(indices) else \
            np.zeros((0, self.height, self.width, 3), np.uint8)

    def to_clip(self, indices: Sequence[int] | None = None):
        """A `lib.video.clip.Clip` of the given frame indices (default: all frames; mind the memory)."""
        from lib.video.clip import Clip  # deferred: keeps the generator importable on its own

        idx = np.arange(self.num_frames, dtype=np.int64) if indices is None else np.asarray(indices, dtype=np.int64)
        return Clip(frames=self.frames(idx.tolist()), fps=self.fps, indices=idx, timestamps=idx / self.fps,
                    original_size=(self.height, self.width), duration=self.duration)

    def action_at(self, i: int) -> int:
        """Action id of the segment containing frame i, or -1 (background)."""
        k = bisect.bisect_right([s.start for s in self.segments], self._check(i)) - 1
        return self.segments[k].label if k >= 0 and i < self.segments[k].end else BACKGROUND_ACTION

    def frame_labels(self) -> np.ndarray:
        """(num_frames,) int64 action id per frame, -1 for background."""
        labels = np.full(self.num_frames, BACKGROUND_ACTION, np.int64)
        for seg in self.segments:
            labels[seg.start:seg.end] = seg.label
        return labels

    def actor_visible(self, i: int) -> bool:
        """Whether the actor exists at frame i (it may still be idle)."""
        return self._appearance_at(self._check(i)) is not None

    def __repr__(self) -> str:
        return (f"LongToyVideo(seed={self.seed}, num_frames={self.num_frames}, size={self.height}x{self.width}, "
                f"segments={len(self.segments)})")
