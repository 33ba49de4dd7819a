"""Data, losses and evaluation of scripts/train_long_range.py (the script keeps the hyperparameters).

Two trainings, each driven by lib.training.fit, which takes one loss per step from a generator here:

    frames, targets, label = video_frames(seed, cache)          # one task video, frames rendered once
    data = encoder_data(seeds, held, cache)                      # frame pairs -> action class (encoder)
    fit(encoder, encoder_losses(encoder, data, weights, ...), optimiser, one_cycle(optimiser, steps))
    tokens, labels = build_features(encoder_dir, seeds, "train", cache_dir, frame_cache)  # (V, L, d), (V,)
    fit(decoder, decoder_losses(decoder, tokens, labels, ...), optimiser, one_cycle(...))
    decoder_accuracy(decoder, held_tokens, held_labels)          # (data.py) held-out score

The generators draw their random permutations from the generator they are given in the same order as the
hand-written loops they replace, so the trained weights are byte-identical to the previous script's.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from lib.methods.long_range.data import IMAGE_SIZE, count_label, frame_targets, sampled_indices, task_video
from lib.methods.long_range.frame_encoder import ToyFrameEncoder, frame_pairs
from lib.methods.long_range.model import ViS4merDecoder

Log = Callable[[str], None]


def video_frames(seed: int, cache: Path | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Sampled frames (T+1, S, S, 3) uint8, per-pair targets (T,) and the count label of one task video.

    cache: a folder keeping the rendered frames as <seed>.npy (rendering is the slow part), or None.
    """
    video = task_video(seed)  # cheap: frames are rendered lazily
    indices = sampled_indices(video.num_frames)
    cached = cache / f"{seed}.npy" if cache is not None else None
    if cached is not None and cached.is_file():
        frames = np.load(cached)
    else:
        frames = video.frames(indices.tolist())
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(".partial.npy")
            np.save(partial, frames)
            partial.replace(cached)  # atomic: an interrupted run never leaves a truncated cache file
    return frames, frame_targets(video, indices), count_label(video)


def pairs_of(frames: np.ndarray, positions: np.ndarray) -> torch.Tensor:
    """Encoder input for pairs (positions, positions + 1) of a (N, S, S, 3) uint8 frame array: (P, 6, S, S)."""
    return torch.cat([frame_pairs(frames[[p, p + 1]], IMAGE_SIZE) for p in positions])


@dataclass(frozen=True)
class EncoderData:
    """The frame encoder's pairs. frames (N, S, S, 3) uint8 of all videos concatenated (pairs are built per
    batch to keep memory small; they never cross videos); train_positions (P,) index of each training
    pair's first frame, train_targets (P,) int64; held_pairs (Q, 6, S, S), held_targets (Q,) int64."""

    frames: np.ndarray
    train_positions: np.ndarray
    train_targets: torch.Tensor
    held_pairs: torch.Tensor
    held_targets: torch.Tensor


def encoder_data(seeds: Sequence[int], held: set[int], cache: Path | None, log: Log = print) -> EncoderData:
    """Render the videos `seeds` (in order); the pairs of the videos in `held` are the encoder's held-out set."""
    frames, targets, positions, held_mask = [], [], [], []
    for seed in seeds:
        video_frames_, video_targets, _ = video_frames(seed, cache)
        positions.append(np.arange(len(video_targets)) + sum(len(f) for f in frames))
        frames.append(video_frames_)
        targets.append(video_targets)
        held_mask.append(np.full(len(video_targets), seed in held))
    log(f"rendered {len(seeds)} encoder videos")
    frames_all = np.concatenate(frames)
    targets_all, positions_all, held_all = (np.concatenate(a) for a in (targets, positions, held_mask))
    return EncoderData(frames=frames_all, train_positions=positions_all[~held_all],
                       train_targets=torch.as_tensor(targets_all[~held_all]),
                       held_pairs=pairs_of(frames_all, positions_all[held_all]),
                       held_targets=torch.as_tensor(targets_all[held_all]))


def class_weights(targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(C,) inverse-frequency weights: "none" pairs are about half of all pairs."""
    counts = torch.bincount(targets, minlength=num_classes).float()
    return counts.sum() / (len(counts) * counts.clamp_min(1))


def encoder_losses(encoder: ToyFrameEncoder, data: EncoderData, weights: torch.Tensor, *, epochs: int,
                   batch_size: int, generator: torch.Generator,
                   on_epoch: Callable[[int, float], None] | None = None) -> Iterator[torch.Tensor]:
    """Weighted cross-entropy of each shuffled batch of training pairs; on_epoch(epoch, last loss) after each
    epoch (after its last optimiser step). Steps per epoch: len(train_positions) // batch_size."""
    for epoch in range(epochs):
        order = torch.randperm(len(data.train_positions), generator=generator).numpy()
        for i in range(0, len(order) - batch_size + 1, batch_size):
            batch = order[i:i + batch_size]
            logits = encoder.classify(pairs_of(data.frames, data.train_positions[batch]))
            loss = F.cross_entropy(logits, data.train_targets[batch], weight=weights)
            yield loss
        if on_epoch is not None:
            on_epoch(epoch, loss.item())


@torch.no_grad()
def pair_accuracy(encoder: ToyFrameEncoder, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of pairs x (P, 6, S, S) whose action class y (P,) the encoder names; keeps its train/eval mode."""
    was_training = encoder.training
    encoder.eval()
    pred = torch.cat([encoder.classify(x[i:i + 512]).argmax(-1) for i in range(0, len(x), 512)])
    encoder.train(was_training)
    return float((pred == y).float().mean())


def build_features(encoder_dir: Path, seeds: Sequence[int], name: str, cache_dir: Path,
                   frame_cache: Path | None, log: Log = print) -> tuple[torch.Tensor, torch.Tensor]:
    """(V, 1024, 32) float16 tokens and (V,) count labels of the videos `seeds` (consecutive), encoded by
    the encoder saved in `encoder_dir`; cached in cache_dir keyed by the seeds and the encoder's weights."""
    encoder = ToyFrameEncoder.from_pretrained(encoder_dir).eval()
    stamp = int((encoder_dir / "model.safetensors").stat().st_mtime)
    path = Path(cache_dir) / f"{name}-{seeds[0]}-{seeds[-1] + 1}-{stamp}.pt"
    if path.is_file():
        cached = torch.load(path)
        return cached["tokens"], cached["labels"]
    tokens, labels = [], []
    for k, seed in enumerate(seeds):
        frames, _, label = video_frames(seed, frame_cache)
        pairs = frame_pairs(frames, IMAGE_SIZE)
        with torch.no_grad():
            tokens.append(encoder(pairs).flatten(0, 1).half())
        labels.append(label)
        if (k + 1) % 100 == 0:
            log(f"{name}: encoded {k + 1}/{len(seeds)} videos")
    result = torch.stack(tokens), torch.tensor(labels)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"tokens": result[0], "labels": result[1]}, path)
    return result


def decoder_losses(model: ViS4merDecoder, tokens: torch.Tensor, labels: torch.Tensor, *, epochs: int,
                   batch_size: int, generator: torch.Generator,
                   on_epoch: Callable[[int, float], None] | None = None) -> Iterator[torch.Tensor]:
    """Cross-entropy of the count class on shuffled batches of tokens (V, L, d), each video played backwards
    with probability 1/2 (the number of bounces does not change); on_epoch(epoch, mean loss) after each."""
    steps_per_epoch = len(tokens) // batch_size
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(tokens), generator=generator)
        flips = torch.rand(len(tokens), generator=generator) < 0.5
        total = 0.0
        for i in range(steps_per_epoch):
            batch = order[i * batch_size:(i + 1) * batch_size]
            x = tokens[batch].float()
            x = torch.where(flips[batch, None, None], x.flip(1), x)
            loss = F.cross_entropy(model(x), labels[batch])
            yield loss
            total += loss.item()
        if on_epoch is not None:
            on_epoch(epoch, total / steps_per_epoch)
