"""Long range on real video: the toy decoders' bounce count means nothing there (no pretrained ViS4mer is offered)."""
from __future__ import annotations

from pathlib import Path

from lib.methods.long_range.task import S4_MODEL
from lib.models.advice import ToyModelCaveat

CAVEAT = ToyModelCaveat(bundled={S4_MODEL: "the ViS4mer decoder (and its attention twin)"},
                        holds="sequence lengths, receptive fields and costs hold", untrue="its bounce count")


def real_video_notice(video: str | Path | None, model_name: str | None = S4_MODEL) -> str | None:
    """The one line when the decoders read a chosen real clip (model_name None: the toy video is read), else None."""
    return CAVEAT.notice(video, model_name)
