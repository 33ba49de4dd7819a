"""The long-video task the bundled ViS4mer models solve: count how many times the actor bounces.

A video is 1,024 frames (41 s at 25 fps) of the toy world in which one actor after another performs
one of three actions (move left, grow, bounce), with idle or empty stretches in between. The label is
the number of separate bounce segments (0, 1, 2, 3, or "4+"). No short window can answer it: the
bounces are spread over the whole video, and two bounces must be told apart from one long one, so
the model has to find each onset and add them up over the full sequence.

Frames are sampled every STRIDE frames (6.25 per second, as ViS4mer samples movies at 1 fps) and each
sampled frame with its successor is encoded into 4 tokens: 256 frames -> 1,024 tokens.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lib.toyworld import ACTION_NAMES, LongToyVideo, SeedSplit

if TYPE_CHECKING:  # torch is imported where it is used: the task definition itself needs only numpy
    import torch

TASK_ACTIONS: tuple[int, ...] = tuple(ACTION_NAMES.index(n) for n in ("left", "grow", "bounce"))
COUNTED_ACTION = ACTION_NAMES.index("bounce")
MAX_COUNT = 4
COUNT_LABELS: tuple[str, ...] = ("0", "1", "2", "3", "4+")
# Frame-encoder targets: 0 = no action (idle or no actor), then the task actions in TASK_ACTIONS order.
FRAME_CLASS_NAMES: list[str] = ["none"] + [ACTION_NAMES[a] for a in TASK_ACTIONS]

NUM_FRAMES = 1024
STRIDE = 4
IMAGE_SIZE = 64
SAMPLED_FPS = 25.0 / STRIDE

# Disjoint seeds. Decoders: train on 0..479, scored on 900000..900159 (never trained on, also the tab's
# default toy videos). Frame encoder: trains on 100000..100143, scores itself on 100144..100159.
SEEDS = SeedSplit(train_start=0, held_out_start=900_000)
ENCODER_SEEDS = SeedSplit(train_start=100_000, held_out_start=100_144)
NUM_TRAIN_VIDEOS, NUM_HELD_OUT_VIDEOS = 480, 160
NUM_ENCODER_TRAIN_VIDEOS, NUM_ENCODER_HELD_OUT_VIDEOS = 144, 16


def task_video(seed: int, *, num_frames: int = NUM_FRAMES, size: int = IMAGE_SIZE) -> LongToyVideo:
    """The long toy video of `seed` drawn with the task's three actions."""
    return LongToyVideo(seed, num_frames=num_frames, height=size, width=size, actions=TASK_ACTIONS)


def count_label(video: LongToyVideo) -> int:
    """Class index: number of bounce segments, capped at MAX_COUNT (the "4+" class)."""
    return min(MAX_COUNT, sum(seg.label == COUNTED_ACTION for seg in video.segments))


def sampled_indices(num_frames: int, stride: int = STRIDE) -> np.ndarray:
    """Frame indices 0, stride, 2*stride, ... < num_frames: T+1 frames giving T frame pairs."""
    return np.arange(0, num_frames, stride, dtype=np.int64)


def frame_targets(video: LongToyVideo, indices: np.ndarray) -> np.ndarray:
    """(len(indices) - 1,) int64 frame-encoder class of each pair (t, t+1): the action at the pair's midpoint."""
    to_class = {a: i + 1 for i, a in enumerate(TASK_ACTIONS)}
    mids = (indices[:-1] + indices[1:]) // 2
    return np.array([to_class.get(video.action_at(int(m)), 0) for m in mids], dtype=np.int64)


def token_spans(num_tokens: int, tokens_per_frame: int, frame_indices: np.ndarray) -> np.ndarray:
    """(num_tokens, 2) int: the [first, last] source frame each token describes (token k -> pair k // tpf)."""
    pair = np.arange(num_tokens) // tokens_per_frame
    return np.stack([frame_indices[pair], frame_indices[np.minimum(pair + 1, len(frame_indices) - 1)]], axis=1)


def encode_task_videos(encoder, seeds, *, num_frames: int = NUM_FRAMES,
                       on_video=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Tokens (V, T * tokens_per_frame, dim) float16 and count labels (V,) int64 of the task videos `seeds`.

    encoder: a ToyFrameEncoder in eval mode. on_video(k, n) is called after each video (progress).
    """
    import torch

    tokens, labels = [], []
    seeds = list(seeds)
    for k, seed in enumerate(seeds):
        video = task_video(seed, num_frames=num_frames)
        frames = video.frames(sampled_indices(video.num_frames).tolist())
        tokens.append(encoder.encode_video(frames).half())
        labels.append(count_label(video))
        if on_video is not None:
            on_video(k + 1, len(seeds))
    return torch.stack(tokens), torch.tensor(labels, dtype=torch.int64)


def decoder_accuracy(model, tokens, labels, *, batch_size: int = 32) -> float:
    """Fraction of videos whose count class `model` (a ViS4merDecoder) gets right; tokens (V, L, d)."""
    import torch

    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(tokens[i:i + batch_size].float()).argmax(-1)
                          for i in range(0, len(tokens), batch_size)])
    return float((pred == labels).float().mean())
