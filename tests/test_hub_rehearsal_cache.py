"""lib.models.rehearsal: the committed hub configs, and the hub-cache layout it writes (tiny configs, fast)."""
from __future__ import annotations

import json

import pytest
import torch

from lib.models import get_spec, load_from, rehearsal
from lib.models.rehearsal import config_folder, hub_specs, repo_folder, snapshot_hash, write_one

TINY_ID = "nobody/tiny-videomae-rehearsal"
TINY_CONFIG = {"model_type": "videomae", "architectures": ["VideoMAEForVideoClassification"], "image_size": 32,
               "patch_size": 16, "num_frames": 4, "tubelet_size": 2, "hidden_size": 32, "num_hidden_layers": 2,
               "num_attention_heads": 4, "intermediate_size": 37, "num_labels": 5}


@pytest.mark.parametrize("spec", hub_specs(), ids=lambda s: s.name)
def test_every_hub_spec_has_a_config_with_its_source(spec):
    folder = config_folder(spec.location)
    config = json.loads((folder / "config.json").read_text())
    source = (folder / "SOURCE.md").read_text()
    assert spec.location in source and "random weights" in source
    import transformers

    assert hasattr(transformers, config["architectures"][0])
    if spec.family in ("clip", "siglip"):  # a full CLIP/SigLIP config: the vision class takes its vision_config
        assert config["model_type"] == spec.family and {"text_config", "vision_config"} <= set(config)
        assert config["vision_config"]["image_size"] == spec.image_size
    elif spec.family == "dinov2":  # image_size is the 518 px position grid, interpolated to the 224 px input
        assert config["image_size"] == 518 and spec.image_size == 224
    elif spec.family == "vjepa2":  # VJEPA2Config names them crop_size and frames_per_clip
        assert config["crop_size"] == spec.image_size and config["frames_per_clip"] == spec.num_frames
    elif spec.family != "mask2former":
        assert config["image_size"] == spec.image_size
    if spec.num_frames and spec.family != "vjepa2":
        assert config["num_frames"] == spec.num_frames


def test_every_hub_model_of_the_catalog_is_rehearsed():
    assert {s.name for s in hub_specs()} == {
        "videomae-base-k400", "timesformer-base-k400", "mask2former-swin-t-ade", "mask2former-swin-t-cityscapes",
        "clip-vit-b16", "clip-vit-l14", "vit-b16-in1k", "siglip2-base-p16-224", "dinov2-small", "vjepa2-vitl-ssv2",
        "sam2.1-hiera-tiny"}
    with pytest.raises(KeyError, match="not hub models"):
        hub_specs(["stpt-tiny-toy"])


@pytest.fixture
def tiny_assets(tmp_path, monkeypatch):
    configs = tmp_path / "configs"
    folder = configs / TINY_ID.replace("/", "--")
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(TINY_CONFIG))
    monkeypatch.setattr(rehearsal, "CONFIGS_DIR", configs)
    return folder


def test_write_one_lays_out_a_hub_cache_and_reuses_it(tmp_path, tiny_assets):
    cache = tmp_path / "cache"
    snapshot = write_one(cache, TINY_ID)
    repo = repo_folder(cache, TINY_ID)
    assert repo.name == "models--nobody--tiny-videomae-rehearsal"
    digest = (repo / "refs" / "main").read_text()
    assert len(digest) == 40 and int(digest, 16) >= 0 and snapshot == repo / "snapshots" / digest
    assert {p.name for p in snapshot.iterdir()} == {"config.json", "model.safetensors"}
    stamp = (snapshot / "model.safetensors").stat().st_mtime_ns
    (tiny_assets / "preprocessor_config.json").write_text('{"size": {"shortest_edge": 32}}')
    assert write_one(cache, TINY_ID) == snapshot  # same config: the weights are not rewritten
    assert (snapshot / "model.safetensors").stat().st_mtime_ns == stamp
    assert (snapshot / "preprocessor_config.json").read_text() == '{"size": {"shortest_edge": 32}}'
    (tiny_assets / "config.json").write_text(json.dumps({**TINY_CONFIG, "num_labels": 6}))
    changed = write_one(cache, TINY_ID)
    assert changed != snapshot and not snapshot.exists()  # a new config: a new snapshot, the old one gone
    assert (repo / "refs" / "main").read_text() == changed.name
    assert json.loads((changed / "config.json").read_text())["id2label"]["5"] == "LABEL_5"


def test_weights_are_seeded_and_differ_by_seed(tiny_assets):
    first, again = rehearsal.build_random_model(TINY_ID), rehearsal.build_random_model(TINY_ID)
    other = rehearsal.build_random_model(TINY_ID, seed=1)
    a, b, c = (m.state_dict() for m in (first, again, other))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["classifier.weight"], c["classifier.weight"])
    assert snapshot_hash(TINY_ID) != snapshot_hash(TINY_ID, seed=1)
    assert snapshot_hash(TINY_ID) != snapshot_hash(TINY_ID, dtype=torch.float16)
    assert rehearsal.build_random_model(TINY_ID, dtype=torch.float16).classifier.weight.dtype == torch.float16


def test_the_registry_loads_the_snapshot_unchanged(tmp_path, tiny_assets):
    """The app's loader on the written snapshot: same weights, eager attention, nothing re-initialised."""
    import dataclasses

    snapshot = write_one(tmp_path / "cache", TINY_ID)
    spec = dataclasses.replace(get_spec("videomae-base-k400"), name="tiny", location=TINY_ID, num_frames=4,
                               image_size=32)
    loaded = load_from(spec, snapshot, device="cpu")  # the folder path: HF_HUB_CACHE is read once, at import
    built = rehearsal.build_random_model(TINY_ID)
    pixels = torch.randn(1, 4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(value, built.state_dict()[key]) for key, value in loaded.state_dict().items())
    with torch.no_grad():  # eager (loaded) vs sdpa (built) attention: equal up to rounding
        assert torch.allclose(loaded(pixel_values=pixels).logits, built(pixel_values=pixels).logits, atol=1e-5)
    assert loaded.config._attn_implementation == "eager"
