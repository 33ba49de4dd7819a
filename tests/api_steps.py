"""Steps that API tests share: send a clip to a tab's endpoint, read the sentence of a refused setting.

The client itself is the session fixture `api_client` (tests/conftest.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from browser_steps import example


def upload(path: str | Path):
    """A local video file as a gradio_client file argument (uploaded with the call)."""
    from gradio_client import handle_file

    return handle_file(str(path))


def clip(name: str):
    """The bundled example `name` (see assets/examples/manifest.json) as a file argument."""
    return upload(example(name).path)


def refusal(client, api_name: str, *args) -> str:
    """Call `api_name` with `args`, expecting the app to refuse them; return the error text it sends.

    Only an error the app reports (gradio_client's AppError) counts; a call that succeeds fails the test."""
    from gradio_client.exceptions import AppError

    try:
        client.predict(*args, api_name=api_name)
    except AppError as err:
        return str(err)
    pytest.fail(f"{api_name} accepted {args!r}; it should have refused them with a sentence")
