"""The Tubes tab as users and scripts reach it: the `tubes` API through gradio_client, bad input, the browser."""
from __future__ import annotations

import pytest
from api_steps import clip, refusal
from browser_steps import open_with_example

from demos.tubes import COLUMNS, DEFAULT_ROWS


def _table(rows):
    return {"headers": COLUMNS, "data": rows, "metadata": None}


@pytest.mark.slow
def test_tubes_api_tokenises_a_chosen_video(api_client):
    outputs = api_client.predict(clip("toy_left"), "tubevit-tiny-toy", 32, 224, _table(DEFAULT_ROWS), api_name="/tubes")
    summary = next(o for o in outputs if isinstance(o, str) and "tube tokens" in o)
    assert "**539 tube tokens**" in summary and "32x224x224" in summary and "3136 dense" in summary
    label = next(o for o in outputs if isinstance(o, dict) and "confidences" in o)
    assert len(label["confidences"]) == 5
    plots = [o for o in outputs if isinstance(o, dict) and o.get("type") == "plotly"]
    assert len(plots) == 4
    table = next(o for o in outputs if isinstance(o, dict) and o.get("headers") and "tokeniser" in o["headers"])
    assert [row[1] for row in table["data"]] == [539, 3136, 6272]
    assert table["headers"][-1] == "GMACs (papers' GFLOPs)"
    assert all(abs(row[-1] - row[2] / 2) <= 0.01 for row in table["data"])  # a MAC is two of torch's FLOPs


@pytest.mark.parametrize("rows, frames, words", [
    ([[8, 8, 8, 0, 32, 32, 0, 0, 0]], 32, "zero stride"),
    ([[8, 400, 8, 16, 32, 32, 0, 0, 0]], 32, "needs 400 pixels high"),
    (DEFAULT_ROWS, 8, "needs 20 frames"),
])
def test_tubes_api_explains_bad_tubes(api_client, rows, frames, words):
    assert words in refusal(api_client, "/tubes", clip("toy_left"), "tubevit-tiny-toy", frames, 224, _table(rows))


def test_tubes_api_asks_for_a_video(api_client):
    assert "Choose an example clip" in refusal(api_client, "/tubes", None, "tubevit-tiny-toy", 32, 224,
                                               _table(DEFAULT_ROWS))


@pytest.mark.slow
def test_tubes_tab_in_browser(app_url, browser_page, screenshot_dir):
    page = browser_page
    open_with_example(page, app_url, tab="Tubes")
    page.get_by_role("button", name="Tokenise the clip and run the model").click()
    page.get_by_text("tube tokens", exact=False).first.wait_for(state="visible", timeout=120_000)
    page.wait_for_selector("#tubes-sampling img", state="visible")
    page.wait_for_selector("#tubes-pooling img", state="visible")
    page.wait_for_timeout(2000)  # let plotly finish drawing
    page.screenshot(path=str(screenshot_dir / "tubes_tab.png"), full_page=True)
    assert page.locator("#tubes-kernels img").count() >= 4
    assert page.locator(".js-plotly-plot").count() >= 4
