"""Tubes on real video: the toy models' motion classes mean nothing there; TubeViT-B is one click away."""
from __future__ import annotations

from lib.methods.tubes.task import INFLATED_MODEL
from lib.models.advice import ToyModelCaveat

PRETRAINED_MODEL = INFLATED_MODEL
_BUNDLED = {"tubevit-tiny-toy": "TubeViT-tiny", "vivit-dense-tiny-toy": "its dense twin"}
CAVEAT = ToyModelCaveat(bundled=_BUNDLED,
                        holds="tube geometry, token counts and costs hold",
                        untrue="its motion class and pooling weights",
                        choice=PRETRAINED_MODEL,
                        choice_label="TubeViT-B from ViT-B/16")
real_video_advice = CAVEAT.advice  # (video, model_name) -> Advice | None
real_video_notice = CAVEAT.notice  # (video, model_name) -> the one line | None
