"""The Dataset tab on the bundled results (assets/results): reading, table, figures, and in a browser: open the
results, pick a row, see its video in the chooser and its tab."""
from __future__ import annotations

import socket
from pathlib import Path

import gradio as gr
import pytest

pytest.importorskip("pyarrow", reason="reading results needs pyarrow (requirements-batch.txt)")

from demos.dataset import build_tab  # noqa: E402
from lib.methods.dataset import (  # noqa: E402
    BUNDLED_RESULTS,
    TAB_OF_TASK,
    load_results,
    open_row,
    render_histogram,
    render_scatter,
    table_rows,
)

ROOT = Path(__file__).resolve().parent.parent


def test_bundled_results_are_small_and_complete():
    size = sum(p.stat().st_size for p in BUNDLED_RESULTS.rglob("*") if p.is_file())
    assert size < 1_000_000, size
    assert (BUNDLED_RESULTS / "command.txt").read_text().count("python -m lib.batch") >= 2
    results = load_results()
    assert {"tubes", "long-range"} <= set(results.tasks())
    assert len({r["path"] for r in results.rows}) > 100


def test_table_sorts_and_rows_open_their_video_and_tab():
    results = load_results()
    headers, rows = table_rows(results, "tubes", sort_by="tube_tokens", descending=True)
    column = headers.index("tube_tokens")
    assert [r[column] for r in rows] == sorted((r[column] for r in rows), reverse=True)
    first = next(i for i, r in enumerate(results.task_rows("tubes")) if not Path(r["path"]).is_absolute())
    target = open_row(results, "tubes", first)
    assert target.tab == "Tubes" and target.video and Path(target.video).is_file()
    assert "num_frames" in target.settings
    assert render_scatter(results, "tubes", "duration_s", "tube_tokens").data
    assert render_histogram(results, "tubes", "tube_tokens").data


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dataset_app():
    """The Dataset tab next to stand-ins of the tabs rows open, under a shared video like app.py's chooser."""
    with gr.Blocks() as demo:
        video = gr.Video(label="Video", elem_id="chosen-video")
        with gr.Tab("Dataset"):
            build_tab(video)
        for task, title in TAB_OF_TASK.items():
            with gr.Tab(title):
                gr.Markdown(f"the {title} tab", elem_id=f"marker-{task}")
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True, quiet=True)
    yield url
    demo.close()


def test_browser_open_results_pick_a_row_see_its_tab(dataset_app, browser_page, screenshot_dir):
    page = browser_page
    page.goto(dataset_app)
    page.locator("#dataset-open").click()
    page.wait_for_function("document.querySelector('#dataset-summary').innerText.includes('rows over')")
    cell = page.locator("#dataset-table").get_by_text("photo_pan.mp4", exact=True).first  # an example clip
    cell.wait_for(state="visible")
    cell.click()
    task = load_results().tasks()[0]  # the task the tab shows first
    page.wait_for_function(f"document.querySelector('#dataset-target').innerText.includes('{TAB_OF_TASK[task]}')")
    page.wait_for_selector("#chosen-video video", state="attached")  # the row's video is in the chooser
    page.locator("#dataset-open-tab").click()
    page.wait_for_selector(f"#marker-{task}", state="visible")
    page.screenshot(path=str(screenshot_dir / "dataset_tab.png"))
