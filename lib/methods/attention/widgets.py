"""ipywidgets for the attention notebook: the same render functions as the Attention tab.

    query_picker(result)     sliders for layer, head, frame, y, x -> where that patch attends
    local_vs_global(result)  one frame slider under local | global panels sharing one colour scale
"""
from __future__ import annotations

import ipywidgets as widgets

from lib.methods.attention.render import render_compare, render_query
from lib.methods.attention.result import AttentionResult
from lib.widgets import image_widget, png_bytes


def _sliders(result: AttentionResult, frame: int | None = None) -> dict[str, widgets.Widget]:
    side = result.frames.shape[1] - 1
    heads = ["mean"] + [str(h) for h in range(min(layer.num_heads for layer in result.main.layers))]
    middle = len(result.frames) // 2 if frame is None else frame
    return {
        "layer": widgets.IntSlider(0, 0, len(result.main.layers) - 1, description="layer", continuous_update=False),
        "head": widgets.Dropdown(options=heads, value="mean", description="head"),
        "frame": widgets.IntSlider(middle, 0, len(result.frames) - 1, description="query frame",
                                   continuous_update=False),
        "y": widgets.IntSlider(side // 2, 0, side, description="query y", continuous_update=False),
        "x": widgets.IntSlider(side // 2, 0, side, description="query x", continuous_update=False),
    }


def _values(controls: dict[str, widgets.Widget]) -> dict:
    head = controls["head"].value
    return {"layer": controls["layer"].value, "head": None if head == "mean" else int(head),
            "frame": controls["frame"].value, "y": controls["y"].value, "x": controls["x"].value}


def query_picker(result: AttentionResult, *, count: int = 8) -> widgets.VBox:
    """Sliders choosing a layer, head and query patch, over the picture `render_query` draws."""
    controls = _sliders(result)
    view = image_widget(render_query(result, count=count, **_values(controls)))

    def update(_change: dict) -> None:
        view.value = png_bytes(render_query(result, count=count, **_values(controls)))

    for control in controls.values():
        control.observe(update, names="value")
    return widgets.VBox([widgets.HBox(list(controls.values())[:2]), widgets.HBox(list(controls.values())[2:]), view])


def local_vs_global(result: AttentionResult) -> widgets.VBox:
    """Query sliders plus one frame slider; local (left) and global twin (right) share one colour scale."""
    controls = _sliders(result)
    shown = widgets.IntSlider(controls["frame"].value, 0, len(result.frames) - 1, description="frame shown",
                              continuous_update=False)
    view = image_widget(render_compare(result, shown_frame=shown.value, **_values(controls)))

    def update(_change: dict) -> None:
        view.value = png_bytes(render_compare(result, shown_frame=shown.value, **_values(controls)))

    for control in [*controls.values(), shown]:
        control.observe(update, names="value")
    return widgets.VBox([widgets.HBox(list(controls.values())[:3]), widgets.HBox([*list(controls.values())[3:], shown]),
                         view])
