"""Loading Hugging Face Hub checkpoints, failing fast and politely when they cannot be fetched.

transformers alone, offline and without a cached copy, retries for about 25 s and then raises a
long OSError. Here a missing model is reported within a couple of seconds with one sentence
that says what to do: try the local cache first, then decide whether downloading can work at all.
"""
from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

from lib.models.errors import ModelUnavailableError

PROBE_TIMEOUT_S = 1.5
_TRUE = {"1", "on", "yes", "true"}


def unavailable_message(name: str) -> str:
    """The sentence shown when a hub model is neither cached nor downloadable."""
    return (
        f"{name} needs to be downloaded once from the Hugging Face Hub; pick a bundled model, "
        "or connect to the internet and try again."
    )


def hub_offline() -> bool:
    """True when HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) asks the Hub libraries not to connect."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in _TRUE:
            return True
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except Exception:  # pragma: no cover - very old or broken huggingface_hub
        return False


def hub_reachable(timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether a TCP connection to the Hub endpoint opens within `timeout` seconds.

    DNS lookups ignore socket timeouts, so the whole probe runs in a daemon thread and is
    abandoned (counted as unreachable) when it overruns.
    """
    from huggingface_hub import constants

    parsed = urlparse(constants.ENDPOINT)
    host = parsed.hostname or "huggingface.co"
    port = parsed.port or (443 if parsed.scheme != "http" else 80)
    result: list[bool] = []

    def probe() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True, name="hub-probe")
    thread.start()
    thread.join(timeout + 0.2)
    return bool(result and result[0])


def load_pretrained(
    loader: Callable[..., Any],
    repo_id: str,
    *,
    name: str | None = None,
    reachable: Callable[[], bool] = hub_reachable,
    **kwargs: Any,
) -> Any:
    """Call `loader(repo_id, **kwargs)` (a `from_pretrained`) from the cache, downloading only if possible.

    A local folder is loaded directly. For a hub id: the local cache is tried first
    (`local_files_only=True`); if the files are not there and the Hub is switched off
    (HF_HUB_OFFLINE) or does not answer, ModelUnavailableError is raised at once.
    `name` is the label used in the message (defaults to the id).
    """
    if Path(repo_id).is_dir():
        return loader(repo_id, **kwargs)
    try:
        return loader(repo_id, local_files_only=True, **kwargs)
    except OSError as cached_error:
        if hub_offline() or not reachable():
            raise ModelUnavailableError(unavailable_message(name or repo_id)) from cached_error
    try:
        return loader(repo_id, **kwargs)
    except OSError as download_error:
        raise ModelUnavailableError(
            f"{name or repo_id} could not be downloaded from the Hugging Face Hub ({download_error}); "
            "pick a bundled model or try again later."
        ) from download_error


def cached_file(repo_id_or_folder: str | Path, filename: str) -> Path | None:
    """Path of `filename` in a local folder or in the Hub cache for `repo_id`, or None; never downloads."""
    folder = Path(repo_id_or_folder)
    if folder.is_dir():
        path = folder / filename
        return path if path.is_file() else None
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(str(repo_id_or_folder), filename)
    except Exception:  # an id the cache cannot even parse is simply "not cached"
        return None
    return Path(found) if isinstance(found, str) else None
