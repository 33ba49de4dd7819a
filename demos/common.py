"""Small helpers shared by every tab: turning user-input errors into readable Gradio errors."""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import gradio as gr

from lib.errors import UserInputError
from lib.video import Clip, VideoError, load_clip

NO_VIDEO = "Choose an example clip above or upload a video first."


def load_clip_or_error(path: str | None, **load_kwargs: Any) -> Clip:
    """Load the chosen video, or raise gr.Error with a sentence the user can act on."""
    if not path:
        raise gr.Error(NO_VIDEO)
    try:
        return load_clip(path, **load_kwargs)
    except VideoError as err:
        raise gr.Error(str(err)) from err


def friendly_errors(fn: Callable) -> Callable:
    """Wrap a handler (plain or generator) so UserInputError reaches the user as gr.Error(sentence)."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except UserInputError as err:
                raise gr.Error(str(err)) from err
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UserInputError as err:
            raise gr.Error(str(err)) from err
    return wrapper
