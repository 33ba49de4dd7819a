"""Token merging on real video: the toy encoder's token similarities mean nothing there; CLIP is one click away."""
from __future__ import annotations

from lib.models.advice import ToyModelCaveat

PRETRAINED_MODEL = "clip-vit-b16"
_BUNDLED = {"frame-vit-toy": "the toy FrameViT"}
CAVEAT = ToyModelCaveat(bundled=_BUNDLED,
                        holds="segments, token budgets and costs hold",
                        untrue="which tokens it finds alike (so what merges)",
                        choice=PRETRAINED_MODEL,
                        choice_label="CLIP ViT-B/16")
real_video_advice = CAVEAT.advice  # (video, model_name) -> Advice | None
real_video_notice = CAVEAT.notice  # (video, model_name) -> the one line | None
# ToMe inside the encoder always runs the toy FrameViT, and reports its actor class with and without merging.
TOME_CAVEAT = ToyModelCaveat(bundled=_BUNDLED, holds="tokens per block, FLOPs and time hold",
                             untrue="the actor classes it predicts (only whether merging changes them)")


def tome_real_video_notice(video) -> str | None:
    """The one line above the ToMe summary on a real clip, else None."""
    return TOME_CAVEAT.notice(video, "frame-vit-toy")
