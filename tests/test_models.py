"""Registry, loaders (bundled and hub paths, offline), device choice and preprocessing."""
import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from lib.models import (
    SPECS,
    BundledModel,
    ModelSpec,
    ModelUnavailableError,
    get_device,
    get_spec,
    list_models,
    load_from,
    load_model,
    preprocess_config,
    registry,
    save_bundled,
    video_to_tensor,
)
from lib.models.hub import unavailable_message
from lib.models.registry import import_class
from tests.tiny_models import tiny_mask2former, tiny_timesformer, tiny_videomae

torch.set_num_threads(2)


def hub_spec(model_class: str, task: str = "video-classification", **changes) -> ModelSpec:
    spec = ModelSpec(
        name="tiny",
        family="test",
        task=task,
        source="hub",
        location="nobody/not-a-real-model-7f3a",
        model_class=model_class,
        num_frames=4,
        image_size=32,
        description="tiny random model for tests",
        needs_attention=True,
    )
    return dataclasses.replace(spec, **changes)


# --- registry -------------------------------------------------------------------------------------


def test_specs_are_unique_and_importable_names():
    names = [s.name for s in SPECS]
    assert len(names) == len(set(names))
    for spec in SPECS:
        assert spec.source in ("bundled", "hub")
        assert ":" in spec.model_class
        model_class = import_class(spec.model_class)  # exists (in the pinned transformers, or in lib)
        if spec.source == "hub":
            assert spec.model_class.startswith("transformers:")
        else:  # bundled: our own class, weights committed in the repo
            assert issubclass(model_class, BundledModel)
            assert spec.location.startswith("assets/models/")
            assert (registry.REPO_ROOT / spec.location / "model.safetensors").is_file(), spec.name


def test_list_models_filters():
    video = list_models(task="video-classification")
    assert {"videomae-base-k400", "timesformer-base-k400"} <= {s.name for s in video}
    assert all(s.task == "video-classification" for s in video)
    assert [s.name for s in list_models(family="clip")] == ["clip-vit-b16", "clip-vit-l14"]
    assert list_models(task="no-such-task") == []


def test_unknown_model_is_refused_with_the_known_names():
    with pytest.raises(ModelUnavailableError) as info:
        get_spec("facebook/some-random-model")
    assert "videomae-base-k400" in str(info.value)
    with pytest.raises(ModelUnavailableError):
        load_model("bert-base-uncased")


def test_uncached_hub_model_fails_fast_with_a_sentence():
    spec = hub_spec("transformers:VideoMAEForVideoClassification")
    with pytest.raises(ModelUnavailableError) as info:
        load_from(spec, device="cpu")
    assert str(info.value) == unavailable_message("tiny")
    assert "needs to be downloaded once from the Hugging Face Hub" in str(info.value)


def test_missing_bundled_weights(tmp_path):
    spec = hub_spec(f"{__name__}:TinyBundled", source="bundled", location="assets/models/none")
    with pytest.raises(ModelUnavailableError, match="has no weights"):
        load_from(spec, tmp_path)


# --- device ---------------------------------------------------------------------------------------


def test_get_device_env_override(monkeypatch):
    monkeypatch.setenv("VIDEO_EXPLORER_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    monkeypatch.setenv("VIDEO_EXPLORER_DEVICE", "tpu")
    with pytest.raises(ValueError):
        get_device()
    assert get_device("cpu") == torch.device("cpu")  # an explicit choice wins over the variable
    monkeypatch.delenv("VIDEO_EXPLORER_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert get_device().type == expected
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA"):
            get_device("cuda")


# --- bundled models -------------------------------------------------------------------------------


class TinyBundled(BundledModel):
    def __init__(self, dim: int = 4, num_classes: int = 3, scale: float = 1.0):
        super().__init__()
        self.scale = scale
        self.body = nn.Sequential(nn.Linear(dim, 8), nn.GELU(), nn.Linear(8, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) * self.scale


def test_bundled_round_trip_through_load_from(tmp_path):
    torch.manual_seed(0)
    model = TinyBundled(dim=6, num_classes=5, scale=0.5).eval()
    save_bundled(model, tmp_path / "tiny")
    assert (tmp_path / "tiny" / "config.json").is_file()
    assert (tmp_path / "tiny" / "model.safetensors").is_file()
    spec = hub_spec(f"{__name__}:TinyBundled", source="bundled", location="assets/models/tiny")
    loaded = load_from(spec, tmp_path / "tiny", device="cpu")
    assert isinstance(loaded, TinyBundled) and not loaded.training
    assert loaded.scale == 0.5 and loaded.bundled_config == {"dim": 6, "num_classes": 5, "scale": 0.5}
    x = torch.randn(3, 6)
    with torch.no_grad():
        assert torch.equal(model(x), loaded(x))


class NeedsModule(BundledModel):
    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner


def test_save_bundled_refuses_models_it_could_not_rebuild(tmp_path):
    with pytest.raises(TypeError, match="JSON-able"):
        save_bundled(NeedsModule(nn.Linear(2, 2)), tmp_path)


# --- hub path with tiny random transformers models -----------------------------------------------


@pytest.mark.parametrize(
    ("build", "model_class", "task", "shape"),
    [
        (tiny_videomae, "transformers:VideoMAEForVideoClassification", "video-classification", (2, 4, 3, 32, 32)),
        (tiny_timesformer, "transformers:TimesformerForVideoClassification", "video-classification", (2, 4, 3, 32, 32)),
        (tiny_mask2former, "transformers:Mask2FormerForUniversalSegmentation", "semantic-segmentation", (1, 3, 64, 64)),
    ],
)
def test_hub_loader_reloads_saved_tiny_models(tmp_path, build, model_class, task, shape):
    original = build()
    original.save_pretrained(tmp_path)
    # Mask2Former's spec (like the registry's) keeps the default attention: forcing eager would change
    # the Swin backbone's kernel and the last bits of its logits.
    spec = hub_spec(model_class, task=task, needs_attention=task != "semantic-segmentation")
    loaded = load_from(spec, tmp_path, device="cpu")
    assert type(loaded) is type(original) and not loaded.training
    pixels = torch.randn(*shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, got = original(pixel_values=pixels), loaded(pixel_values=pixels)
    key = "logits" if "logits" in expected else "masks_queries_logits"
    assert torch.equal(expected[key], got[key])
    if task == "video-classification":
        assert loaded.config._attn_implementation == "eager"


# --- preprocessing --------------------------------------------------------------------------------


def test_video_to_tensor_resizes_crops_and_normalises():
    frames = np.zeros((3, 40, 80, 3), dtype=np.uint8)
    frames[:, :, 30:50] = 255  # a white vertical band in the middle, which the centre crop keeps
    out = video_to_tensor(frames, size=20, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
    assert out.shape == (3, 3, 20, 20) and out.dtype == torch.float32
    # short side 40 -> 20, width 80 -> 40, crop columns 10..30 of the scaled frame = 20..60 original
    assert torch.allclose(out[:, :, :, 10], torch.ones(3, 3, 20), atol=1e-5)
    assert torch.allclose(out[:, :, :, 0], -torch.ones(3, 3, 20), atol=1e-5)
    stretched = video_to_tensor(frames, size=(10, 30), crop=False)
    assert stretched.shape == (3, 3, 10, 30)
    with pytest.raises(ValueError):
        video_to_tensor(frames[..., 0], size=20)


def test_preprocess_config_reads_a_saved_processor_and_falls_back(tmp_path):
    (tmp_path / "preprocessor_config.json").write_text(
        '{"do_center_crop": true, "crop_size": {"height": 96, "width": 96}, "size": {"shortest_edge": 112},'
        ' "image_mean": [0.1, 0.2, 0.3], "image_std": [0.4, 0.5, 0.6]}'
    )
    found = preprocess_config(tmp_path)
    assert found.size == (96, 96) and found.mean == (0.1, 0.2, 0.3) and found.std == (0.4, 0.5, 0.6)
    fallback = preprocess_config("nobody/not-a-real-model-7f3a", family="timesformer", image_size=224)
    # TimeSformer K400's official processor ships mean/std 0.5 (shared/CHECKPOINTS.md), not Kinetics' 0.45/0.225
    assert fallback.size == 224 and fallback.mean == (0.5, 0.5, 0.5)


def test_load_model_caches_per_name_and_device(tmp_path, monkeypatch):
    save_bundled(TinyBundled(), tmp_path / "tiny")
    spec = hub_spec(f"{__name__}:TinyBundled", name="tiny-bundled", source="bundled", location=str(tmp_path / "tiny"))
    monkeypatch.setattr(registry, "SPECS", registry.SPECS + (spec,))
    registry.clear_model_cache()
    first = load_model("tiny-bundled", device="cpu")
    assert load_model("tiny-bundled", device="cpu") is first
    registry.clear_model_cache()
    assert load_model("tiny-bundled", device="cpu") is not first
    registry.clear_model_cache()


def test_hub_loader_tries_the_cache_then_probes_before_downloading(monkeypatch):
    from huggingface_hub import constants

    from lib.models.hub import load_pretrained

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    calls = []

    def loader(repo_id, **kwargs):
        calls.append(kwargs.get("local_files_only", False))
        raise OSError("not here")

    with pytest.raises(ModelUnavailableError, match="needs to be downloaded once"):
        load_pretrained(loader, "some/model", reachable=lambda: False)
    assert calls == [True]  # no download attempt when the Hub does not answer
    calls.clear()
    with pytest.raises(ModelUnavailableError, match="could not be downloaded"):
        load_pretrained(loader, "some/model", reachable=lambda: True)
    assert calls == [True, False]


def test_checkpoint_with_missing_weights_is_refused(tmp_path):
    tiny_videomae().videomae.save_pretrained(tmp_path)  # backbone only: no classifier weights
    with pytest.raises(ModelUnavailableError, match="classifier"):
        load_from(hub_spec("transformers:VideoMAEForVideoClassification"), tmp_path, device="cpu")


def test_model_spec_checks_its_fields():
    with pytest.raises(ValueError):
        hub_spec("transformers:ViTModel", source="ftp")
    with pytest.raises(ValueError):
        hub_spec("ViTModel")


def test_spec_preprocess_config_uses_the_checkpoints_processor_values():
    from lib.models import spec_preprocess_config

    config = spec_preprocess_config(get_spec("timesformer-base-k400"))  # assets/hub_configs copy of the processor
    assert config.input_size == (224, 224) and config.mean == (0.5,) * 3 and config.std == (0.5,) * 3
    clip_config = spec_preprocess_config(get_spec("clip-vit-b16"))
    assert clip_config.mean[0] == pytest.approx(0.4815, abs=1e-4)


def test_clip_vision_tower_loads_from_a_full_clip_checkpoint(tmp_path):
    """The registry's CLIP specs load only the image tower of openai's full CLIP checkpoints."""
    from transformers import CLIPConfig, CLIPModel

    config = CLIPConfig(
        text_config={"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "vocab_size": 50, "max_position_embeddings": 8},
        vision_config={"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
                       "image_size": 32, "patch_size": 16},
        projection_dim=8,
    )
    torch.manual_seed(0)
    full = CLIPModel(config).eval()
    full.save_pretrained(tmp_path)
    spec = dataclasses.replace(get_spec("clip-vit-b16"), location=str(tmp_path))
    # Without projection_dim in vision_config the tower's projection has the default width: the
    # loader must refuse rather than run with a re-initialised projection.
    with pytest.raises(ModelUnavailableError, match="could not be built from its checkpoint"):
        load_from(spec, device="cpu")
    # openai's config.json lists projection_dim inside vision_config too, as here.
    full.config.vision_config.projection_dim = 8
    full.save_pretrained(tmp_path)
    tower = load_from(spec, device="cpu")
    pixels = torch.randn(3, 3, 32, 32)  # three frames
    with torch.no_grad():
        embeds = tower(pixel_values=pixels).image_embeds  # (frames, projection_dim)
        reference = full.get_image_features(pixel_values=pixels)
    reference = getattr(reference, "pooler_output", reference)
    torch.testing.assert_close(embeds, reference)
    # no tab records CLIP's attention maps (Token merging reads tokens and keys): it loads with fused attention
    assert tower.config._attn_implementation != "eager"
