"""The app's serving settings: model runs share a few slots, errors carry their text, uploads are capped."""
from __future__ import annotations


def test_model_runs_of_every_tab_share_the_slots():
    import app

    models = {f.api_name for f in app.demo.fns.values() if f.concurrency_id == "models"}
    assert {"tubes", "attention", "merge", "tome_encoder", "propagate", "longrange", "training_cost",
            "compare"} <= models
    assert "describe_video" not in models  # the filmstrip stays quick while models run
    assert all(f.concurrency_limit == app.MODEL_SLOTS for f in app.demo.fns.values()
               if f.concurrency_id == "models")
    private = [f for f in app.demo.fns.values() if f.api_visibility == "private"]
    assert private and all(f.concurrency_id != "models" for f in private)


def test_launch_forwards_error_text_and_caps_uploads():
    import app

    queue, launch = app.serve_options()
    assert launch["show_error"] is True and launch["max_file_size"] == app.MAX_FILE_SIZE
    assert queue["default_concurrency_limit"] == app.CONCURRENCY_LIMIT >= 2
    assert queue["max_size"] >= 8 * 4  # 8 users, each clip change fires several events
