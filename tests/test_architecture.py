"""The layer rules of the house (DESIGN.md section 3), checked on the source with ast.

- lib never imports gradio; the shared floors (video, toyworld, models, hooks, viz, ...) never import a method.
- A method package imports shared floors and never another method; compare imports other methods' faces only.
- Only render modules (render*.py) and notebook widgets draw: nothing else in lib/methods imports plotly,
  matplotlib or lib.viz; render modules never run models (no lib.models, lib.hooks or a method's model file).
- Demos import only their own method's face, lib.errors and demos.common; handlers live at module level.
- No import cycles between lib modules; no source file over 300 lines.
- Every tab's face has a usage-map docstring and a run_<tab>(video: str | Path | Clip, ...) entry point.
  (`| None` is accepted for tabs that also run on the toy world with no clip.)
"""
from __future__ import annotations

import ast
import importlib
import inspect
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
METHODS = ROOT / "lib" / "methods"
TABS = ("tubes", "attention", "token_merging", "mask_propagation", "long_range", "training_cost", "compare")
FLOORS = ("lib.video", "lib.toyworld", "lib.models", "lib.hooks", "lib.viz", "lib.errors", "lib.examples",
          "lib.frames", "lib.widgets", "lib.training")
DRAWING = ("plotly", "matplotlib", "lib.viz", "PIL.ImageDraw")
MAX_LINES = 300


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _is_module_file(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(tree: ast.AST, module: str, is_package: bool, *, type_checking: bool = False) -> set[str]:
    """Absolute names of every module imported anywhere in the file (TYPE_CHECKING blocks only if asked)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node) and not type_checking:
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names = [f"{prefix}.{alias.name}" for alias in node.names]
            found.update(names)  # submodules imported by name
            if not all(_is_module_file(name) for name in names):  # `from pkg import sub` needs no pkg edge
                found.add(prefix)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


@lru_cache(maxsize=1)
def _sources() -> dict[str, tuple[Path, set[str]]]:
    """module name -> (file, imported names) for every Python file of the project."""
    out = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0].startswith(".") or rel.parts[0] in {"notebooks", "test-output"} or "venv" in rel.parts[0]:
            continue
        module = _module_name(path)
        out[module] = (path, _imports(ast.parse(path.read_text()), module, path.name == "__init__.py"))
    return out


def _project_imports(module: str, *, type_checking: bool = False) -> set[str]:
    """The project modules (files) that `module` imports, names resolved to existing modules."""
    known = _sources()
    names = known[module][1]
    if type_checking:
        path = known[module][0]
        names = _imports(ast.parse(path.read_text()), module, path.name == "__init__.py", type_checking=True)
    return {name for name in names if name in known and name != module}


def _lib(prefix: str) -> list[str]:
    return [m for m in _sources() if m == prefix or m.startswith(prefix + ".")]


def _method_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["lib", "methods"] else None


def test_lib_never_imports_gradio():
    bad = [m for m in _lib("lib") if any(n == "gradio" or n.startswith("gradio.") for n in _sources()[m][1])]
    assert not bad, f"lib modules importing gradio: {bad}"


def test_floors_never_import_methods():
    bad = [(m, n) for floor in FLOORS for m in _lib(floor) for n in _project_imports(m) if n.startswith("lib.methods")]
    assert not bad, f"shared floors importing a method: {bad}"


def test_methods_import_no_other_method():
    bad = []
    for module in _lib("lib.methods"):
        own = _method_of(module)
        for name in _project_imports(module):
            other = _method_of(name)
            if other is None or other == own:
                continue
            if own in ("compare", "dataset") and name == f"lib.methods.{other}":
                continue  # compare and dataset (batch runs of every tab) read other methods through faces only
            bad.append((module, name))
    assert not bad, f"method modules importing another method: {bad}"


def _is_render(module: str) -> bool:
    leaf = module.rsplit(".", 1)[-1]
    return leaf.startswith("render") or leaf == "widgets"


def test_only_render_modules_draw():
    bad = [(m, n) for m in _lib("lib.methods") if not _is_render(m) and _method_of(m) != "compare"
           for n in _sources()[m][1] if any(n == d or n.startswith(d + ".") for d in DRAWING)]
    bad += [(m, n) for floor in ("lib.models", "lib.hooks", "lib.video") for m in _lib(floor)
            for n in _sources()[m][1] if any(n == d or n.startswith(d + ".") for d in DRAWING)]
    assert not bad, f"non-render modules importing plotting: {bad}"


def test_render_modules_run_no_models():
    bad = []
    for module in _lib("lib.methods"):
        if not module.rsplit(".", 1)[-1].startswith("render"):
            continue
        for name in _sources()[module][1]:
            leaf = name.rsplit(".", 1)[-1]
            if name.startswith(("lib.models", "lib.hooks")) or (
                    _method_of(name) and (leaf.startswith("model") or leaf.endswith("_model") or leaf == "task")):
                bad.append((module, name))
    assert not bad, f"render modules importing models or tasks: {bad}"


# What every tab's demo may import besides its face: error sentences and session results (common), Stop (stop),
# ZeroGPU (gpu), the registry of controls a Dataset row sets (tab_controls).
SHARED_DEMO_MODULES = {"demos.common", "demos.stop", "demos.gpu", "demos.tab_controls"}


def _demo_allowed(demo: str) -> set[str]:
    tab = demo.rsplit(".", 1)[-1]
    face = {"video_chooser": "lib.methods.overview"}.get(tab, f"lib.methods.{tab}")
    return {face, "lib.errors", *SHARED_DEMO_MODULES, "lib", "demos"}


def test_demos_import_only_their_face():
    bad = []
    for demo in _lib("demos"):
        if demo in {"demos", *SHARED_DEMO_MODULES}:
            continue
        allowed = _demo_allowed(demo)
        for name in _sources()[demo][1]:
            if name.split(".")[0] in {"lib", "demos"} and name not in allowed:
                parent = name.rsplit(".", 1)[0]
                if parent in allowed and name not in _sources():  # a name imported from an allowed module
                    continue
                bad.append((demo, name))
    assert not bad, f"demos reaching past their method's face: {bad}"


def test_demo_handlers_live_at_module_level():
    bad = []
    for demo in set(_lib("demos")) - SHARED_DEMO_MODULES:  # their decorators wrap handlers by design
        tree = ast.parse(_sources()[demo][0].read_text())
        for func in tree.body:
            if isinstance(func, ast.FunctionDef):
                bad += [f"{demo}.{func.name}.{n.name}" for n in ast.walk(func)
                        if n is not func and isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    assert not bad, f"handlers defined inside functions (make them module-level and named): {bad}"


def test_no_import_cycles():
    graph = {m: _project_imports(m, type_checking=True) for m in _lib("lib")}  # type-only imports count too
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt):] + [nxt] if nxt in stack else [node, nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_no_file_over_300_lines():
    long = {str(path.relative_to(ROOT)): n for path, _ in _sources().values()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"files over {MAX_LINES} lines: {long}"


@pytest.mark.parametrize("tab", TABS)
def test_face_has_usage_map_and_run_takes_video_first(tab):
    face = importlib.import_module(f"lib.methods.{tab}")
    assert face.__doc__ and "run_" in face.__doc__, f"lib.methods.{tab} needs a usage-map docstring"
    run = getattr(face, f"run_{tab}")
    first = next(iter(inspect.signature(run).parameters.values()))
    assert first.name == "video", f"run_{tab}'s first parameter is {first.name!r}"
    # `| None` only where the tab also runs on the toy world with no clip chosen (Long range, Training cost)
    assert str(first.annotation).replace(" ", "") in {"str|Path|Clip", "str|Path|Clip|None"}, first.annotation
    assert set(face.__all__) <= set(dir(face))
