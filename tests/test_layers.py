"""The import rule of literate/index.md, read from its layer table: every import of every
module of the package, in every form, goes to a layer above (or to its own layer, with no
cycle); imports inside functions say why they are lazy; and only the store writes files."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE = REPO / "tangled_src" / "litloom"
MODULES = sorted(PACKAGE.rglob("*.py"))


def layer_table(text: str) -> tuple[dict[str, int], set[tuple[str, str]]]:
    """(group -> layer) and the (group, group) pairs that must never import, from the table."""
    layers, apart = {}, set()
    for row in re.findall(r"^\| (\d+) [^|]*\|([^|]*)\|[^|]*\|([^|]*)\|$", text, re.M):
        number, modules, never = int(row[0]), re.findall(r"`([\w.]+)`", row[1]), row[2]
        for module in modules:
            layers[f"litloom.{module}"] = number
            apart |= {(f"litloom.{module}", f"litloom.{n}") for n in re.findall(r"`([\w.]+)`", never)}
    return layers, apart


LAYERS, APART = layer_table((REPO / "literate" / "index.md").read_text(encoding="utf-8"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


KNOWN = {module_name(p) for p in MODULES}


def group(module: str) -> str:
    if module == "litloom":
        return "litloom"  # the package itself: its version only
    found = [g for g in LAYERS if module == g or module.startswith(g + ".")]
    assert found, f"{module} is in no layer of literate/index.md"
    return max(found, key=len)


def imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, module, inside a function) of every litloom import of a module, in every form:
    `import`, `from ... import`, relative imports, `from litloom import module`, and module
    paths named as strings (for importlib)."""
    here = module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        inside = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name, in_function) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert not any(a.name == "*" for a in node.names), f"{here}: star import"
            base = node.module or ""
            if node.level:
                package = here.split(".") if path.name == "__init__.py" else here.split(".")[:-1]
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                name = f"{base}.{alias.name}"
                found.append((node.lineno, name if name in KNOWN else base, in_function))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            name = node.value.split(":")[0]
            if name in KNOWN and name != here:
                found.append((node.lineno, name, in_function))
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return [(line, name, inner) for line, name, inner in found if name.split(".")[0] == "litloom"]


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_imports_follow_the_layers(path: Path) -> None:
    here = group(module_name(path))
    for line, name, _ in imports(path):
        there = group(name)
        if there == here or there == "litloom":
            continue
        assert LAYERS[there] <= LAYERS[here], f"{path.name}:{line}: {here} imports {there}"
        assert (here, there) not in APART, f"{path.name}:{line}: {here} imports {there}"


def test_no_cycle_between_modules_of_one_layer() -> None:
    edges: dict[str, set[str]] = {}
    for path in MODULES:
        here = group(module_name(path))
        for _, name, _ in imports(path):
            there = group(name)
            if there not in (here, "litloom") and LAYERS[there] == LAYERS[here]:
                edges.setdefault(here, set()).add(there)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n}))
                   for n in edges.get(start, ()))

    assert not [g for g in edges if reaches(g, g, set())]


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_imports_inside_functions_say_why(path: Path) -> None:
    """A litloom import inside a function is lazy on purpose, and says so (`# lazy:`)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for line, name, inside in imports(path):
        if not inside or '"' in lines[line - 1] or "'" in lines[line - 1]:
            continue  # a module path named as a string (a registry entry) is not an import
        said = lines[line - 1] + lines[line - 2]
        assert "# lazy:" in said, f"{path.name}:{line}: import of {name} inside a function"


def test_the_table_covers_every_module() -> None:
    assert {group(module_name(p)) for p in MODULES} <= {*LAYERS, "litloom"}


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    """The test itself: `from litloom import cli` in the model is caught."""
    model = tmp_path / "litloom" / "model.py"
    model.parent.mkdir()
    model.write_text("def f():\n    from litloom import cli  # lazy: a test\n")
    here = group("litloom.model")
    tree = ast.parse(model.read_text())
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    name = f"{node.module}.{node.names[0].name}"
    assert name in KNOWN and LAYERS[group(name)] > LAYERS[here]


WRITERS = re.compile(
    r"\.(write_text|write_bytes|unlink|rmdir|mkdir|touch|rename|replace)\(|"
    r"\bos\.(replace|rename|remove|unlink|open|makedirs|mkdir|link)\(|"
    r"\bshutil\.\w+\(|\bopen\([^)]*['\"][wax+]"
)


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_only_the_store_writes_files(path: Path) -> None:
    """Every file litloom writes goes through the store's transaction."""
    if module_name(path).startswith("litloom.store"):
        return
    code = path.read_text(encoding="utf-8")
    tree = ast.parse(code)
    strings = {(n.lineno, n.end_lineno) for n in ast.walk(tree)
               if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    for number, line in enumerate(code.splitlines(), start=1):
        if any(a <= number <= b for a, b in strings) or line.lstrip().startswith("#"):
            continue  # text in a string or a comment (the diagram prelude runs elsewhere)
        found = WRITERS.search(line.replace(".replace(", "").replace("str.replace", ""))
        assert found is None, f"{path.name}:{number}: writes a file outside the store: {line.strip()}"


PRINTS = re.compile(r"\bprint\(|\bclick\.echo\(|\bsys\.(stdout|stderr)\.write\(")
INTERFACE = ("litloom.cli", "litloom.commands")


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_library_code_prints_nothing(path: Path) -> None:
    """Only the command line prints; library code tells a reporter (literate/report.md)."""
    if module_name(path).startswith(INTERFACE):
        return
    code = path.read_text(encoding="utf-8")
    strings = {(n.lineno, n.end_lineno) for n in ast.walk(ast.parse(code))
               if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    for number, line in enumerate(code.splitlines(), start=1):
        if any(a <= number <= b for a, b in strings):
            continue  # the diagram prelude, run in another process, prints its result
        if path.name == "tracebacks.py" and "format_exception(error.with_traceback" in line:
            continue  # the excepthook `install` gives a program: printing is its job
        assert not PRINTS.search(line), f"{path.name}:{number}: prints: {line.strip()}"


@pytest.mark.parametrize("path", MODULES, ids=[module_name(p) for p in MODULES])
def test_only_the_layout_names_build_paths(path: Path) -> None:
    """Every path under build/ is named in litloom/layout.py (literate/layout.md)."""
    if module_name(path) in ("litloom.layout", "litloom.config"):
        return
    code = path.read_text(encoding="utf-8")
    assert not re.search(r"\.build_dir\b", code), f"{path.name}: spells a build path itself"
    assert not re.search(r"""/ ["'](litloom|docs|site|runs)["']""", code), path.name
