"""Honest on real video (issue 17, item 6): a real clip under a bundled toy model gets one line saying what the toy
model can and cannot tell, and a one-click switch to the tab's pretrained model (with its download size when it is
not cached); toy examples get nothing; on a Space with the Hub allowed a real clip switches at once."""
from __future__ import annotations

import shutil

import pytest

from lib.examples import identify_example, list_examples
from lib.models import SPECS, get_spec
from lib.models.advice import PRETRAINED_FOR, is_cached, is_real_clip, prefers_pretrained, pretrained_alternative
from lib.toyworld import photo_pan_clip
from lib.video import write_mp4

TABS = ("tubes", "attention", "token_merging", "mask_propagation")
TOY = {"tubes": "tubevit-tiny-toy", "attention": "stpt-tiny-toy", "token_merging": "frame-vit-toy",
       "mask_propagation": "query-segmentor-tiny-toy"}
HUB = {"tubes": "tubevit-b-from-vit-in1k", "attention": "videomae-base-k400", "token_merging": "clip-vit-b16",
       "mask_propagation": "mask2former-swin-t-ade"}


def _face(tab):
    import importlib

    return importlib.import_module(f"lib.methods.{tab}")


class _Demo:
    """The shared advice handlers (demos/common.py) bound to one tab's advice, as its build_tab binds them."""

    def __init__(self, tab):
        from demos import common

        face = _face(tab)
        self.view, self.common = common.AdviceView(face.real_video_advice, face.PRETRAINED_MODEL), common

    def show_advice(self, video, model):
        return self.common.show_advice(video, model, view=self.view)

    def advise_on_clip(self, video, model):
        return self.common.advise_on_clip(video, model, view=self.view)

    def use_pretrained(self):
        return self.common.use_pretrained(view=self.view)


def _demo(tab):
    return _Demo(tab)


@pytest.fixture(scope="module")
def real_clip(tmp_path_factory):
    """A real-looking upload: a camera panning over a photograph, 320x180, 2 s (not an example by content)."""
    path = tmp_path_factory.mktemp("real") / "street.mp4"
    write_mp4(photo_pan_clip(num_frames=50, height=180, width=320, seed=3).frames, path, fps=25)
    assert identify_example(path) is None
    return str(path)


@pytest.fixture(scope="module")
def toy_copy(tmp_path_factory):
    """A toy example copied under an upload-like name: still a toy clip, by content."""
    example = next(ex for ex in list_examples() if ex.name.startswith("toy"))
    path = tmp_path_factory.mktemp("toy") / "my_upload.mp4"
    shutil.copyfile(example.path, path)
    return str(path)


@pytest.fixture
def no_space(monkeypatch):
    monkeypatch.delenv("SPACE_ID", raising=False)


def test_every_hub_model_has_a_download_size():
    hub = {s.name for s in SPECS if s.source == "hub"}
    sizes = {s.name: s.download_mb for s in SPECS if s.download_mb is not None}
    assert hub == set(sizes), hub ^ set(sizes)
    assert all(50 < mb < 3000 for mb in sizes.values())
    assert set(PRETRAINED_FOR.values()) <= hub and all(get_spec(n).source == "bundled" for n in PRETRAINED_FOR)


@pytest.mark.parametrize("tab", TABS)
def test_real_clip_gets_one_line_and_the_switch(tab, real_clip, no_space):
    face = _face(tab)
    advice = face.real_video_advice(real_clip, TOY[tab])
    assert advice is not None and advice.choice == HUB[tab] == face.PRETRAINED_MODEL
    assert "\n" not in advice.notice and "hold" in advice.notice and "but not" in advice.notice
    assert face.real_video_notice(real_clip, TOY[tab]) == advice.notice
    assert "downloads ~" in advice.button and not advice.switch  # nothing is cached in the test home
    notice, button = _demo(tab).show_advice(real_clip, TOY[tab])
    assert notice["visible"] and notice["value"] == advice.notice
    assert button["visible"] and button["value"] == advice.button
    assert _demo(tab).use_pretrained() == HUB[tab]  # the button's click handler: the dropdown's new value


@pytest.mark.parametrize("tab", TABS)
def test_toy_clips_and_pretrained_models_get_nothing(tab, real_clip, toy_copy, no_space):
    face = _face(tab)
    for example in list_examples():
        if example.name.startswith("toy"):
            assert face.real_video_notice(example.path, TOY[tab]) is None, example.name
    assert face.real_video_notice(toy_copy, TOY[tab]) is None  # identified by content, not by name
    assert face.real_video_notice(None, TOY[tab]) is None
    assert face.real_video_notice(real_clip, HUB[tab]) is None  # the pretrained model needs no warning
    notice, button, model = _demo(tab).advise_on_clip(toy_copy, TOY[tab])
    assert notice["visible"] is False and button["visible"] is False and "value" not in model


def test_the_real_photo_example_is_real_video(no_space):
    photo = next(ex for ex in list_examples() if not ex.name.startswith("toy"))
    assert is_real_clip(photo.path)
    assert _face("tubes").real_video_notice(photo.path, "tubevit-tiny-toy") is not None


def test_long_range_notice_only_when_the_chosen_clip_is_read(real_clip, toy_copy):
    from demos.long_range import SOURCES, show_notice
    from lib.methods.long_range import real_video_notice

    line = real_video_notice(real_clip)
    assert line and "bounce count" in line and "\n" not in line
    assert real_video_notice(toy_copy) is None
    assert show_notice(real_clip, SOURCES[1]) == {"__type__": "update", "value": line, "visible": True}
    assert show_notice(real_clip, SOURCES[0])["visible"] is False
    assert show_notice(toy_copy, SOURCES[1])["visible"] is False


def test_space_with_network_defaults_to_the_pretrained_model(real_clip, toy_copy, monkeypatch):
    assert prefers_pretrained({"SPACE_ID": "user/space"})
    assert not prefers_pretrained({"SPACE_ID": "user/space", "HF_HUB_OFFLINE": "1"})
    assert not prefers_pretrained({})
    from huggingface_hub import constants

    monkeypatch.setenv("SPACE_ID", "user/space")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    assert prefers_pretrained()
    for tab in TABS:
        notice, button, model = _demo(tab).advise_on_clip(real_clip, TOY[tab])
        assert model["value"] == HUB[tab] and notice["visible"] is False, tab
        assert "value" not in _demo(tab).advise_on_clip(toy_copy, TOY[tab])[2]  # toy examples keep the toy model
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # offline Space: stays on the bundled model, offers the switch
    notice, button, model = _demo("tubes").advise_on_clip(real_clip, TOY["tubes"])
    assert "value" not in model and notice["visible"] and button["visible"]


def test_cached_checkpoint_shows_no_download_size(tmp_path, monkeypatch, real_clip, no_space):
    from huggingface_hub import constants

    spec = get_spec("vit-b16-in1k")
    assert not is_cached(spec) and pretrained_alternative("tubevit-tiny-toy").download_mb == 346
    repo = tmp_path / ("models--" + spec.location.replace("/", "--"))
    snapshot = repo / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    (snapshot / "config.json").write_text("{}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    assert not is_cached(spec)  # a config without weights is not a usable copy
    (snapshot / "model.safetensors").write_bytes(b"0")
    assert is_cached(spec)
    advice = _face("tubes").real_video_advice(real_clip, "tubevit-tiny-toy")
    assert advice.button == "Use TubeViT-B from ViT-B/16 (in the local cache)"
    assert _face("attention").real_video_advice(real_clip, "stpt-tiny-toy").button.endswith("(downloads ~346 MB once)")


def test_compare_says_when_its_toy_models_meet_a_real_clip(real_clip, toy_copy):
    from lib.methods.compare import Setting, real_video_notice

    toys = (Setting("tubevit-tiny-toy", 0), Setting("vivit-dense-tiny-toy", 0))
    line = real_video_notice(real_clip, "tubes", *toys)
    assert line.startswith("**Real video, toy models:**") and "but not their motion classes" in line
    assert real_video_notice(toy_copy, "tubes", *toys) is None and real_video_notice(None, "tubes", *toys) is None
    pretrained = (Setting("clip-vit-b16", 8), Setting("dinov2-small", 8))  # no toy model on either side
    assert real_video_notice(real_clip, "merge-encoders", *pretrained) is None
    assert "toy frame encoder was" in real_video_notice(real_clip, "merge-encoders", Setting("frame-vit-toy", 8),
                                                         pretrained[1])
