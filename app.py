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

CSS = """
#filmstrip img { object-fit: contain; }
footer { visibility: hidden; }
"""


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="Efficient video explorer", delete_cache=(3600, 7200)) as demo:
        gr.Markdown(INTRO)
        video = build_chooser()
        for title, module_name in TABS:
            with gr.Tab(title):
                importlib.import_module(module_name).build_tab(video)
        demo.unload(forget_session)  # a closed browser tab frees its stored results at once
    return demo


demo = build_demo()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the efficient video explorer.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for all)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    parser.add_argument("--share", action="store_true", help="also create a public share link")
    args = parser.parse_args(argv)
    demo.queue(max_size=16).launch(server_name=args.host, server_port=args.port, share=args.share,
                                   css=CSS, theme=gr.themes.Soft())


if __name__ == "__main__":
    main()
