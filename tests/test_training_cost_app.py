"""The Training-cost tab as users and scripts reach it: the `training_cost` API, the budget refusal, the browser."""
from __future__ import annotations

import pytest

from lib.examples import list_examples

# video, data, techniques, combination, keep_ratio, micro_batches, lora_rank, batch_size, num_frames, image_size,
# width, depth, steps, budget_mb, measure
SMALL = dict(keep_ratio=0.5, micro_batches=2, lora_rank=4, batch_size=2, num_frames=4, image_size=32, width=64,
             depth=2, steps=2, budget_mb=512, measure="peak")


def _call(client, video, data, techniques, combination, **overrides):
    s = {**SMALL, **overrides}
    return client.predict(video, data, techniques, combination, s["keep_ratio"], s["micro_batches"], s["lora_rank"],
                          s["batch_size"], s["num_frames"], s["image_size"], s["width"], s["depth"], s["steps"],
                          s["budget_mb"], s["measure"], api_name="/training_cost")


def test_training_cost_api_on_the_chosen_clip(app_url):
    from gradio_client import Client, handle_file

    example = next(e for e in list_examples() if e.name.startswith("toy_"))
    client = Client(app_url, verbose=False)
    taxonomy, bars, losses, table, summary = _call(client, handle_file(str(example.path)), "chosen clip",
                                                   ["checkpointing", "lora"], ["bf16", "token_drop"])
    rows = {row[0]: row for row in table["data"]}
    assert list(rows) == ["fp32 baseline", "activation checkpointing", "LoRA r4", "bf16 autocast + token drop 50%"]
    header = table["headers"]
    peak, stored, trainable = header.index("peak MB"), header.index("stored activations MB"), header.index("trainable %")
    assert rows["activation checkpointing"][stored] < rows["fp32 baseline"][stored]
    assert rows["LoRA r4"][trainable] < 5 < rows["fp32 baseline"][trainable]
    assert all(row[peak] > 0 for row in rows.values())
    assert "done" in summary and "chosen clip" in summary
    for figure in (taxonomy, bars, losses):
        assert figure["type"] == "plotly"


def test_training_cost_api_refuses_an_over_budget_combination(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    with pytest.raises(Exception, match="memory budget is 8 MB"):
        _call(client, None, "toy-world batch", ["bf16"], [], batch_size=16, num_frames=16, image_size=96,
              width=192, depth=8, budget_mb=8)
    with pytest.raises(Exception, match="either"):
        _call(client, None, "toy-world batch", [], ["freeze", "lora"])


@pytest.mark.slow
def test_training_cost_tab_in_browser(app_url, browser_page, screenshot_dir):
    page = browser_page
    page.goto(app_url)
    page.wait_for_selector("#example-gallery")
    page.get_by_role("tab", name="Training cost").click()
    page.locator("#training-cost-run").click()
    page.get_by_text("done", exact=True).first.wait_for(state="visible", timeout=300_000)
    page.wait_for_selector("#training-cost-taxonomy .main-svg", state="visible")
    page.wait_for_selector("#training-cost-bars .main-svg", state="visible")
    page.wait_for_timeout(2000)  # let plotly finish drawing
    page.screenshot(path=str(screenshot_dir / "training_cost_tab.png"), full_page=True)
    assert page.locator("#training-cost-table").get_by_text("LoRA r4").count() >= 1
