"""demos.common.friendly_errors: user errors and media-library failures become sentences; bugs stay bugs."""
from __future__ import annotations

import av
import gradio as gr
import numpy as np
import pytest

from demos.common import friendly_errors
from demos.video_chooser import WEBP_MAX_SIDE, fit_webp
from lib.errors import UserInputError


def _ffmpeg_failure(*_):
    raise av.error.InvalidDataError(1094995529, "Invalid data found when processing input", "clip.mp4")


def _bug(*_):
    raise KeyError("a real bug")


def test_user_errors_and_media_failures_become_sentences(caplog):
    def refused():
        raise UserInputError("Choose a clip first.")

    with pytest.raises(gr.Error) as caught:
        friendly_errors(refused)()
    assert caught.value.message == "Choose a clip first."
    with pytest.raises(gr.Error) as caught:
        friendly_errors(_ffmpeg_failure)()
    message = caught.value.message
    assert message.startswith("The video could not be processed (InvalidDataError") and message.endswith(".")
    assert "re-encode it as H.264 MP4" in message
    assert "media library failure" in caplog.text  # the log keeps the traceback


def test_media_failures_in_generator_handlers_too():
    def handler():
        yield 1
        _ffmpeg_failure()

    with pytest.raises(gr.Error, match="could not be processed"):
        list(friendly_errors(handler)())


def test_bugs_stay_visible():
    with pytest.raises(KeyError):
        friendly_errors(_bug)()


def test_filmstrips_fit_webp():
    wide = np.zeros((112, 40_000, 3), np.uint8)
    fitted = fit_webp(wide)
    assert max(fitted.shape[:2]) <= WEBP_MAX_SIDE and abs(fitted.shape[1] / fitted.shape[0] - 40_000 / 112) < 10
    small = np.zeros((112, 900, 3), np.uint8)
    assert fit_webp(small) is small
