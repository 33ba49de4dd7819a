"""The few helpers every tab shares: user-input errors as readable Gradio errors, and the no-clip guard.

    @video_handler                      # the first argument is the chosen video (a path, or None)
    def run(video, setting, progress=gr.Progress()):
        result = run_<tab>(video, ...)  # UserInputError anywhere below -> gr.Error(sentence)
        return {output_component: value, ...}
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import gradio as gr

from lib.errors import UserInputError

NO_VIDEO = "Choose an example clip above or upload a video first."


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


def require_video(video: str | None) -> str:
    """The chosen video's path; UserInputError(NO_VIDEO) when nothing is chosen yet."""
    if not video:
        raise UserInputError(NO_VIDEO)
    return str(video)


def video_handler(fn: Callable) -> Callable:
    """`friendly_errors` plus the one guard for "no clip chosen": the handler's first argument must be a video."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_guarded(video, *args, **kwargs):
            yield from fn(require_video(video), *args, **kwargs)
        return friendly_errors(gen_guarded)

    @functools.wraps(fn)
    def guarded(video, *args, **kwargs):
        return fn(require_video(video), *args, **kwargs)
    return friendly_errors(guarded)


def bind(handler: Callable, view: object) -> Callable:
    """`handler` with the tab's components (`view`, a frozen dataclass) bound to its keyword `view`.

    Handlers are module-level functions `def handler(inputs..., *, view)` returning {component: value};
    the bound copy keeps the handler's name and docstring, since Gradio names events after the function.
    """
    bound = functools.partial(handler, view=view)
    bound.__name__, bound.__doc__ = handler.__name__, handler.__doc__  # type: ignore[attr-defined]
    return bound
