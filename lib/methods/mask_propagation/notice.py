"""Mask propagation on real video: the toy segmentor's classes and masks mean nothing there; Mask2Former is one
click away (or paint the masks)."""
from __future__ import annotations

from pathlib import Path

from lib.methods.mask_propagation.task import BUNDLED_SEGMENTOR
from lib.models.advice import Advice, advise

PRETRAINED_MODEL = "mask2former-swin-t-ade"
_BUNDLED = {BUNDLED_SEGMENTOR: "the query segmentor"}


def real_video_advice(video: str | Path | None, model_name: str | None) -> Advice | None:
    """The one-line notice and the switch to Mask2Former (ADE20K) for a real clip under the toy segmentor."""
    return advise(video, model_name, bundled=_BUNDLED, holds="key frames, warping and costs hold",
                  untrue="its classes and masks", choice=PRETRAINED_MODEL,
                  choice_label="Mask2Former Swin-T, ADE20K")


def real_video_notice(video: str | Path | None, model_name: str | None) -> str | None:
    """The one line for a real clip under the toy segmentor, or None."""
    advice = real_video_advice(video, model_name)
    return advice.notice if advice else None
