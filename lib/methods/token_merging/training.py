"""Training the bundled FrameViT frame encoder (scripts/train_frame_vit.py): data, loss, held-out report.

    train, held = training_data(clips=1500, held_out=200)       # toy frames: SEEDS.train / SEEDS.held_out
    fit(model, frame_vit_losses(model, train, rng, steps=450, batch=40), optimiser, schedule)
    print("\n".join(held_out_report(model, held, r=20)))       # class / patch accuracy without and with ToMe

Objective: actor class from CLS + per-patch semantic class + COLOUR_WEIGHT x per-patch colours on a 2x2
sub-grid (the colour head keeps appearance in the patch features, so merging groups real photographs too;
the training frames mix in a few camera pans over a real photograph, with colour targets only).
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from lib.methods.token_merging.data import SEEDS, FrameSet, evaluate, make_frames, normalise
from lib.methods.token_merging.model import FrameViT

COLOUR_WEIGHT = 10.0  # colour MSE is ~100x smaller than the cross-entropies; this keeps it from vanishing


def training_data(clips: int, held_out: int) -> tuple[FrameSet, FrameSet]:
    """Training frames of toy seeds SEEDS.train(clips) (photo pans mixed in) and held-out frames of
    SEEDS.held_out(held_out) (toy clips only), 3 frames per clip."""
    return make_frames(SEEDS.train(clips)), make_frames(SEEDS.held_out(held_out), photo_every=0)


def frame_vit_loss(out: dict[str, torch.Tensor], data: FrameSet, pick: np.ndarray
                   ) -> tuple[torch.Tensor, dict[str, float]]:
    """The training objective on the frames `pick` of `data`, given the model's heads `out` on them.

    Returns the total loss (a scalar tensor) and its three parts as numbers, for the log.
    """
    classes = torch.from_numpy(data.classes[pick])
    semantic = torch.from_numpy(data.semantic[pick])
    colours = torch.from_numpy(data.colours[pick])
    loss_class = F.cross_entropy(out["class_logits"], classes, ignore_index=-100)  # -100: photographs
    loss_seg = F.cross_entropy(out["seg_logits"].flatten(0, 1), semantic.flatten(), ignore_index=-100)
    loss_colour = F.mse_loss(out["colours"], colours)
    loss = loss_class + loss_seg + COLOUR_WEIGHT * loss_colour
    return loss, {"class": loss_class.item(), "seg": loss_seg.item(), "colour": loss_colour.item()}


def frame_vit_losses(model: FrameViT, train: FrameSet, rng: np.random.Generator, *, steps: int, batch: int
                     ) -> Iterator[tuple[torch.Tensor, dict[str, float]]]:
    """One loss per step for lib.training.fit: `batch` frames drawn with replacement from `train` by `rng`."""
    for _ in range(steps):
        model.train()  # evaluate() switches to eval mode; every step trains
        pick = rng.integers(0, len(train), batch)
        yield frame_vit_loss(model(normalise(train.frames[pick])), train, pick)


def held_out_report(model: FrameViT, held: FrameSet, *, r: int) -> list[str]:
    """Two lines: held-out class and patch accuracy without merging and with ToMe at r per block."""
    plain, tome = evaluate(model, held), evaluate(model, held, r=r)
    return [f"held-out (seeds {SEEDS.held_out_start}+, {len(held)} frames): class accuracy "
            f"{plain['class_accuracy']:.3f}, patch accuracy {plain['patch_accuracy']:.3f}",
            f"held-out with ToMe r={r}: class accuracy {tome['class_accuracy']:.3f}, "
            f"patch accuracy {tome['patch_accuracy']:.3f}"]
