"""TubeViT model: tokeniser parity with conv3d, image path, pooling weights, recording, save/load, ViT inflation."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lib.hooks import record_attention
from lib.methods.tubes.geometry import PAPER_TUBES, dense_tubelets, scale_tubes
from lib.methods.tubes.model import TubeViT, video_input
from lib.models.bundled import save_bundled

SHAPE = (32, 48, 48)
HALF = scale_tubes(PAPER_TUBES, spatial=0.5)


def tiny(tubes=HALF, **kwargs) -> TubeViT:
    torch.manual_seed(0)
    return TubeViT([t.as_list() for t in tubes], list(SHAPE), dim=24, depth=2, heads=2, mlp_dim=48,
                   num_classes=5, **kwargs).eval()


@pytest.mark.parametrize("interpolated", [False, True])
def test_tokeniser_equals_strided_conv3d_at_each_offset(interpolated):
    model = tiny(interpolated_kernels=interpolated)
    video = torch.randn(2, 3, *SHAPE)
    tokens = model.tokenizer(video)
    expected = []
    for i, tube in enumerate(model.tube_specs):
        o = tube.offset
        out = F.conv3d(video[:, :, o[0]:, o[1]:, o[2]:], model.tokenizer.kernel(i), model.tokenizer.biases[i],
                       stride=tube.stride)
        expected.append(out.flatten(2).transpose(1, 2))
        assert model.tokenizer.kernel(i).shape[2:] == tube.kernel
    assert tokens.shape == (2, 99, 24)
    assert torch.allclose(tokens, torch.cat(expected, 1), atol=1e-5)


def test_interpolated_kernels_share_one_weight():
    separate, shared = tiny(), tiny(interpolated_kernels=True)
    count = lambda m: sum(p.numel() for p in m.tokenizer.parameters())  # noqa: E731
    assert count(shared) == 24 * 3 * 8 * 8 * 8 + 4 * 24
    assert count(shared) != count(separate)


def test_forward_video_and_image_with_pooling_weights():
    model = tiny()
    out = model.forward_features(torch.randn(2, 3, *SHAPE))
    assert out.logits.shape == (2, 5) and out.layout.num_tokens == 99
    assert out.pool_weights.shape == (2, 99)
    assert torch.allclose(out.pool_weights.sum(-1), torch.ones(2))
    image = model.forward_features(torch.randn(2, 3, 48, 48))  # only the 1x8x8 tube: 6x6 tokens
    assert image.layout.num_tokens == 36 and image.pool_weights.shape == (2, 36)
    assert all(t.kernel[0] == 1 for t in image.layout.tubes)


def test_attention_is_recorded_through_probes():
    model = tiny()
    with record_attention(model) as rec:
        model(torch.randn(1, 3, *SHAPE))
    assert len(rec.maps) == 2
    assert rec.maps[0].shape == (1, 2, 99, 99)
    assert torch.allclose(rec.maps[1].float().sum(-1), torch.ones(1, 2, 99), atol=1e-2)


def test_fast_and_eager_attention_agree():
    model = tiny()
    video = torch.randn(1, 3, *SHAPE)
    eager = model(video)
    model.set_fast_attention(True)
    assert torch.allclose(model(video), eager, atol=1e-5)


def test_save_and_load_round_trip(tmp_path):
    model = tiny(tubes=dense_tubelets((2, 8, 8)), class_names=list("abcde"))
    save_bundled(model, tmp_path / "m")
    loaded = TubeViT.from_pretrained(tmp_path / "m", strict=True).eval()
    video = torch.randn(1, 3, *SHAPE)
    assert torch.equal(model(video), loaded(video))
    assert loaded.class_names == list("abcde") and loaded.tube_specs == model.tube_specs
    assert not any("position" in k for k in model.state_dict())  # the sin-cos code is fixed, not stored


def test_video_input_resizes_and_samples_frames():
    import numpy as np

    frames = np.random.default_rng(0).integers(0, 256, (64, 90, 120, 3), dtype=np.uint8)
    x = video_input(frames, SHAPE)
    assert x.shape == (1, 3, *SHAPE) and x.min() >= -1 and x.max() <= 1


def test_inflation_from_a_tiny_vit_saved_and_loaded(tmp_path):
    transformers = pytest.importorskip("transformers")
    from lib.methods.tubes.hub import TubeViTFromViT, tubevit_from_vit

    config = transformers.ViTConfig(image_size=32, patch_size=16, hidden_size=24, num_hidden_layers=2,
                                    num_attention_heads=2, intermediate_size=48)
    torch.manual_seed(0)
    transformers.ViTModel(config, add_pooling_layer=False).save_pretrained(tmp_path / "vit")
    vit = transformers.ViTModel.from_pretrained(tmp_path / "vit", add_pooling_layer=False).eval()
    model, info = TubeViTFromViT.from_pretrained(tmp_path / "vit", output_loading_info=True)
    assert not info["missing_keys"]
    assert [t.kernel for t in model.tube_specs] == [t.kernel for t in PAPER_TUBES]
    patch = vit.embeddings.patch_embeddings.projection
    # the 1x16x16 tube is the pretrained patch kernel itself; the 8x8x8 one its I3D inflation
    assert torch.allclose(model.tokenizer.kernel(3)[:, :, 0], patch.weight)
    assert torch.allclose(model.tokenizer.kernel(0).sum(2), F.interpolate(patch.weight, size=(8, 8), mode="bilinear"),
                          atol=1e-5)
    image = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        ours = model.tokenizer(image.unsqueeze(2), [3])  # (1, 4, 24)
        theirs = patch(image).flatten(2).transpose(1, 2)
        assert torch.allclose(ours, theirs, atol=1e-5)
        # the copied encoder computes what the ViT encoder computes on the same embedded sequence
        hidden = vit.embeddings(image)  # (1, 1 + 4, 24) with CLS and learned positions
        x = hidden
        for block in model.blocks:
            x = block(x)
        assert torch.allclose(model.norm(x), vit(image).last_hidden_state, atol=1e-4)
    shared = tubevit_from_vit(vit, interpolated_kernels=True)
    assert shared.tokenizer.kernel(1).shape[2:] == (16, 4, 4)


def test_training_normalisation_matches_video_input():
    import numpy as np

    from lib.methods.tubes.model import normalise_batch

    model = tiny(pixel_mean=[0.2, 0.3, 0.4], pixel_std=[0.1, 0.2, 0.3])
    frames = np.random.default_rng(1).integers(0, 256, SHAPE + (3,), dtype=np.uint8)  # already the model's size
    batch = torch.from_numpy(frames).permute(3, 0, 1, 2).unsqueeze(0)  # (1, 3, T, H, W) uint8
    assert torch.allclose(video_input(frames, model), normalise_batch(batch, model), atol=1e-5)


def test_inflation_accepts_the_image_classifier_the_registry_loads():
    transformers = pytest.importorskip("transformers")
    from lib.methods.tubes.hub import tubevit_from_vit

    config = transformers.ViTConfig(image_size=32, patch_size=16, hidden_size=24, num_hidden_layers=1,
                                    num_attention_heads=2, intermediate_size=48, num_labels=3)
    classifier = transformers.ViTForImageClassification(config).eval()
    model = tubevit_from_vit(classifier, input_shape=(32, 64, 64))
    assert torch.allclose(model.blocks[0].fc1.weight, classifier.vit.layers[0].mlp.fc1.weight)
    assert model(torch.randn(1, 3, 32, 64, 64)).shape == (1, 400)
