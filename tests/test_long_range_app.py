"""The long-range tab as users and scripts reach it: the `longrange` API through gradio_client, and the browser."""
from __future__ import annotations

import pytest
from api_steps import clip, refusal


@pytest.mark.slow
def test_longrange_api_reads_a_chosen_video(api_client):
    outputs = api_client.predict(clip("toy_long"), "chosen video", 900_000, 1024, 1024, api_name="/longrange")
    summary = next(o for o in outputs if isinstance(o, str) and "tokens" in o)
    assert "toy_long.mp4" in summary and "Bounces counted by S4" in summary
    plots = [o for o in outputs if isinstance(o, dict) and o.get("type") == "plotly"]
    assert len(plots) >= 4


def test_longrange_api_refuses_a_sequence_over_the_budget(api_client):
    assert "largest length that fits is" in refusal(api_client, "/longrange", None, "long toy video", 900_000, 8192, 64)


def test_longrange_api_asks_for_a_video_when_none_is_chosen(api_client):
    assert "Choose an example clip" in refusal(api_client, "/longrange", None, "chosen video", 900_000, 1024, 1024)


@pytest.mark.slow
def test_long_range_tab_in_browser(app_url, browser_page, screenshot_dir):
    page = browser_page
    page.goto(app_url)
    page.get_by_role("tab", name="Long range").click()
    page.get_by_role("button", name="Read the video with both decoders").click()
    page.get_by_text("Bounces counted by S4", exact=False).first.wait_for(state="visible", timeout=120_000)
    page.wait_for_selector("#longrange-strip img", state="visible")
    page.wait_for_timeout(1500)  # let plotly finish drawing
    page.screenshot(path=str(screenshot_dir / "long_range_tab.png"), full_page=True)
    page.get_by_role("button", name="Measure cost curves").click()
    page.get_by_text("Largest length whose predicted attention memory fits", exact=False).first.wait_for(
        state="visible", timeout=300_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(screenshot_dir / "long_range_costs.png"), full_page=True)
    assert page.locator(".js-plotly-plot").count() >= 5
