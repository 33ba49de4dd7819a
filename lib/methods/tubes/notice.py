"""Tubes on real video: the toy models' motion classes mean nothing there; TubeViT-B is one click away."""
from __future__ import annotations

from pathlib import Path

from lib.methods.tubes.task import INFLATED_MODEL
from lib.models.advice import Advice, advise

PRETRAINED_MODEL = INFLATED_MODEL
_BUNDLED = {"tubevit-tiny-toy": "TubeViT-tiny", "vivit-dense-tiny-toy": "its dense twin"}


def real_video_advice(video: str | Path | None, model_name: str | None) -> Advice | None:
    """The one-line notice and the switch to TubeViT-B for a real clip under a bundled model; else None."""
    return advise(video, model_name, bundled=_BUNDLED, holds="tube geometry, token counts and costs hold",
                  untrue="its motion class and pooling weights", choice=PRETRAINED_MODEL,
                  choice_label="TubeViT-B from ViT-B/16")


def real_video_notice(video: str | Path | None, model_name: str | None) -> str | None:
    """The one line for a real clip under a bundled tube model, or None."""
    advice = real_video_advice(video, model_name)
    return advice.notice if advice else None
