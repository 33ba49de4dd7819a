"""Every tutorial notebook executes headless from a clean kernel, defines nothing, stores no outputs."""
from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_clean(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not cell.get("outputs"), f"{path.name}: commit notebooks without outputs"
        for line in cell.source.splitlines():
            assert not line.lstrip().startswith(("def ", "class ")), \
                f"{path.name}: notebooks call lib and define nothing ({line.strip()})"


def _execute(path):
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path):
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    # Seen in CI and locally, about once per few suite runs and in different notebooks: kernel and
    # client both idle, a reply lost between them. A fresh kernel gets up to two more tries; a
    # notebook that is really slow or hangs fails every time.
    for attempt in range(3):
        try:
            nb = _execute(path)
            break
        except (CellTimeoutError, DeadKernelError):
            if attempt == 2:
                raise
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
