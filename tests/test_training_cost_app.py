"""The Training-cost tab as users and scripts reach it: the `training_cost` API, the budget refusal, the browser."""
from __future__ import annotations

import pytest
from api_steps import clip, refusal

# video, data, techniques, combination, keep_ratio, micro_batches, lora_rank, batch_size, num_frames, image_size,
# width, depth, steps, budget_mb, measure
SMALL = dict(keep_ratio=0.5, micro_batches=2, lora_rank=4, batch_size=2, num_frames=4, image_size=32, width=64,
             depth=2, steps=2, budget_mb=512, measure="peak")


def _args(video, data, techniques, combination, **overrides) -> tuple:
    """The `/training_cost` arguments in order: SMALL with `overrides`."""
    s = {**SMALL, **overrides}
    return (video, data, techniques, combination, s["keep_ratio"], s["micro_batches"], s["lora_rank"],
            s["batch_size"], s["num_frames"], s["image_size"], s["width"], s["depth"], s["steps"], s["budget_mb"],
            s["measure"])


def test_training_cost_api_on_the_chosen_clip(api_client):
    taxonomy, bars, losses, table, summary = api_client.predict(
        *_args(clip("toy_left"), "chosen clip", ["checkpointing", "lora"], ["bf16", "token_drop"]),
        api_name="/training_cost")
    rows = {row[0]: row for row in table["data"]}
    assert list(rows) == ["fp32 baseline", "activation checkpointing", "LoRA r4", "bf16 autocast + token drop 50%"]
    header = table["headers"]
    peak, stored = header.index("peak MB"), header.index("stored activations MB")
    trainable = header.index("trainable %")
    assert rows["activation checkpointing"][stored] < rows["fp32 baseline"][stored]
    assert rows["LoRA r4"][trainable] < 5 < rows["fp32 baseline"][trainable]
    assert all(row[peak] > 0 for row in rows.values())
    assert "done" in summary and "chosen clip" in summary
    for figure in (taxonomy, bars, losses):
        assert figure["type"] == "plotly"


def test_training_cost_api_refuses_an_over_budget_combination(api_client):
    over_budget = _args(None, "toy-world batch", ["bf16"], [], batch_size=16, num_frames=16, image_size=96, width=192,
                        depth=8, budget_mb=8)
    assert "memory budget is 8 MB" in refusal(api_client, "/training_cost", *over_budget)
    both = _args(None, "toy-world batch", [], ["freeze", "lora"])
    assert "either" in refusal(api_client, "/training_cost", *both)


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
