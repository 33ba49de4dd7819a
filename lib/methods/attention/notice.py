"""Attention on real video: STPT-tiny's detections mean nothing there; VideoMAE-B is one click away."""
from __future__ import annotations

from lib.models.advice import ToyModelCaveat

PRETRAINED_MODEL = "videomae-base-k400"
_BUNDLED = {"stpt-tiny-toy": "STPT-tiny", "stpt-global-tiny-toy": "STPT's global twin"}
CAVEAT = ToyModelCaveat(bundled=_BUNDLED,
                        holds="windows, costs and attention mechanics hold",
                        untrue="its detected actions or where it attends",
                        choice=PRETRAINED_MODEL,
                        choice_label="VideoMAE-B, Kinetics-400")
real_video_advice = CAVEAT.advice  # (video, model_name) -> Advice | None
real_video_notice = CAVEAT.notice  # (video, model_name) -> the one line | None
