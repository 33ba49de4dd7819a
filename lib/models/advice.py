"""Honest on real video: what a bundled toy model can tell about a clip, and which pretrained model to offer.

    is_toy_clip(path)                    # True for the bundled toy-world examples (by content), else False
    alt = pretrained_alternative("tubevit-tiny-toy")  # -> Alternative(spec, download_mb, cached) or None
    alt.size_note()                      # "in the local cache" / "downloads ~346 MB once"
    prefers_pretrained()                 # on a Space (SPACE_ID) with the Hub allowed: real uploads default to hub
    toy_notice("TubeViT-tiny", "its predicted motion")  # the one line a tab shows under a toy model on real video
    advise(video, model_name, bundled={...}, choice=..., choice_label=..., untrue=...)  # -> Advice or None

ToyModelCaveat(bundled=..., untrue=..., choice=...) holds one tab's words: its .advice / .notice are the faces'
`real_video_advice` / `real_video_notice` (lib/methods/<tab>/notice.py).
Nothing here touches the network: "cached" reads the local Hugging Face cache only.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lib.examples import identify_example
from lib.models.hub import cached_file, hub_offline
from lib.models.registry import get_spec
from lib.models.spec import ModelSpec

# The pretrained checkpoint that stands in for each bundled toy model on real video.
PRETRAINED_FOR: dict[str, str] = {
    "tubevit-tiny-toy": "vit-b16-in1k",
    "vivit-dense-tiny-toy": "vit-b16-in1k",
    "stpt-tiny-toy": "videomae-base-k400",
    "stpt-global-tiny-toy": "videomae-base-k400",
    "frame-vit-toy": "clip-vit-b16",
    "query-segmentor-tiny-toy": "mask2former-swin-t-ade",
}
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json")
HOLDS = "geometry, costs and mechanics hold"


@dataclass(frozen=True)
class Alternative:
    """A hub checkpoint offered instead of a toy model: its spec, its approximate download, whether it is cached."""

    spec: ModelSpec
    download_mb: float | None
    cached: bool

    def size_note(self) -> str:
        if self.cached:
            return "in the local cache"
        if self.download_mb is None:
            return "downloads once"
        size = f"{self.download_mb / 1000:.2f} GB" if self.download_mb >= 1000 else f"{self.download_mb:.0f} MB"
        return f"downloads ~{size} once"


def is_cached(spec: ModelSpec) -> bool:
    """Whether the spec's config and weights are in a local folder or the local Hub cache (no network)."""
    if spec.source == "bundled":
        return True
    if cached_file(spec.location, "config.json") is None:
        return False
    return any(cached_file(spec.location, name) is not None for name in WEIGHT_FILES)


def pretrained_alternative(bundled_name: str) -> Alternative | None:
    """The hub checkpoint to offer instead of `bundled_name` (None when there is none, e.g. the ViS4mer decoders)."""
    hub = PRETRAINED_FOR.get(bundled_name)
    if hub is None:
        return None
    spec = get_spec(hub)
    return Alternative(spec=spec, download_mb=spec.download_mb, cached=is_cached(spec))


def is_toy_clip(video: str | Path | None) -> bool:
    """True when `video` is one of the bundled toy-world examples (identified by content, names start "toy")."""
    if not video:
        return False
    example = identify_example(video)
    return example is not None and example.name.startswith("toy")


def is_real_clip(video: str | Path | None) -> bool:
    """A chosen clip that is not a toy-world example: an upload, or the real-photo example."""
    return bool(video) and Path(video).is_file() and not is_toy_clip(video)


def prefers_pretrained(environ: dict[str, str] | None = None) -> bool:
    """On a Hugging Face Space (SPACE_ID set) with the Hub allowed (HF_HUB_OFFLINE unset), real clips default to
    the pretrained model."""
    env = os.environ if environ is None else environ
    if not env.get("SPACE_ID"):
        return False
    if environ is None:
        return not hub_offline()
    return not any(env.get(var, "").strip().lower() in {"1", "on", "yes", "true"}
                   for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def toy_notice(model_label: str, untrue: str, holds: str = HOLDS) -> str:
    """The one line: what the bundled toy model can and cannot tell about a real clip."""
    return (f"**Real video, toy model:** {model_label} was trained only on the toy world; here its {holds}, "
            f"but not {untrue}.")


@dataclass(frozen=True)
class Advice:
    """What a tab shows for a real clip under a bundled toy model.

    notice: the one line (Markdown); choice: the model dropdown's value that switches to the pretrained model
    (None: no alternative); button: that switch's label, with the download size when not cached; switch: switch
    at once (a real clip on a Space with the Hub allowed)."""

    notice: str
    choice: str | None = None
    button: str | None = None
    switch: bool = False


def advise(video: str | Path | None, model_name: str | None, *, bundled: dict[str, str], untrue: str,
           holds: str = HOLDS, choice: str | None = None, choice_label: str = "") -> Advice | None:
    """Advice for `model_name` on `video`, or None (a toy clip, no clip, or a model not in `bundled`).

    bundled: toy model name -> its label in the line; choice / choice_label: the dropdown value of the tab's
    pretrained model and its name on the button (the size comes from the bundled model's pretrained_alternative).
    """
    if model_name not in bundled or not is_real_clip(video):
        return None
    notice = toy_notice(bundled[model_name], untrue, holds)
    alt = pretrained_alternative(model_name)
    if choice is None or alt is None:
        return Advice(notice=notice)
    return Advice(notice=notice, choice=choice, button=f"Use {choice_label} ({alt.size_note()})",
                  switch=prefers_pretrained())


@dataclass(frozen=True)
class ToyModelCaveat:
    """One tab's words about its toy models on a real clip, and the pretrained model it offers (see `advise`).

    Each method's notice.py defines one and exposes `real_video_advice = CAVEAT.advice` and
    `real_video_notice = CAVEAT.notice`.
    """

    bundled: dict[str, str]
    untrue: str
    holds: str = HOLDS
    choice: str | None = None
    choice_label: str = ""

    def advice(self, video: str | Path | None, model_name: str | None) -> Advice | None:
        """The one-line notice and the switch for a real clip under one of `bundled`, else None."""
        return advise(video, model_name, bundled=self.bundled, untrue=self.untrue, holds=self.holds,
                      choice=self.choice, choice_label=self.choice_label)

    def notice(self, video: str | Path | None, model_name: str | None) -> str | None:
        """Only the one line of `advice`, or None."""
        advice = self.advice(video, model_name)
        return advice.notice if advice else None
