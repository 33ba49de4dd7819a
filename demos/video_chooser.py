"""The shared video chooser on top of the app: example gallery, upload, filmstrip and facts."""
from __future__ import annotations

import functools

import cv2
import gradio as gr
import numpy as np

from demos.common import friendly_errors
from lib.methods.overview import example_thumbnails, render_overview, run_overview


@functools.lru_cache(maxsize=1)
def _examples() -> tuple[tuple[object, np.ndarray], ...]:
    """Each example with its middle frame, decoded once per process."""
    return tuple(example_thumbnails())


WEBP_MAX_SIDE = 16383  # Gradio sends images as WebP, which holds at most this many pixels a side


def fit_webp(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 shrunk (aspect kept) until both sides fit WebP; unchanged when they already do."""
    longest = max(image.shape[:2])
    if longest <= WEBP_MAX_SIDE:
        return image
    scale = WEBP_MAX_SIDE / longest
    size = (max(1, int(image.shape[1] * scale)), max(1, int(image.shape[0] * scale)))  # (w, h) for OpenCV
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


@friendly_errors
def describe_video(path: str | None):
    """Describe a video: a filmstrip of sampled frames and a table of its facts (size, frame rate, duration, codec).

    Args:
        path: the video file to describe (MP4 H.264 works best).
    Returns:
        the filmstrip image and the facts table; a bad video gets a sentence saying what is wrong.
    """
    if not path:
        return None, None
    overview = run_overview(path)
    return fit_webp(render_overview(overview)), overview.facts()


def take_upload(file) -> str | None:
    """Handler: the upload button's file -> the chosen video (it replaces the example chosen before)."""
    return getattr(file, "name", file) or None


def pick_example(evt: gr.SelectData) -> str:
    """Handler: a click on the gallery -> that example's file as the chosen video."""
    return str(_examples()[evt.index][0].path)


def build_chooser() -> gr.Video:
    """Build the chooser; returns the video component every tab reads (value: a file path or None).

    The page starts ready: the first example is chosen (with its filmstrip and facts) until the user picks
    another or uploads a video, so every tab's main button works on the first click.
    """
    examples = _examples()
    first = str(examples[0][0].path) if examples else None
    first_strip, first_facts = describe_video(first)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            gallery = gr.Gallery(
                value=[(thumb, ex.title) for ex, thumb in examples], label="Example clips (click one)",
                columns=3, height=360, allow_preview=False, object_fit="cover", elem_id="example-gallery",
                selected_index=0 if examples else None)
            with gr.Accordion("About the example clips", open=False):
                gr.Markdown("\n".join(f"- **{ex.title}**: {ex.description} *Source: {ex.provenance}*"
                                       for ex, _ in examples), elem_id="example-notes")
        with gr.Column(scale=4):
            video = gr.Video(value=first, label="Video (upload your own or pick an example)", sources=["upload"],
                             height=360, elem_id="chosen-video")
            upload = gr.UploadButton("Upload your own video", file_types=["video"], size="sm", variant="secondary",
                                     elem_id="upload-video")
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            strip = gr.Image(value=first_strip, label="Filmstrip (uniformly sampled frames)", interactive=False,
                             height=140, elem_id="filmstrip", buttons=["download"])
        with gr.Column(scale=2):
            facts = gr.Dataframe(value=first_facts, headers=["fact", "value"], label="Clip facts",
                                 interactive=False, elem_id="clip-facts")

    gallery.select(pick_example, inputs=None, outputs=video, api_visibility="private")
    upload.upload(take_upload, inputs=upload, outputs=video, api_visibility="private")
    video.change(describe_video, inputs=video, outputs=[strip, facts], api_name="describe_video")
    return video
