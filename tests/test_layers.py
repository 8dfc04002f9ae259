"""The import rule of literate/index.md: each layer imports only from the layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "tangled_src" / "litloom"
LAYERS = {  # module prefix -> layer, as in the table of literate/index.md
    "litloom.errors": 0, "litloom.model": 0, "litloom.languages": 0, "litloom": 0,
    "litloom.config": 1, "litloom.readers": 1,
    "litloom.tangle": 2, "litloom.store": 2,
    "litloom.pipeline": 3, "litloom.scaffold": 3,
    "litloom.diagnostics": 4, "litloom.runbooks": 4, "litloom.sync": 4, "litloom.importers": 4, "litloom.weave": 5, "litloom.testing": 6,
    "litloom.cli": 7, "litloom.__main__": 8,
}
APART = {("litloom.store", "litloom.tangle"), ("litloom.store", "litloom.readers"),
         ("litloom.store", "litloom.config")}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _group(module: str) -> str:
    return max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len)


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert not any(alias.name == "*" for alias in node.names), "star import"
            found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.split(".")[0] == "litloom"]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[_module(p) for p in MODULES])
def test_imports_follow_the_layers(path: Path) -> None:
    here = _group(_module(path))
    for line, name in _imports(path):
        there = _group(name)
        if there == here or name == "litloom" and here != "litloom":
            continue  # within one group, or the package's version
        assert LAYERS[there] < LAYERS[here], f"{path.name}:{line}: {here} imports {there}"
        assert (here, there) not in APART, f"{path.name}:{line}: {here} imports {there}"
