"""Steps that browser tests share: open the app, pick an example clip, open a tab."""
from __future__ import annotations

from lib.examples import Example, list_examples


def example(name: str) -> Example:
    """The bundled example called `name` (see assets/examples/manifest.json)."""
    return next(ex for ex in list_examples() if ex.name == name)


def open_with_example(page, app_url: str, name: str | None = None, tab: str | None = None) -> None:
    """Load the app, click the example `name` (default: the first) and wait for its filmstrip;
    then open the tab titled `tab`, if given."""
    page.goto(app_url)
    page.wait_for_selector("#example-gallery")
    names = [ex.name for ex in list_examples()]
    page.locator("#example-gallery .thumbnail-item").nth(names.index(name) if name else 0).click()
    page.wait_for_selector("#filmstrip img", state="visible")
    if tab:
        page.get_by_role("tab", name=tab).click()
