"""Token merging on real video: the toy encoder's token similarities mean nothing there; CLIP is one click away."""
from __future__ import annotations

from pathlib import Path

from lib.models.advice import Advice, advise

PRETRAINED_MODEL = "clip-vit-b16"
_BUNDLED = {"frame-vit-toy": "the toy FrameViT"}


def real_video_advice(video: str | Path | None, model_name: str | None) -> Advice | None:
    """The one-line notice and the switch to CLIP ViT-B/16 for a real clip under the toy encoder; else None."""
    return advise(video, model_name, bundled=_BUNDLED, holds="segments, token budgets and costs hold",
                  untrue="which tokens it finds alike (so what merges)", choice=PRETRAINED_MODEL,
                  choice_label="CLIP ViT-B/16")


def real_video_notice(video: str | Path | None, model_name: str | None) -> str | None:
    """The one line for a real clip under the toy frame encoder, or None."""
    advice = real_video_advice(video, model_name)
    return advice.notice if advice else None
