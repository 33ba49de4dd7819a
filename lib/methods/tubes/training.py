"""Training the bundled Tubes models (scripts/train_tubevit.py): model, augmentation, losses, evaluation.

    torch.manual_seed(seed)
    model = build_model(tubes, (32, 48, 48), clips, dim=32, depth=3, heads=2, mlp_dim=128)
    generator = torch.Generator().manual_seed(seed)
    fit(model, action_losses(model, clips, labels, epochs=24, batch=16, generator=generator), optimiser, schedule)
    evaluate(model, held_clips, held_labels)   # top-1 on held-out clips

clips are (N, 3, T, H, W) uint8 tensors and labels (N,) int64 ACTION_NAMES ids (data.load_split).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
import torch.nn.functional as F

from lib.methods.tubes.geometry import TubeSpec
from lib.methods.tubes.model import TubeViT, normalise_batch
from lib.toyworld import ACTION_NAMES

# Label maps under the two label-aware augmentations (motion patterns mirror / run backwards).
_NAME = {n: i for i, n in enumerate(ACTION_NAMES)}
_SWAPS_FLIP = {"left": "right", "rotate_cw": "rotate_ccw"}
_SWAPS_REVERSE = {"left": "right", "up": "down", "rotate_cw": "rotate_ccw", "grow": "shrink"}


def _label_map(swaps: dict[str, str]) -> torch.Tensor:
    table = list(range(len(ACTION_NAMES)))
    for a, b in swaps.items():
        table[_NAME[a]], table[_NAME[b]] = _NAME[b], _NAME[a]
    return torch.tensor(table)


FLIP_LABELS, REVERSE_LABELS = _label_map(_SWAPS_FLIP), _label_map(_SWAPS_REVERSE)


def build_model(tubes: Sequence[TubeSpec], input_shape: Sequence[int], clips: torch.Tensor, **arch: int) -> TubeViT:
    """A fresh model; inputs are standardised with the training clips' per-channel mean and std, so that the
    small frame-to-frame changes that tell the motions apart are not drowned (pixel std is ~0.3 in [-1, 1])."""
    sample = clips[:256].float().div(255.0)
    mean = sample.mean(dim=(0, 2, 3, 4)).tolist()
    std = sample.std(dim=(0, 2, 3, 4)).tolist()
    return TubeViT([t.as_list() for t in tubes], list(input_shape), num_classes=len(ACTION_NAMES),
                   class_names=list(ACTION_NAMES), pixel_mean=[round(m, 4) for m in mean],
                   pixel_std=[round(s, 4) for s in std], **arch)


def augment(video: torch.Tensor, labels: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random horizontal flip and time reversal, with the labels they imply (left<->right, ...)."""
    flip = torch.rand(len(labels), generator=generator) < 0.5
    rev = torch.rand(len(labels), generator=generator) < 0.5
    video = video.clone()
    video[flip] = video[flip].flip(-1)
    video[rev] = video[rev].flip(2)
    labels = torch.where(flip, FLIP_LABELS[labels], labels)
    labels = torch.where(rev, REVERSE_LABELS[labels], labels)
    return video, labels


def action_losses(model: TubeViT, clips: torch.Tensor, labels: torch.Tensor, *, epochs: int, batch: int,
                  generator: torch.Generator) -> Iterator[tuple[torch.Tensor, dict[str, float]]]:
    """One label-smoothed cross-entropy per step for lib.training.fit: each epoch a new order of the clips
    (from `generator`), batches of `batch`, augmented with flips and time reversal (the same generator)."""
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(labels), generator=generator)
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            video, target = augment(normalise_batch(clips[idx], model), labels[idx], generator)
            yield F.cross_entropy(model(video), target, label_smoothing=0.1), {"epoch": epoch}


def joint_losses(model: TubeViT, image_head: torch.nn.Linear, clips: torch.Tensor, labels: torch.Tensor,
                 images: torch.Tensor, image_labels: torch.Tensor, *, epochs: int, batch: int, image_batch: int,
                 generator: torch.Generator, image_weight: float = 1.0
                 ) -> Iterator[tuple[torch.Tensor, dict[str, float]]]:
    """action_losses plus, each step, the shape loss of `image_batch` images through the model's 2-D tube with
    `image_head` on the pooled feature (TubeViT's joint image + video training). Images are (N, 3, H, W) uint8."""
    from lib.methods.tubes.pretraining import augment_images

    for loss, info in action_losses(model, clips, labels, epochs=epochs, batch=batch, generator=generator):
        idx = torch.randint(len(image_labels), (image_batch,), generator=generator)
        x = augment_images(normalise_batch(images[idx], model), generator)
        image_loss = F.cross_entropy(image_head(model.forward_features(x).pooled), image_labels[idx],
                                     label_smoothing=0.1)
        yield loss + image_weight * image_loss, {**info, "image_loss": float(image_loss.detach())}


@torch.no_grad()
def evaluate(model: TubeViT, clips: torch.Tensor, labels: torch.Tensor, batch: int = 64) -> float:
    """Top-1 accuracy of `model` (put in eval mode) on clips (N, 3, T, H, W) uint8 with labels (N,); images
    (N, 3, H, W) go through the model's 2-D tubes the same way."""
    model.eval()
    correct = 0
    for i in range(0, len(labels), batch):
        correct += int((model(normalise_batch(clips[i:i + batch], model)).argmax(-1) == labels[i:i + batch]).sum())
    return correct / len(labels)
