"""Stop that really stops: a pressed Stop button ends the handler's work, not only its display.

Gradio's `cancels=[event]` cancels the asyncio task of the event, but a handler runs in a worker thread that
Gradio waits for (anyio shields it), so a plain handler would run on to its end and a generator to its next
yield. `stoppable` watches the event's task while the handler runs and, once it is being cancelled, raises
`Stopped` inside the handler's thread (CPython's PyThreadState_SetAsyncExc: delivered at the next Python line,
so a long torch op finishes first). Context managers and `finally` blocks in the handler run as for any error.

    stop = stop_button("tubes-stop")                     # in the layout, next to the action's button
    event = run.click(bind(stoppable(handler), view), ...)
    cancel_on(stop, event)                               # Stop cancels the event, and so the work
"""
from __future__ import annotations

import ctypes
import functools
import inspect
import threading
import time
from collections.abc import Callable

import gradio as gr

POLL_S = 0.1  # how often the watcher looks at the running events' tasks


class Stopped(Exception):
    """Raised inside a handler's thread when its event was cancelled (the Stop button)."""


class _Watcher:
    """One daemon thread polling the tasks of running stoppable handlers; injects Stopped into cancelled ones."""

    def __init__(self) -> None:
        self._runs: dict[int, tuple[int, object]] = {}  # run id -> (thread id, asyncio task)
        self._lock = threading.Lock()
        self._ids = iter(range(1, 1 << 62))
        self._thread: threading.Thread | None = None
        self.stopped = 0  # handlers stopped so far (tests read it)

    def add(self, task) -> int:
        with self._lock:
            run = next(self._ids)
            self._runs[run] = (threading.get_ident(), task)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="stop-watcher", daemon=True)
                self._thread.start()
            return run

    def remove(self, run: int) -> None:
        """The run is over: never inject into its thread again, and clear an injection not yet delivered."""
        with self._lock:
            entry = self._runs.pop(run, None)
            if entry is not None:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(entry[0]), None)

    def _loop(self) -> None:
        while True:
            time.sleep(POLL_S)
            with self._lock:
                for run, (thread_id, task) in list(self._runs.items()):
                    if task.done() or task.cancelling():
                        del self._runs[run]  # inject once: the handler unwinds from here
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(Stopped))
                        self.stopped += 1


WATCHER = _Watcher()


def _event_task():
    """The asyncio task Gradio runs the current event in (named "<session>_<fn><gradio-sep><event id>"), or None
    outside a Gradio event (a test calling the handler directly)."""
    from gradio.context import LocalContext

    blocks, event_id = LocalContext.blocks.get(None), LocalContext.event_id.get(None)
    queue = getattr(blocks, "_queue", None)
    if not event_id or queue is None:
        return None
    for _ in range(3):  # the set may change while copied (another event starting): try again
        try:
            tasks = list(getattr(queue, "_asyncio_tasks", ()))
            break
        except RuntimeError:
            continue
    else:
        return None
    suffix = f"<gradio-sep>{event_id}"
    return next((task for task in tasks if task.get_name().endswith(suffix)), None)


def _watched(call: Callable, task):
    """call() with this thread watched for `task`'s cancellation; (True, value) or (False, None) when stopped."""
    run = None
    try:
        try:
            run = WATCHER.add(task)
            return True, call()
        finally:
            if run is not None:
                WATCHER.remove(run)
    except Stopped:
        return False, None


def stoppable(fn: Callable) -> Callable:
    """Wrap a handler (plain or generator) so that the Stop button cancelling its event ends its work.

    A stopped handler returns gr.skip() (Gradio has already dropped the event, so nothing is shown). A generator
    is watched during each step (each step may run in another worker thread); stopped, it is closed."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            task = _event_task()
            steps = fn(*args, **kwargs)
            while True:
                if task is None:
                    ok, (more, value) = True, _step(steps)
                else:
                    ok, outcome = _watched(functools.partial(_step, steps), task)
                    if not ok:
                        steps.close()
                        return
                    more, value = outcome
                if not more:
                    return
                yield value
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        task = _event_task()
        if task is None:
            return fn(*args, **kwargs)
        ok, value = _watched(functools.partial(fn, *args, **kwargs), task)
        return value if ok else gr.skip()
    return wrapper


def _step(steps) -> tuple[bool, object]:
    """(True, next value) or (False, None) when the generator is exhausted."""
    try:
        return True, next(steps)
    except StopIteration:
        return False, None


def stop_button(elem_id: str, label: str = "Stop") -> gr.Button:
    """A Stop button (red, small), placed next to the action's button; wire it with `cancel_on`."""
    return gr.Button(label, variant="stop", elem_id=elem_id, scale=0, min_width=90)


def cancel_on(button: gr.Button, *events) -> None:
    """Pressing `button` cancels `events` (the dependencies returned by .click); stoppable handlers stop."""
    button.click(None, None, None, cancels=list(events), api_visibility="private")
