"""The chooser as a person uses it: upload a broken file, read the error; pick an example, see frames."""
from __future__ import annotations

import pytest
from browser_steps import open_with_example

from lib.video import VideoError, load_clip


def test_chooser_in_browser(app_url, browser_page, screenshot_dir, tmp_path):
    page = browser_page
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    with pytest.raises(VideoError) as err:
        load_clip(str(bad))
    sentence = str(err.value)

    page.goto(app_url)
    page.wait_for_selector("#example-gallery")
    with page.expect_file_chooser() as chooser:  # the first example is chosen; the button replaces it
        page.locator("#upload-video").click()
    chooser.value.set_files(str(bad))
    toast = page.get_by_text(sentence[:40], exact=False).first
    toast.wait_for(state="visible")
    page.wait_for_timeout(600)  # let the toast finish fading in before the picture
    page.screenshot(path=str(screenshot_dir / "chooser_error.png"), full_page=True)

    open_with_example(page, app_url)
    page.wait_for_selector("#clip-facts :text('frames sampled')")
    page.screenshot(path=str(screenshot_dir / "chooser_example.png"), full_page=True)
    assert page.locator("#chosen-video video").count() == 1


def test_page_starts_with_the_first_example_chosen(app_url, browser_page, screenshot_dir):
    """No click needed: the first example is the chosen video, its filmstrip shows, a main button works at once."""
    page = browser_page
    page.goto(app_url)
    page.wait_for_selector("#filmstrip img", state="visible")
    page.wait_for_function("document.querySelector('#clip-facts').innerText.includes('toy_left.mp4')")
    assert page.locator("#chosen-video video").count() == 1
    page.get_by_role("tab", name="Tubes").click()
    page.get_by_role("button", name="Tokenise the clip and run the model").click()
    page.locator("text=tube tokens").first.wait_for(timeout=120_000)
    page.screenshot(path=str(screenshot_dir / "page_starts_ready.png"), full_page=True)
    assert page.get_by_text("Choose an example clip").count() == 0
