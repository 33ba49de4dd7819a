"""Session results kept by the server, bounded: one process-wide store with a byte cap, LRU eviction and a TTL.

Each tab's gr.State holds a small ResultHandle; the heavy result (attention maps, frames, masks) lives here,
so the server's memory is at most the cap whatever the number of sessions. When the store is full the least
recently used results go first; results idle longer than the TTL go too; a closed session's results go at
once (app.py's demo.unload). A view handler whose handle lost its result tells the user to run again.

    RESULTS = ResultStore(max_bytes=2.5e9, ttl_s=1800)
    handle = RESULTS.put(result, tab="Attention", session="abc")   # -> ResultHandle, kept in gr.State
    RESULTS.get(handle)                                            # -> the result, or None once dropped
"""
from __future__ import annotations

import ctypes
import dataclasses
import functools
import itertools
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_MB = 2500  # process cap (MB) unless VIDEO_EXPLORER_RESULTS_MB: 3 VideoMAE-B all-layer results (0.72 GB)
DEFAULT_TTL_S = 1800.0  # a result unused for 30 minutes is dropped (VIDEO_EXPLORER_RESULTS_TTL_S)
_ids = itertools.count(1)


@functools.cache
def _glibc() -> Any:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (macOS, Windows, musl): nothing to trim
        return None


def release_freed_memory() -> None:
    """Hand freed memory back to the OS (glibc's malloc_trim; a no-op elsewhere).

    Without it glibc keeps freed heap pages of its per-thread arenas, so RSS stays at its high-water mark."""
    libc = _glibc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


@dataclass(frozen=True)
class ResultHandle:
    """What a tab keeps in its gr.State: the key of its result in the store (a few bytes, deep-copies cheaply)."""

    key: int
    tab: str
    nbytes: int
    session: str | None = None


def rerun_sentence(handle: ResultHandle, ttl_s: float = DEFAULT_TTL_S) -> str:
    """The sentence a view shows when its result was dropped."""
    where = f" {handle.tab}" if handle.tab else ""
    return (f"Your{where} result is no longer kept on the server (results unused for {ttl_s / 60:.0f} minutes, "
            f"and the least recently used when memory is full, are dropped); run it again to see this view.")


def result_nbytes(obj: Any) -> int:
    """Bytes of the arrays reachable from `obj`: numpy arrays and torch tensors inside dataclasses, tuples,
    lists and dicts (each array counted once). Other objects (models, figures) are not the result's own."""
    seen: set[int] = set()
    stack = [obj]
    total = 0
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, (str, bytes, int, float, bool)) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            total += item.nbytes if item.dtype != object else 0
            if item.dtype == object:
                stack.extend(item.ravel().tolist())
        elif hasattr(item, "element_size") and hasattr(item, "nelement"):  # a torch tensor (no torch import)
            total += int(item.element_size()) * int(item.nelement())
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            stack.extend(getattr(item, f.name, None) for f in dataclasses.fields(item))
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (tuple, list, set, frozenset)):
            stack.extend(item)
    return total


class ResultStore:
    """Results by handle, at most `max_bytes` in all (LRU first out) and none unused longer than `ttl_s`.

    A single result larger than the cap is still kept (alone), so the run that made it can be viewed.
    Thread-safe: Gradio runs handlers in worker threads."""

    def __init__(self, max_bytes: float, ttl_s: float = DEFAULT_TTL_S, clock: Callable[[], float] = time.monotonic):
        self.max_bytes = int(max_bytes)
        self.ttl_s = float(ttl_s)
        self._clock = clock
        self._items: OrderedDict[int, tuple[Any, int, float, str | None]] = OrderedDict()  # key: result, bytes, used
        self._lock = threading.Lock()
        self.evicted = 0  # results dropped for the cap or the TTL (not discarded by their session)

    def __deepcopy__(self, memo: dict) -> ResultStore:
        return self  # the one process-wide store: a copy of it (of every result) is never wanted

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return sum(item[1] for item in self._items.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, handle: ResultHandle | None) -> bool:
        with self._lock:
            return handle is not None and handle.key in self._items

    def put(self, result: Any, *, tab: str = "", session: str | None = None, replaces: ResultHandle | None = None
            ) -> ResultHandle:
        """Keep `result` (dropping `replaces`, the result it supersedes); older results go while over the cap."""
        nbytes = result_nbytes(result)
        handle = ResultHandle(next(_ids), tab, nbytes, session)
        with self._lock:
            if replaces is not None:
                self._items.pop(replaces.key, None)
            evicted, now = self.evicted, self._clock()
            self._expire(now)
            self._items[handle.key] = (result, nbytes, now, session)
            total = sum(item[1] for item in self._items.values())
            while total > self.max_bytes and len(self._items) > 1:
                _, (_, dropped, _, _) = self._items.popitem(last=False)
                total -= dropped
                self.evicted += 1
            trim = self.evicted > evicted
        if trim:
            release_freed_memory()
        return handle

    def get(self, handle: ResultHandle | None) -> Any:
        """The result of `handle` (now the most recently used), or None when there is none or it was dropped."""
        if handle is None:
            return None
        with self._lock:
            now = self._clock()
            self._expire(now)
            item = self._items.get(handle.key)
            if item is None:
                return None
            self._items[handle.key] = (item[0], item[1], now, item[3])
            self._items.move_to_end(handle.key)
            return item[0]

    def discard(self, handle: Any) -> None:
        """Drop `handle`'s result (gr.State's delete_callback: any value, handles only are acted on)."""
        if isinstance(handle, ResultHandle):
            with self._lock:
                self._items.pop(handle.key, None)

    def drop_session(self, session: str | None) -> int:
        """Drop every result of `session` (a closed browser tab); returns how many."""
        if session is None:
            return 0
        with self._lock:
            keys = [key for key, item in self._items.items() if item[3] == session]
            for key in keys:
                del self._items[key]
        if keys:
            release_freed_memory()
        return len(keys)

    def _expire(self, now: float) -> None:  # caller holds the lock
        for key in [key for key, item in self._items.items() if now - item[2] > self.ttl_s]:
            del self._items[key]
            self.evicted += 1


def store_from_env(environ: dict | None = None) -> ResultStore:
    """The process store: VIDEO_EXPLORER_RESULTS_MB (default 2500) and VIDEO_EXPLORER_RESULTS_TTL_S (1800)."""
    env = os.environ if environ is None else environ
    megabytes = float(env.get("VIDEO_EXPLORER_RESULTS_MB") or DEFAULT_MB)
    ttl_s = float(env.get("VIDEO_EXPLORER_RESULTS_TTL_S") or DEFAULT_TTL_S)
    return ResultStore(max_bytes=megabytes * 1e6, ttl_s=ttl_s)


RESULTS = store_from_env()
