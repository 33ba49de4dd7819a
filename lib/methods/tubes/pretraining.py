"""Image pretraining for the Tubes models, as TubeViT starts from an image ViT (paper §3.4, Table 7).

The paper's tubes and its dense baselines both start from an image ViT: its patch kernel is inflated to
every tube shape (lib.methods.tubes.kernels.inflate_patch_kernel), its transformer blocks are reused, and
TubeViT keeps training on images through its 2-D tube while it learns video ("joint training"). The toy
world gives that recipe cheaply: an image is one frame of a toy clip, labelled with the main actor's shape
(the largest object, drawn on top), so pretraining teaches the encoder which object is the actor, the object
whose motion is the video label. Images use other seeds than any training or held-out clip (IMAGE_SEED_BASE).

    images, labels = shape_images(20_000, size=48)               # (N, 3, 48, 48) uint8, (N,) SHAPE_NAMES ids
    image_vit = image_model(images, dim=32, depth=3, heads=2, mlp_dim=128)   # 1x8x8 patches: 36 tokens
    ... train image_vit on (images, labels) with image_losses ...
    tubevit = inflate(image_vit, tubes, (32, 48, 48))             # every tube's kernel from the 8x8 patch kernel
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from lib.methods.tubes.data import toy_config
from lib.methods.tubes.geometry import TubeSpec
from lib.methods.tubes.kernels import inflate_patch_kernel
from lib.methods.tubes.model import TubeViT, normalise_batch
from lib.toyworld import ACTION_NAMES, CLASS_NAMES
from lib.toyworld.clips import build_clip_scene
from lib.toyworld.render import render

IMAGE_SEED_BASE = 2_000_000  # image seeds: disjoint from the clips' (training from 0, held-out from 1,000,000)
SHAPE_NAMES = tuple(CLASS_NAMES[1:])  # the actor's shape; "background" is never an actor
PATCH = 8  # the image ViT's patch: TubeViT-tiny's 2-D tube (1x8x8)


def shape_images(count: int, *, size: int = 48, source_size: int = 64, num_frames: int = 32,
                 seed_base: int = IMAGE_SEED_BASE) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` toy-world frames like the training clips' (same scenes, distractors, camera), one per seed at a
    random time, scaled from `source_size` to `size` as lib.methods.tubes.data.resize_clips scales clips.

    Returns images (N, 3, size, size) uint8 and labels (N,) int64 SHAPE_NAMES ids of the main actor."""
    from lib.methods.tubes.data import resize_clips

    config = toy_config(num_frames, source_size)
    frames = np.empty((count, 1, source_size, source_size, 3), np.uint8)
    labels = np.empty(count, np.int64)
    for i in range(count):
        seed = seed_base + i
        scene, _ = build_clip_scene(seed, config)
        t = int(np.random.default_rng(seed).integers(num_frames))
        frames[i, 0] = render(scene, t).image
        actor = next(layer for layer in scene.layers if layer.instance == 1)
        labels[i] = actor.class_id - 1
    return resize_clips(frames, size)[:, :, 0], torch.from_numpy(labels)


def image_model(images: torch.Tensor, **arch: int) -> TubeViT:
    """A fresh image ViT (a TubeViT whose one tube is a 1 x PATCH x PATCH patch) for (B, 3, H, W) images,
    standardised with the images' per-channel mean and std as the video models are."""
    sample = images[:1024].float().div(255.0)
    size = int(images.shape[-1])
    return TubeViT([[[1, PATCH, PATCH], [1, PATCH, PATCH], [0, 0, 0]]], [1, size, size],
                   num_classes=len(SHAPE_NAMES), class_names=list(SHAPE_NAMES),
                   pixel_mean=[round(v, 4) for v in sample.mean(dim=(0, 2, 3)).tolist()],
                   pixel_std=[round(v, 4) for v in sample.std(dim=(0, 2, 3)).tolist()], **arch)


def augment_images(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flips (a shape's class does not change when mirrored)."""
    flip = torch.rand(len(images), generator=generator) < 0.5
    images = images.clone()
    images[flip] = images[flip].flip(-1)
    return images


def image_losses(model: TubeViT, images: torch.Tensor, labels: torch.Tensor, *, epochs: int, batch: int,
                 generator: torch.Generator) -> Iterator[tuple[torch.Tensor, dict[str, float]]]:
    """Label-smoothed cross-entropy per step of shape classification, for lib.training.fit."""
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(labels), generator=generator)
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            x = augment_images(normalise_batch(images[idx], model), generator)
            yield F.cross_entropy(model(x), labels[idx], label_smoothing=0.1), {"epoch": epoch}


@torch.no_grad()
def inflate(image_vit: TubeViT, tubes: Sequence[TubeSpec], input_shape: Sequence[int], *,
            interpolated_kernels: bool = False) -> TubeViT:
    """A video TubeViT with `tubes` started from `image_vit`: blocks, final norm and pooling copied; every tube's
    kernel is the image patch kernel inflated to its shape (resized in space, repeated over time, divided by t),
    each tube's bias the patch bias; interpolated_kernels: the one 8x8x8 base kernel is the inflated patch
    kernel. The action head is new. pixel_mean / pixel_std stay the image model's (the same toy frames)."""
    image_config = image_vit.bundled_config
    arch = {k: image_config[k] for k in ("dim", "depth", "heads", "mlp_dim")}
    video = TubeViT([t.as_list() for t in tubes], list(input_shape), num_classes=len(ACTION_NAMES),
                    class_names=list(ACTION_NAMES), interpolated_kernels=interpolated_kernels,
                    pixel_mean=list(image_vit.pixel_mean), pixel_std=list(image_vit.pixel_std), **arch)
    patch = image_vit.tokenizer.kernel(0)[:, :, 0]  # (D, C, 8, 8)
    if interpolated_kernels:
        video.tokenizer.base_weight.copy_(inflate_patch_kernel(patch, video.tokenizer.base_weight.shape[2:]))
    else:
        for weight, tube in zip(video.tokenizer.weights, video.tube_specs):
            weight.copy_(inflate_patch_kernel(patch, tube.kernel))
    for bias in video.tokenizer.biases:
        bias.copy_(image_vit.tokenizer.biases[0])
    for name in ("blocks", "norm", "pool_score"):
        getattr(video, name).load_state_dict(getattr(image_vit, name).state_dict())
    return video
