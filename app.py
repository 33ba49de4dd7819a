"""The explorer app: a shared video chooser on top, one tab per method below.

Importing this module builds `demo` but starts nothing; `python app.py` serves it.
"""
from __future__ import annotations

import argparse
import importlib
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import gradio as gr  # noqa: E402

from demos.common import forget_session  # noqa: E402
from demos.video_chooser import build_chooser  # noqa: E402

# (tab title, module with build_tab(video)). A tab is listed only once it really works.
TABS: list[tuple[str, str]] = [
    ("Tubes", "demos.tubes"),
    ("Attention", "demos.attention"),
    ("Token merging", "demos.token_merging"),
    ("Mask propagation", "demos.mask_propagation"),
    ("Long range", "demos.long_range"),
    ("Training cost", "demos.training_cost"),
    ("Compare", "demos.compare"),
    ("Dataset", "demos.dataset"),
]

INTRO = """# Efficient video models, from the inside
Pick an example clip or upload a video, then open a tab to see what an efficient video model does
with it. Every tab runs a real model; the default ones are small models trained by this project on
procedurally generated videos with exact ground truth."""

# Serving limits, chosen with benchmarks/load.py (8 gradio_client users, every tab's main action, 2 cores):
# one model run at a time over all tabs (share_model_slots): on 2 cores torch already uses both, and 1 slot
# served 8 users at 1.11 calls/s, p95 12.1 s, against 0.61 calls/s, p95 17.9 s with 2 slots (busy machine;
# a first run: 1.87 vs 1.68 calls/s), and it bounds memory by one request. Other events (the filmstrip,
# views) run two at a time each. The queue is deep enough for 8 users whose clip change fires several events.
MODEL_SLOTS = int(os.environ.get("VIDEO_EXPLORER_MODEL_SLOTS") or 1)
CONCURRENCY_LIMIT = 2  # every other event's own limit
QUEUE_SIZE = 64
MAX_FILE_SIZE = "500mb"
# (every s, older than s): Gradio deletes the files it cached for the app (uploads and outputs);
# VIDEO_EXPLORER_CACHE_PURGE="every,age" overrides it (tests/test_disk.py purges every second).
CACHE_PURGE = tuple(int(x) for x in (os.environ.get("VIDEO_EXPLORER_CACHE_PURGE") or "3600,7200").split(","))


def serve_options() -> tuple[dict, dict]:
    """(queue options, launch options) for serving `demo`; tests that serve it in-process use the same.

    show_error forwards the text of errors raised before a handler runs (Gradio's own checks of a request:
    a missing file, a path outside the upload folder) to the client, which otherwise gets none."""
    return ({"max_size": QUEUE_SIZE, "default_concurrency_limit": CONCURRENCY_LIMIT},
            {"show_error": True, "max_file_size": MAX_FILE_SIZE, "css": CSS, "theme": gr.themes.Soft()})


CSS = """
#filmstrip img { object-fit: contain; }
footer { visibility: hidden; }
"""


def share_model_slots(demo: gr.Blocks, limit: int) -> None:
    """Every tab's model runs (the events of the public and undocumented API: main actions, sweeps, exports)
    share `limit` slots, so the server's memory is bounded by `limit` requests whatever the users do; the
    filmstrip and the views (private events) keep their own queues and stay quick meanwhile."""
    for fn in demo.fns.values():
        if fn.api_visibility in ("public", "undocumented") and fn.api_name != "describe_video":
            fn.concurrency_id, fn.concurrency_limit = "models", limit


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="Efficient video explorer", delete_cache=CACHE_PURGE) as demo:
        gr.Markdown(INTRO)
        video = build_chooser()
        for title, module_name in TABS:
            with gr.Tab(title):
                importlib.import_module(module_name).build_tab(video)
        demo.unload(forget_session)  # a closed browser tab frees its stored results at once
    share_model_slots(demo, MODEL_SLOTS)
    return demo


demo = build_demo()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the efficient video explorer.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for all)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    parser.add_argument("--share", action="store_true", help="also create a public share link")
    parser.add_argument("--mcp", action="store_true",
                        help="also serve Gradio's MCP server at /gradio_api/mcp/ (each tab's main action is a tool); "
                             "on a Space set VIDEO_EXPLORER_MCP=1")
    args = parser.parse_args(argv)
    mcp = args.mcp or os.environ.get("VIDEO_EXPLORER_MCP", "").strip().lower() in ("1", "true", "yes")
    if mcp:
        try:
            import mcp as _mcp  # noqa: F401  (Gradio's MCP server needs it)
        except ImportError:
            parser.error("--mcp needs the `mcp` package: pip install -r requirements.txt")
    queue, launch = serve_options()
    demo.queue(**queue).launch(server_name=args.host, server_port=args.port, share=args.share, mcp_server=mcp,
                               **launch)


if __name__ == "__main__":
    main()
