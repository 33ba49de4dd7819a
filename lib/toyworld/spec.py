"""Names, settings and result types of the toy world (procedural videos with exact ground truth)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.frames import HasFrames

# Class id = index. Each object class is one shape with its own colour family (see textures.py).
CLASS_NAMES: tuple[str, ...] = ("background", "disc", "square", "triangle", "star", "ring", "cross")

# Motion patterns; a short clip's action label is its main actor's pattern. "stay" is last so that the
# long-video actions (everything but "stay": an idle actor counts as background there) are 0..8.
ACTION_NAMES: tuple[str, ...] = ("left", "right", "up", "down", "rotate_cw", "rotate_ccw", "grow", "shrink",
                                 "bounce", "stay")
# How each action reads in a sentence ("the disc ..."), for titles and captions.
ACTION_PHRASES: dict[str, str] = {"left": "moves left", "right": "moves right", "up": "moves up", "down": "moves down",
                                  "rotate_cw": "turns clockwise", "rotate_ccw": "turns anticlockwise",
                                  "grow": "grows", "shrink": "shrinks", "bounce": "bounces", "stay": "stays still"}
STAY = ACTION_NAMES.index("stay")
LONG_VIDEO_ACTIONS: tuple[int, ...] = tuple(i for i in range(len(ACTION_NAMES)) if i != STAY)
BACKGROUND_ACTION = -1


@dataclass(frozen=True)
class ToyWorldConfig:
    """Settings of a short toy-world clip.

    min_objects / max_objects: objects per clip, the main actor included (at least 1).
    actions:       action ids the main actor may get (None: all of ACTION_NAMES), drawn uniformly.
    noise_std:     std of the per-pixel sensor noise added to the frames, in grey levels (0 = clean).
    off_colour_prob: chance that an object ignores its class colour family, so colour alone does not
                   give the class away.
    """

    height: int = 128
    width: int = 128
    num_frames: int = 64
    min_objects: int = 2
    max_objects: int = 4
    camera_motion: bool = True
    fps: float = 25.0
    noise_std: float = 1.0
    off_colour_prob: float = 0.15
    actions: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.height < 16 or self.width < 16:
            raise ValueError(f"frames must be at least 16x16, got {self.height}x{self.width}")
        if self.num_frames < 2:
            raise ValueError(f"num_frames must be at least 2, got {self.num_frames}")
        if not 1 <= self.min_objects <= self.max_objects:
            raise ValueError(f"need 1 <= min_objects <= max_objects, got {self.min_objects}, {self.max_objects}")
        if self.actions is not None and not all(0 <= a < len(ACTION_NAMES) for a in self.actions):
            raise ValueError(f"actions must be ids in 0..{len(ACTION_NAMES) - 1}, got {self.actions}")


@dataclass(frozen=True)
class ToyClip(HasFrames):
    """A generated clip with its exact ground truth (num_frames, height, width: see HasFrames).

    frames:     (T, H, W, 3) uint8 RGB.
    semantic:   (T, H, W) uint8 class id per pixel (index into CLASS_NAMES, 0 = background).
    instance:   (T, H, W) uint8 instance id per pixel (0 = background, 1 = main actor, 2.. = others).
    flow:       (T-1, H, W, 2) float32 forward flow (dx, dy) in pixels: the surface point seen at pixel
                (x, y) of frame t is at (x + dx, y + dy) in frame t+1.
    occlusion:  (T-1, H, W) bool, True where that point is hidden in frame t+1 or outside it.
    action:     action id of the main actor (index into ACTION_NAMES); -1 when there is no actor.
    instance_classes: class id of instance k at position k-1.
    """

    frames: np.ndarray
    semantic: np.ndarray
    instance: np.ndarray
    flow: np.ndarray
    occlusion: np.ndarray
    action: int
    seed: int
    fps: float
    instance_classes: tuple[int, ...] = ()

    @property
    def action_name(self) -> str:
        return ACTION_NAMES[self.action] if self.action >= 0 else "none"

    def to_clip(self, source: str | None = None):
        """The frames as a `lib.video.clip.Clip` (every frame sampled)."""
        from lib.video.clip import Clip  # deferred: keeps the generator importable on its own

        return Clip.from_frames(self.frames, fps=self.fps, source=source)


@dataclass(frozen=True)
class ToyFrame:
    """One frame of a long toy video: image (H, W, 3) uint8, semantic and instance (H, W) uint8."""

    image: np.ndarray
    semantic: np.ndarray
    instance: np.ndarray


@dataclass(frozen=True)
class ActionSegment:
    """Frames [start, end) of a long video where the actor performs action `label` (ACTION_NAMES id)."""

    start: int
    end: int
    label: int

    @property
    def name(self) -> str:
        return ACTION_NAMES[self.label]

    def __len__(self) -> int:
        return self.end - self.start
