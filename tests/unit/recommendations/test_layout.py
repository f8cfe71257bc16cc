"""The recommender package's layers: each imports only those below it, offline research stays off the serving path,
no module imports itself back through others, and every module stays a readable size."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3] / "app" / "recommendations"
PACKAGE = "app.recommendations"
# each layer and the layers it may import; the top (facade, controller, schemas, analytics) may import any but offline
LAYERS: dict[str, set[str]] = {
    "model": {"model"},
    "serving": {"model", "serving"},
    "surfaces": {"model", "serving", "surfaces"},
    "refresh": {"model", "serving", "refresh"},
    "top": {"model", "serving", "surfaces", "refresh", "top"},
    "offline": {"model", "serving", "refresh", "offline"},
}


def _modules() -> dict[str, Path]:
    return {
        ".".join([PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]).removesuffix(".__init__"): path
        for path in sorted(ROOT.rglob("*.py"))
    }


def _layer(module: str) -> str:
    parts = module.removeprefix(PACKAGE).strip(".").split(".")
    return parts[0] if parts[0] in LAYERS and len(parts) > 1 else "top"


def _imports(path: Path) -> set[str]:
    """The app.recommendations modules `path` imports, at module level or inside a function."""
    found = set()
    known = _modules()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.add(name if name in known else node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith(PACKAGE)}
    return {name for name in found if name != PACKAGE}


GRAPH = {module: _imports(path) for module, path in _modules().items()}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_each_module_imports_only_its_own_layer_and_those_below(module: str) -> None:
    allowed = LAYERS[_layer(module)]
    upward = sorted(name for name in GRAPH[module] if _layer(name) not in allowed)
    assert upward == [], f"{module} reaches up to {upward}"


def test_the_import_graph_has_no_cycle() -> None:
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for name in sorted(GRAPH.get(module, ())):
            if state.get(name) == "open":
                pytest.fail(" -> ".join([*path, module, name]))
            if name not in state:
                visit(name, [*path, module])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [])


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_every_module_says_its_responsibility_and_stays_readable(module: str) -> None:
    path = _modules()[module]
    docstring = ast.get_docstring(ast.parse(path.read_text()))
    assert docstring and docstring.splitlines()[0].strip(), f"{module} has no docstring"
    assert len(path.read_text().splitlines()) <= 420, f"{module} is too long to read at once"
