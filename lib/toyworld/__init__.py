"""The toy world: procedural videos with exact ground truth (class, instance, flow, occlusion, actions).

generate_clip(seed, ToyWorldConfig(...)) -> ToyClip          short clip, one labelled main actor
LongToyVideo(seed, num_frames, height, width, ...)           lazy untrimmed video with ActionSegments
photo_pan_clip(num_frames, height, width, seed) -> ToyClip   camera motion over a real photograph
load_example_ground_truth(name) -> dict                      ground truth of a bundled example clip
SeedSplit(held_out_start, train_start)                       training vs held-out seeds of a method
"""
from lib.toyworld.clips import generate_clip
from lib.toyworld.examples import load_example_ground_truth
from lib.toyworld.long_video import LongToyVideo
from lib.toyworld.photo import photo_pan_clip
from lib.toyworld.seeds import SeedSplit
from lib.toyworld.spec import (
    ACTION_NAMES,
    ACTION_PHRASES,
    BACKGROUND_ACTION,
    CLASS_NAMES,
    LONG_VIDEO_ACTIONS,
    ActionSegment,
    ToyClip,
    ToyFrame,
    ToyWorldConfig,
)

__all__ = [
    "ACTION_NAMES", "ACTION_PHRASES", "BACKGROUND_ACTION", "CLASS_NAMES", "LONG_VIDEO_ACTIONS",
    "ActionSegment", "LongToyVideo", "SeedSplit", "ToyClip", "ToyFrame", "ToyWorldConfig", "generate_clip",
    "load_example_ground_truth", "photo_pan_clip",
]
