"""The few helpers every tab shares: user-input errors as readable Gradio errors, and the no-clip guard.

    @video_handler                      # the first argument is the chosen video (a path, or None)
    def run(video, setting, progress=gr.Progress()):
        result = run_<tab>(video, ...)  # UserInputError anywhere below -> gr.Error(sentence)
        return {output_component: value, ...}
"""
from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass

import av
import cv2
import decord
import gradio as gr
from PIL import Image

from demos.results import RESULTS, ResultHandle, release_freed_memory, rerun_sentence
from lib.errors import UserInputError

NO_VIDEO = "Choose an example clip above or upload a video first."
# Failures of the media libraries on odd input that no check foresaw (FFmpeg through PyAV and decord, OpenCV,
# Pillow): the user gets a sentence, the log keeps the traceback. Any other exception is a bug and stays one.
MEDIA_ERRORS: tuple[type[BaseException], ...] = (av.error.FFmpegError, decord.DECORDError, cv2.error,
                                                 Image.DecompressionBombError)
MEDIA_SENTENCE = ("The video could not be processed ({detail}); re-encode it as H.264 MP4 (e.g. 1280x720, "
                  "constant frame rate) and try again.")
_log = logging.getLogger(__name__)


def _media_error(fn: Callable, err: BaseException) -> gr.Error:
    _log.exception("media library failure in %s", getattr(fn, "__name__", fn))
    detail = f"{type(err).__name__}: {str(err).splitlines()[0][:160]}" if str(err) else type(err).__name__
    return gr.Error(MEDIA_SENTENCE.format(detail=detail))


def friendly_errors(fn: Callable) -> Callable:
    """Wrap a handler (plain or generator) so UserInputError reaches the user as gr.Error(sentence), and so
    do media-library failures (MEDIA_ERRORS, logged with their traceback).

    When it ends, the memory its arrays freed goes back to the OS: glibc keeps freed pages of its per-thread
    arenas otherwise, so RSS between requests stayed near the last peak (2.15 GB held after the /propagate sample,
    1.05 GB with the trim)."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except UserInputError as err:
                raise gr.Error(str(err)) from err
            except MEDIA_ERRORS as err:
                raise _media_error(fn, err) from err
            finally:
                release_freed_memory()
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UserInputError as err:
            raise gr.Error(str(err)) from err
        except MEDIA_ERRORS as err:
            raise _media_error(fn, err) from err
        finally:
            release_freed_memory()
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


# Session results live in demos.results.RESULTS (byte cap, LRU, TTL); a tab's gr.State holds only a handle.
def result_state() -> gr.State:
    """A tab's per-session result slot: holds a ResultHandle; Gradio deleting the state drops the result."""
    return gr.State(None, delete_callback=discard_result)


def discard_result(handle: object) -> None:
    """gr.State's delete_callback: drop the handle's result. A plain function, not RESULTS.discard: Gradio
    deep-copies the page config on every page load, and a bound method would copy the store with every result
    in it (1.5 GB per load after a hundred Attention runs)."""
    RESULTS.discard(handle)


def _session() -> str | None:
    from gradio.context import LocalContext  # the request of the event being handled (None outside one)

    request = LocalContext.request.get(None)
    return getattr(request, "session_hash", None)


def keep(result, tab: str, replaces: ResultHandle | None = None) -> ResultHandle:
    """Store a main action's result; put the returned handle into the tab's state (`replaces`: the old one)."""
    return RESULTS.put(result, tab=tab, session=_session(), replaces=replaces)


def lost(handle: ResultHandle | None) -> str | None:
    """The "run again" sentence when `handle`'s result was dropped (cap or TTL), else None."""
    if isinstance(handle, ResultHandle) and handle not in RESULTS:
        return rerun_sentence(handle, RESULTS.ttl_s)
    return None


def stored(handle: ResultHandle | None):
    """The result behind a tab's state, or None (nothing run yet, or dropped: then the user is told, gr.Warning)."""
    result = RESULTS.get(handle) if isinstance(handle, ResultHandle) else None
    if result is None and isinstance(handle, ResultHandle):
        gr.Warning(rerun_sentence(handle, RESULTS.ttl_s))
    return result


def forget_session(request: gr.Request) -> None:
    """demo.unload: a closed browser tab frees its results at once (Gradio itself keeps state an hour)."""
    RESULTS.drop_session(getattr(request, "session_hash", None))


@dataclass(frozen=True)
class AdviceView:
    """A tab's real-video advice: its face's `real_video_advice(video, model)` and its pretrained model's name."""

    advice: Callable
    pretrained: str


def show_advice(video, model_name, *, view: AdviceView):
    """Handler: clip or model changed -> (one-line notice, switch): shown when a toy model meets a real clip."""
    advice = view.advice(video, model_name)
    if advice is None:
        return gr.update(visible=False), gr.update(visible=False)
    return gr.update(value=advice.notice, visible=True), gr.update(value=advice.button, visible=bool(advice.button))


def advise_on_clip(video, model_name, *, view: AdviceView):
    """Handler: a newly chosen clip -> notice, switch, model; on a Space with the Hub allowed a real clip switches."""
    advice = view.advice(video, model_name)
    if advice is not None and advice.switch:
        return gr.update(visible=False), gr.update(visible=False), gr.update(value=advice.choice)
    return (*show_advice(video, model_name, view=view), gr.update())


def use_pretrained(*, view: AdviceView) -> str:
    """Handler: the one-click switch -> the model dropdown set to this tab's pretrained model."""
    return view.pretrained


def real_video_switch(video: gr.Video, model: gr.Dropdown, view: AdviceView, prefix: str) -> None:
    """The one-line notice and one-click switch under a tab's model menu, following the clip and the model.

    Elements: `<prefix>-real-notice` (Markdown) and `<prefix>-use-pretrained` (Button), hidden until needed.
    """
    with gr.Row(equal_height=True):
        notice = gr.Markdown(visible=False, elem_id=f"{prefix}-real-notice")
        button = gr.Button(visible=False, size="sm", scale=0, elem_id=f"{prefix}-use-pretrained")
    video.change(bind(advise_on_clip, view), inputs=[video, model], outputs=[notice, button, model],
                 api_visibility="private")
    model.change(bind(show_advice, view), inputs=[video, model], outputs=[notice, button], api_visibility="private")
    button.click(bind(use_pretrained, view), inputs=None, outputs=model, api_visibility="private")
