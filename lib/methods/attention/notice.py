"""Attention on real video: STPT-tiny's detections mean nothing there; VideoMAE-B is one click away."""
from __future__ import annotations

from pathlib import Path

from lib.models.advice import Advice, advise

PRETRAINED_MODEL = "videomae-base-k400"
_BUNDLED = {"stpt-tiny-toy": "STPT-tiny", "stpt-global-tiny-toy": "STPT's global twin"}


def real_video_advice(video: str | Path | None, model_name: str | None) -> Advice | None:
    """The one-line notice and the switch to VideoMAE-B (Kinetics) for a real clip under STPT; else None."""
    return advise(video, model_name, bundled=_BUNDLED, holds="windows, costs and attention mechanics hold",
                  untrue="its detected actions or where it attends", choice=PRETRAINED_MODEL,
                  choice_label="VideoMAE-B, Kinetics-400")


def real_video_notice(video: str | Path | None, model_name: str | None) -> str | None:
    """The one line for a real clip under a bundled STPT, or None."""
    advice = real_video_advice(video, model_name)
    return advice.notice if advice else None
