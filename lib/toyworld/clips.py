"""Short toy-world clips: one main actor performing the labelled motion, smaller distractors, camera motion."""
from __future__ import annotations

import numpy as np

from lib.toyworld.render import Rendered, Scene, flow_between, render
from lib.toyworld.scene import (
    DISTRACTOR_SIZE_RATIO,
    actor_motion,
    clip_camera,
    distractor_motion,
    make_layer,
    random_background,
    random_class,
)
from lib.toyworld.spec import ACTION_NAMES, ToyClip, ToyWorldConfig


def build_clip_scene(seed: int, config: ToyWorldConfig, action: int | None = None) -> tuple[Scene, int]:
    """The scene of clip `seed` and its action id. Layer order is depth order; the actor (instance 1) is on top."""
    rng = np.random.default_rng(seed)
    h, w, t = config.height, config.width, config.num_frames
    allowed = config.actions if config.actions is not None else tuple(range(len(ACTION_NAMES)))
    drawn = int(allowed[rng.integers(len(allowed))])  # always drawn, so forcing an action keeps the rest of the scene
    action = drawn if action is None else int(action)
    if not 0 <= action < len(ACTION_NAMES):
        raise ValueError(f"action must be in 0..{len(ACTION_NAMES) - 1}, got {action}")
    background, offset = random_background(rng, h, w)
    camera = clip_camera(rng, h, w, t, config.camera_motion)
    actor = actor_motion(rng, action, h, w, start=0.0, duration=t - 1)
    r_min, r_max = actor.radius_range(0, t - 1)
    actor_layer = make_layer(rng, random_class(rng), 1, actor, r_max, config.off_colour_prob)
    num_objects = int(rng.integers(config.min_objects, config.max_objects + 1))
    distractors = []
    for instance in range(2, num_objects + 1):
        motion = distractor_motion(rng, h, w, t - 1, max_radius=DISTRACTOR_SIZE_RATIO * r_min)
        distractors.append(make_layer(rng, random_class(rng), instance, motion, motion.radius_range(0, t - 1)[1],
                                      config.off_colour_prob))
    order = rng.permutation(len(distractors))  # random depth order among distractors; the actor stays on top
    layers = [distractors[i] for i in order] + [actor_layer]
    scene = Scene(height=h, width=w, background=background, background_offset=offset, camera=camera,
                  layers=tuple(layers), noise_std=config.noise_std, noise_seed=int(rng.integers(2**31)))
    return scene, action


def render_sequence(scene: Scene, num_frames: int, fps: float, seed: int, action: int) -> ToyClip:
    """Render frames 0..num_frames-1 of a scene with semantic, instance, flow and occlusion."""
    h, w = scene.height, scene.width
    frames = np.empty((num_frames, h, w, 3), np.uint8)
    semantic = np.empty((num_frames, h, w), np.uint8)
    instance = np.empty((num_frames, h, w), np.uint8)
    flow = np.empty((num_frames - 1, h, w, 2), np.float32)
    occlusion = np.empty((num_frames - 1, h, w), bool)
    prev: Rendered | None = None
    for i in range(num_frames):
        cur = render(scene, i)
        frames[i], semantic[i], instance[i] = cur.image, cur.semantic, cur.instance
        if prev is not None:
            flow[i - 1], occlusion[i - 1] = flow_between(scene, prev, cur)
        prev = cur
    classes = tuple(layer.class_id for layer in sorted(scene.layers, key=lambda l: l.instance))
    return ToyClip(frames=frames, semantic=semantic, instance=instance, flow=flow, occlusion=occlusion,
                   action=action, seed=seed, fps=fps, instance_classes=classes)


def generate_clip(seed: int, config: ToyWorldConfig = ToyWorldConfig(), *, action: int | None = None) -> ToyClip:
    """A toy-world clip with exact ground truth, fully determined by (seed, config, action).

    The main actor (instance 1: the largest object, drawn on top) performs `action` (an ACTION_NAMES id;
    None: drawn from config.actions by the seed); the motion is relative to the background, the camera
    adds a smaller global pan/zoom. Returns frames (T, H, W, 3) uint8 with semantic and
    instance maps (T, H, W) uint8, flow (T-1, H, W, 2) float32 and occlusion (T-1, H, W) bool.
    """
    scene, action = build_clip_scene(seed, config, action)
    return render_sequence(scene, config.num_frames, config.fps, seed, action)
