"""A visitor uploads a real-looking clip: the Tubes tab says in one line what its toy model cannot tell, and one
click switches the model to TubeViT-B (issue 17, item 6); the Compare tab says the same of its toy models."""
from __future__ import annotations

import pytest

from lib.toyworld import photo_pan_clip
from lib.video import write_mp4


@pytest.mark.slow
def test_upload_real_clip_shows_notice_and_one_click_switch(app_url, browser_page, screenshot_dir, tmp_path,
                                                            monkeypatch):
    monkeypatch.delenv("SPACE_ID", raising=False)  # not a Space: the toy model stays chosen, the switch is offered
    clip = write_mp4(photo_pan_clip(num_frames=50, height=180, width=320, seed=5).frames, tmp_path / "street.mp4")
    page = browser_page
    page.goto(app_url)
    page.wait_for_selector("#filmstrip img", state="visible")
    page.get_by_role("tab", name="Tubes").click()
    notice, switch = page.locator("#tubes-real-notice"), page.locator("#tubes-use-pretrained")
    assert not notice.is_visible() and not switch.is_visible()  # the first example is a toy clip

    with page.expect_file_chooser() as chooser:
        page.locator("#upload-video").click()
    chooser.value.set_files(str(clip))
    page.wait_for_function("document.querySelector('#clip-facts').innerText.includes('street.mp4')")
    notice.get_by_text("Real video, toy model").wait_for(state="visible")
    text = notice.inner_text().strip()
    assert "TubeViT-tiny" in text and "but not its motion class" in text and "\n" not in text
    assert switch.is_visible() and "downloads ~346 MB once" in switch.inner_text()
    page.screenshot(path=str(screenshot_dir / "real_video_notice.png"), full_page=True)

    switch.click()
    notice.wait_for(state="hidden")
    model = page.get_by_label("Model").first
    page.wait_for_function("""() => [...document.querySelectorAll('input')]
        .some(i => i.value === 'tubevit-b-from-vit-in1k')""")
    assert model.input_value() == "tubevit-b-from-vit-in1k"
    assert not switch.is_visible()

    page.get_by_role("tab", name="Compare").click()  # its default comparison runs the toy segmentor
    compare_notice = page.locator("#compare-real-notice")
    compare_notice.get_by_text("Real video, toy models").wait_for(state="visible")
    assert "but not their masks and mIoU" in compare_notice.inner_text()
