"""Each tab's controls by the run_<tab> keyword they feed, so that another tab can set them (the Dataset tab:
a row's settings -> that tab's controls, the numbers of the row when the tab runs).

    # in a tab's build_tab, once its controls exist (inside app.py's `with gr.Tab(title)`):
    register("Mask propagation", segmentor=segmentor, flow=flow, k=k)
    register("Long range", budget_mb=budget, also={source: "chosen video"})   # also: fixed values to set
    # in a tab built after them (the Dataset tab is the last of app.TABS), at build time:
    tabs = registered_tabs()                       # title -> TabControls, kept for the handlers
    outputs = all_components(tabs)                 # every registered control, once (an event's outputs)
    # in its handler:
    updates, skipped = settings_updates(tabs.get("Mask propagation"), {"k": 5, "flow": "dis"})

The registry is kept per gr.Blocks being built (a second app or a test's Blocks has its own); a tab that has
not registered is left as it is, and a value its control cannot take (not among a dropdown's choices, outside
a slider's range) is skipped and named, not forced.
"""
from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

import gradio as gr
from gradio.components import Component
from gradio.context import Context


@dataclass(frozen=True)
class TabControls:
    """One tab's controls: keyword of run_<tab> -> component; also: component -> value set with any row."""

    title: str
    controls: Mapping[str, Component]
    also: Mapping[Component, object] = field(default_factory=dict)


    def components(self) -> list[Component]:
        return [*self.controls.values(), *self.also]


_REGISTRY: weakref.WeakKeyDictionary[gr.Blocks, dict[str, TabControls]] = weakref.WeakKeyDictionary()


def _building() -> dict[str, TabControls]:
    root = Context.root_block
    if root is None:
        raise RuntimeError("tab_controls.register / registered_tabs are called while a gr.Blocks is being built")
    return _REGISTRY.setdefault(root, {})


def register(title: str, *, also: Mapping[Component, object] | None = None, **controls: Component) -> None:
    """Tab `title` (as in app.TABS) takes settings into `controls` (keyword of run_<tab> -> component)."""
    _building()[title] = TabControls(title, dict(controls), dict(also or {}))


def registered_tabs() -> dict[str, TabControls]:
    """title -> TabControls of the tabs registered so far in the Blocks being built (a copy to keep)."""
    return dict(_building())


def all_components(tabs: Mapping[str, TabControls]) -> list[Component]:
    """Every control and `also` component of `tabs`, each once, in registration order (an event's outputs)."""
    seen: dict[int, Component] = {}
    for tab in tabs.values():
        for component in tab.components():
            seen.setdefault(component._id, component)
    return list(seen.values())


def _fits(component: Component, value: object) -> bool:
    """Whether `component` can show `value`: among its choices, within its range, or any value otherwise."""
    choices = getattr(component, "choices", None)
    if choices:
        return value in [c[1] if isinstance(c, tuple) else c for c in choices]
    low, high = getattr(component, "minimum", None), getattr(component, "maximum", None)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (low is None or value >= low) and (high is None or value <= high)
    return True


def settings_updates(tab: TabControls | None, settings: Mapping[str, object]
                     ) -> tuple[dict[Component, object], list[str]]:
    """({component: value} putting `settings` into `tab`'s controls, the keywords skipped: no control for
    them, or a value the control cannot take). A tab that has not registered (None): ({}, every keyword)."""
    if tab is None:
        return {}, list(settings)
    updates: dict[Component, object] = dict(tab.also)
    skipped = []
    for keyword, value in settings.items():
        component = tab.controls.get(keyword)
        if component is None or not _fits(component, value):
            skipped.append(keyword)
        else:
            updates[component] = value
    return updates, skipped


def tab_controls_of(root: gr.Blocks) -> dict[str, TabControls]:
    """title -> TabControls registered while `root` was built (tests and tools look at a built app)."""
    return dict(_REGISTRY.get(root, {}))
