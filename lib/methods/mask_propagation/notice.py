"""Mask propagation on real video: the toy segmentor's classes and masks mean nothing there; Mask2Former is one
click away (or paint the masks)."""
from __future__ import annotations

from lib.methods.mask_propagation.task import BUNDLED_SEGMENTOR
from lib.models.advice import ToyModelCaveat

PRETRAINED_MODEL = "mask2former-swin-t-ade"
_BUNDLED = {BUNDLED_SEGMENTOR: "the query segmentor"}
CAVEAT = ToyModelCaveat(bundled=_BUNDLED,
                        holds="key frames, warping and costs hold",
                        untrue="its classes and masks",
                        choice=PRETRAINED_MODEL,
                        choice_label="Mask2Former Swin-T, ADE20K")
real_video_advice = CAVEAT.advice  # (video, model_name) -> Advice | None
real_video_notice = CAVEAT.notice  # (video, model_name) -> the one line | None
