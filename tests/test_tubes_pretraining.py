"""Image pretraining for the Tubes models: shape images, the image ViT, inflation into tubes, joint losses."""
from __future__ import annotations

import torch

from lib.methods.tubes.geometry import PAPER_TUBES, dense_tubelets, scale_tubes
from lib.methods.tubes.kernels import inflate_patch_kernel
from lib.methods.tubes.model import normalise_batch
from lib.methods.tubes.pretraining import SHAPE_NAMES, image_model, inflate, shape_images
from lib.methods.tubes.training import joint_losses

ARCH = dict(dim=16, depth=1, heads=2, mlp_dim=32)
TUBES = scale_tubes(PAPER_TUBES, spatial=0.5)


def test_shape_images_are_seeded_frames_labelled_with_the_actors_shape():
    images, labels = shape_images(12, size=48)
    again, again_labels = shape_images(12, size=48)
    assert images.shape == (12, 3, 48, 48) and images.dtype == torch.uint8
    assert torch.equal(images, again) and torch.equal(labels, again_labels)
    assert 0 <= int(labels.min()) and int(labels.max()) < len(SHAPE_NAMES) and len(set(labels.tolist())) > 2
    other, _ = shape_images(12, size=48, seed_base=5)
    assert not torch.equal(images, other)


def test_inflated_tubes_start_from_the_image_vit():
    images, _ = shape_images(8, size=48)
    torch.manual_seed(0)
    image_vit = image_model(images, **ARCH)
    video = inflate(image_vit, TUBES, (32, 48, 48))
    patch = image_vit.tokenizer.kernel(0)[:, :, 0]
    for i, tube in enumerate(video.tube_specs):
        assert torch.allclose(video.tokenizer.kernel(i), inflate_patch_kernel(patch, tube.kernel))
    assert all(torch.equal(a, b) for a, b in zip(video.blocks.state_dict().values(),
                                                 image_vit.blocks.state_dict().values()))
    assert video.pixel_mean == image_vit.pixel_mean and video.head.out_features == 10
    # an image through the video model's 2-D tube gives the image ViT's features (same patch kernel, same blocks)
    x = normalise_batch(images[:2], image_vit)
    assert torch.allclose(video.forward_features(x).pooled, image_vit.forward_features(x).pooled, atol=1e-5)
    dense = inflate(image_vit, dense_tubelets((8, 4, 4)), (32, 48, 48), interpolated_kernels=False)
    assert dense.layout((32, 48, 48)).num_tokens == 576
    interpolated = inflate(image_vit, TUBES, (32, 48, 48), interpolated_kernels=True)
    assert torch.allclose(interpolated.tokenizer.base_weight, inflate_patch_kernel(patch, (8, 8, 8)))


def test_joint_losses_train_the_image_head_through_the_2d_tube():
    images, shapes = shape_images(8, size=48)
    torch.manual_seed(0)
    video = inflate(image_model(images, **ARCH), TUBES, (32, 48, 48))
    clips = torch.randint(0, 256, (4, 3, 32, 48, 48), dtype=torch.uint8)
    head = torch.nn.Linear(video.dim, len(SHAPE_NAMES))
    loss, info = next(joint_losses(video, head, clips, torch.tensor([0, 1, 2, 3]), images, shapes, epochs=1,
                                   batch=4, image_batch=4, generator=torch.Generator().manual_seed(0)))
    loss.backward()
    assert torch.isfinite(loss) and info["image_loss"] > 0
    assert head.weight.grad is not None and float(head.weight.grad.abs().sum()) > 0
    assert float(video.tokenizer.weights[3].grad.abs().sum()) > 0  # the 2-D tube learns from both


def test_the_tab_table_reads_the_committed_ablation(tmp_path):
    import json

    from lib.methods.tubes.ablation import ABLATION_JSON, ablation_markdown

    data = json.loads(ABLATION_JSON.read_text())
    text = ablation_markdown()
    assert len(data["variants"]) == 6 and all(f"{100 * r['top1']:.1f} %" in text for r in data["variants"])
    assert f"{data['gap_points']:.1f} points" in text and "not reproduced" in text
    data["variants"][3]["top1"], data["target_met"] = 0.9, True  # the sentence follows the figures
    path = tmp_path / "ablation.json"
    path.write_text(json.dumps(data))
    assert "+40.5 points" in ablation_markdown(path) and "is reproduced" in ablation_markdown(path)
