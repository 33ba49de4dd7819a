"""The Dataset tab on the bundled results (assets/results): reading, table, figures, uploads, what a public Space
may read, a row setting its tab's registered controls, and in a browser on the whole app: open the results,
pick a row, see its video in the chooser and its tab selected."""
from __future__ import annotations

from pathlib import Path

import gradio as gr
import pytest

pytest.importorskip("pyarrow", reason="reading results needs pyarrow (requirements-batch.txt)")

from demos.dataset import build_tab, open_picked, open_results, pick_row  # noqa: E402
from demos.tab_controls import register, tab_controls_of  # noqa: E402
from lib.errors import UserInputError  # noqa: E402
from lib.methods.dataset import (  # noqa: E402
    BUNDLED_RESULTS,
    DatasetResults,
    load_results,
    open_row,
    render_histogram,
    render_scatter,
    results_source,
    table_rows,
)
from lib.methods.dataset.store import write_part  # noqa: E402


def app_controls(demo: gr.Blocks, title: str) -> dict:
    """keyword -> component that tab `title` of `demo` registered ({} when it has not)."""
    tab = tab_controls_of(demo).get(title)
    return dict(tab.controls) if tab else {}


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


def test_table_shows_each_column_once_and_only_its_tasks_columns():
    results = load_results()
    headers, rows = table_rows(results, "mask-propagation")
    assert len(headers) == len(set(headers)) and headers.count("duration_s") == 1
    assert "setting_k" in headers and "miou" in headers
    assert not {"tube_tokens", "s4_score", "merged_tokens", "setting_budget_mb"} & set(headers)  # other tasks'
    assert headers.index("setting_flow") < headers.index("miou")  # settings first
    assert all(len(row) == len(headers) for row in rows)


def test_uploaded_parts_are_read_as_rows_and_errors(tmp_path):
    rows = [{"key": "a", "path": "a.mp4", "task": "tubes", "settings": "{}", "tube_tokens": 99}]
    errors = [{"key": "b", "path": "b.mp4", "task": "tubes", "settings": "{}", "error": "Not a video."}]
    row_part, error_part = write_part(tmp_path, "rows", rows), write_part(tmp_path, "errors", errors)
    results = load_results([str(row_part), str(error_part)])  # as gr.File hands them over
    assert [r["tube_tokens"] for r in results.rows] == [99] and [e["error"] for e in results.errors] == ["Not a video."]


def test_a_public_space_reads_only_bundled_results_and_uploads(tmp_path):
    elsewhere = tmp_path / "secret.parquet"
    assert results_source(str(elsewhere), None, public=False) == str(elsewhere)  # your own machine: any path
    with pytest.raises(UserInputError, match="public Space"):
        results_source(str(elsewhere), None, public=True)
    with pytest.raises(UserInputError, match="public Space"):
        results_source(str(BUNDLED_RESULTS / ".." / ".." / "app.py"), None, public=True)
    assert results_source(str(BUNDLED_RESULTS), None, public=True) == str(BUNDLED_RESULTS)
    assert results_source("", [str(elsewhere)], public=True) == [str(elsewhere)]  # an upload is fine
    with pytest.raises(UserInputError, match="not one"):
        results_source("", [str(tmp_path / "notes.txt")], public=True)


def test_a_public_space_opens_only_bundled_videos(tmp_path):
    clip = tmp_path / "elsewhere.mp4"
    clip.write_bytes(b"x")
    row = {"key": "k", "path": str(clip), "task": "tubes", "settings": '{"num_frames": 16}'}
    results = DatasetResults(rows=(row,), errors=(), source="test")
    assert open_row(results, "tubes", 0).video == str(clip)
    hidden = open_row(results, "tubes", 0, public=True)
    assert hidden.video is None and "public Space" in hidden.description


def _open(results, task: str, row: list, view) -> dict:
    """What a click on the video cell of `row` (a table row) sets."""
    index = pick_row(gr.SelectData(None, {"index": [0, 1], "value": row[1], "row_value": row}))
    return open_picked(results, task, index, view=view)


def test_a_row_sets_the_controls_its_tab_registered():
    """Tabs that register (demos.tab_controls) get the row's settings; values they cannot take and tabs that
    did not register are named, not forced."""
    with gr.Blocks() as demo:
        video = gr.Video()
        with gr.Tab("Mask propagation"):
            flow = gr.Dropdown(["mpvss", "dis"], value="dis")
            k = gr.Slider(1, 8, value=3, step=1)
            register("Mask propagation", flow=flow, k=k)
        with gr.Tab("Dataset"):
            build_tab(video)
    view = next(fn.fn.keywords["view"] for fn in demo.fns.values() if fn.name == "open_picked")
    results = load_results()
    headers, rows = table_rows(results, "mask-propagation")
    by_k = {row[headers.index("setting_k")]: row for row in rows if row[1] == "photo_pan.mp4"}
    out = _open(results, "mask-propagation", by_k[5], view)
    assert out[k] == 5 and out[flow] == "mpvss" and out[view.tab] == "Mask propagation"
    assert Path(out[video]).name == "photo_pan.mp4"
    assert "except segmentor = query-segmentor-tiny-toy" in out[view.target]  # no control registered: named
    too_far = _open(results, "mask-propagation", by_k[10], view)
    assert k not in too_far and "except k = 10" in too_far[view.target]  # outside the slider: left as it is
    other = _open(results, "tubes", table_rows(results, "tubes")[1][0], view)
    assert other[view.tab] == "Tubes" and "does not take settings from rows yet" in other[view.target]


def test_browser_real_app_row_opens_its_video_and_tab(app_url, browser_page, screenshot_dir):
    """The whole app: open the Dataset tab and the bundled results, pick a mask-propagation row of an example
    clip at k = 2; its video is chosen (the chooser describes it), its tab is selected, and, once that tab has
registered its controls (demos.tab_controls), its k slider reads 2."""
    import app

    page = browser_page
    page.goto(app_url)
    page.wait_for_function("document.querySelector('#clip-facts')?.innerText.includes('toy_left.mp4')")
    page.get_by_role("tab", name="Dataset").click()
    page.locator("#dataset-open").click()
    page.wait_for_function("document.querySelector('#dataset-summary')?.innerText.includes('rows over')")
    page.locator("#dataset-task input").click()
    page.get_by_role("option", name="mask-propagation").click()
    page.locator("#dataset-table").get_by_text("setting_k", exact=True).first.wait_for(state="visible")
    page.screenshot(path=str(screenshot_dir / "dataset_tab.png"), full_page=True)
    headers, rows = table_rows(load_results(), "mask-propagation")
    ks = [row[headers.index("setting_k")] for row in rows if row[1] == "photo_pan.mp4"]
    page.locator("#dataset-table").get_by_text("photo_pan.mp4", exact=True).nth(ks.index(2)).click()
    page.wait_for_function("document.querySelector('#dataset-target')?.innerText.includes('Mask propagation')")
    target = page.locator("#dataset-target").inner_text()
    assert "photo_pan.mp4" in target and "k = 2" in target  # not the tab's default k (5)
    page.wait_for_function("document.querySelector('#clip-facts')?.innerText.includes('photo_pan.mp4')")
    tab = page.get_by_role("tab", name="Mask propagation")
    page.wait_for_function("[...document.querySelectorAll('button[role=tab]')].some(b => "
                           "b.innerText.trim() === 'Mask propagation' && b.getAttribute('aria-selected') === 'true')")
    assert tab.get_attribute("aria-selected") == "true"
    if "k" in app_controls(app.demo, "Mask propagation"):  # once demos/mask_propagation.py registers its k
        assert page.locator("#mp-k input[type=number]").input_value() == "2"
    page.screenshot(path=str(screenshot_dir / "dataset_row_opened.png"), full_page=True)


def test_the_tab_on_a_space_refuses_other_paths_and_opens_the_bundled_ones(monkeypatch, tmp_path):
    monkeypatch.setenv("SPACE_ID", "someone/explorer")
    with gr.Blocks() as demo:
        build_tab(gr.Video())
    view = next(fn.fn.keywords["view"] for fn in demo.fns.values() if fn.name == "open_results")
    elsewhere = tmp_path / "rows"
    elsewhere.mkdir()
    with pytest.raises(gr.Error, match="public Space"):
        open_results(str(elsewhere), None, view=view)
    opened = open_results("assets/results", None, view=view)  # the textbox's own value
    assert opened[view.summary].startswith(f"{len(load_results().rows)} rows") and "/work" not in opened[view.summary]
