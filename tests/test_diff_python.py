"""loom diff's Python semantics and public API: definitions added, removed and changed,
signatures, behaviour-neutral and docstring-only changes, each breakage kind griffe finds,
each at the literate line that defines the object, on its side."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PYPROJECT, chunk
from litloom.diff.model import Change
from litloom.diff.python import python_changes
from litloom.project import Project as LitProject
from litloom.project import open_project

MOD = "literate/mod.md"


def make(root: Path, documents: dict[str, str]) -> LitProject:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    for relative, text in documents.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return open_project(root, use_traces=False)


def chapter(code: str, target: str = "pkg/mod.py", init: str | None = '"""The package."""') -> str:
    """A chapter whose first chunk makes `target`, its code from literate line 4 (see `at`),
    then, unless `init` is None, the package's `__init__`."""
    text = "# Mod\n\n" + chunk(f"python {{file={target}}}", *code.splitlines())
    if init is not None:
        text += "\n" + chunk("python {file=pkg/__init__.py}", *init.splitlines())
    return text


def at(line: int) -> int:
    """The literate line of line `line` of the code that `chapter` puts in its first chunk."""
    return line + 3


def diff(tmp_path: Path, old: str, new: str, **more: str) -> list[Change]:
    before = make(tmp_path / "old", {MOD: chapter(old), **more})
    after = make(tmp_path / "new", {MOD: chapter(new), **more})
    return python_changes(before, after)


def python(changes: list[Change]) -> list[tuple[str, str, str, int, str]]:
    return [(c.kind, c.subject, c.side, c.line, c.detail) for c in changes if c.level == "python"]


def breaks(changes: list[Change]) -> list[tuple[str, str, str, int]]:
    return [(c.fact("breakage"), c.subject, c.side, c.line) for c in changes if c.level == "api"]


# Definitions added, removed, changed

FEW = "import os\n\n\nclass Box:\n    pass\n"
MANY = """import os


class Box:
    size = 1

    def area(self):
        return self.size


class Bag:
    pass


def make():
    return Box()


LIMIT = 3
"""
ADDED = [
    ("pkg.mod:Box.size", 5, "attribute"),
    ("pkg.mod:Box.area", 7, "method"),
    ("pkg.mod:Bag", 11, "class"),
    ("pkg.mod:make", 15, "function"),
    ("pkg.mod:LIMIT", 19, "name"),
]


def test_each_kind_of_definition_added_is_located_on_the_new_side(tmp_path: Path) -> None:
    changes = diff(tmp_path, FEW, MANY)
    expected = [("definition-added", s, "new", at(n), f"{k} added") for s, n, k in ADDED]
    assert python(changes) == expected
    assert all(c.chapter == MOD for c in changes)
    assert [c.fact("definition") for c in changes if c.level == "python"] == [k for *_, k in ADDED]


def test_each_kind_of_definition_removed_is_located_on_the_old_side(tmp_path: Path) -> None:
    changes = diff(tmp_path, MANY, FEW)
    expected = [("definition-removed", s, "old", at(n), f"{k} removed") for s, n, k in ADDED]
    assert python(changes) == expected


def test_each_kind_of_definition_changed_says_what_changed(tmp_path: Path) -> None:
    old = MANY.replace("class Box:", "class Box(object):")
    new = (
        MANY.replace("import os", "import sys")
        .replace("class Box:", "class Box(dict):")
        .replace("size = 1", "size = 2")
        .replace("return self.size", "return self.size * 2")
        .replace("return Box()", "return Box(size=1)")
        .replace("LIMIT = 3", "LIMIT = 4\nprint(LIMIT)")
    )
    changes = diff(tmp_path, old, new)
    assert python(changes) == [
        (
            "definition-changed",
            "pkg.mod",
            "new",
            at(1),
            "imports +sys -os; module-level code changed",
        ),
        ("definition-changed", "pkg.mod:Box", "new", at(4), "bases: (object) → (dict)"),
        ("definition-changed", "pkg.mod:Box.size", "new", at(5), "size = 1 → size = 2"),
        ("definition-changed", "pkg.mod:Box.area", "new", at(7), "body changed"),
        ("definition-changed", "pkg.mod:make", "new", at(15), "body changed"),
        ("definition-changed", "pkg.mod:LIMIT", "new", at(19), "LIMIT = 3 → LIMIT = 4"),
    ]
    module = next(c for c in changes if c.subject == "pkg.mod")
    assert (module.fact("imports-added"), module.fact("imports-removed")) == ("sys", "os")
    limit = next(c for c in changes if c.subject == "pkg.mod:LIMIT")
    assert (limit.fact("old-value"), limit.fact("new-value")) == ("LIMIT = 3", "LIMIT = 4")
    assert not any(c.neutral or c.docstring for c in changes)


def test_a_definition_that_becomes_another_kind_says_so(tmp_path: Path) -> None:
    changes = diff(tmp_path, "def f():\n    pass\n", "f = 1\n")
    assert python(changes) == [
        ("definition-changed", "pkg.mod:f", "new", at(1), "function became name")
    ]


@pytest.mark.parametrize(
    ("old", "new", "old_signature", "new_signature"),
    [
        ("def f(a):\n    return a\n", "def f(a, b=1):\n    return a\n", "(a)", "(a, b=1)"),
        ("def f(a=1):\n    return a\n", "def f(a=2):\n    return a\n", "(a=1)", "(a=2)"),
        (
            "def f(a):\n    return a\n",
            "def f(a: int) -> int:\n    return a\n",
            "(a)",
            "(a: int) -> int",
        ),
        ("def f(a):\n    return a\n", "async def f(a):\n    return a\n", "(a)", "async (a)"),
        (
            "def f(a, b):\n    return a\n",
            "def f(a, /, *, b):\n    return a\n",
            "(a, b)",
            "(a, /, *, b)",
        ),
    ],
)
def test_a_changed_signature_gives_the_old_and_the_new(
    tmp_path: Path, old: str, new: str, old_signature: str, new_signature: str
) -> None:
    [change] = [c for c in diff(tmp_path, old, new) if c.level == "python"]
    assert (change.kind, change.subject, change.side, change.line) == (
        "signature-changed",
        "pkg.mod:f",
        "new",
        at(1),
    )
    assert change.detail == f"signature: {old_signature} → {new_signature}"
    assert (change.fact("old-signature"), change.fact("new-signature")) == (
        old_signature,
        new_signature,
    )
    assert change.fact("changed") == "signature" and not change.neutral


def test_a_method_s_signature_is_one_too_and_a_decorated_one_is_at_its_def_line(
    tmp_path: Path,
) -> None:
    old = "class C:\n    @staticmethod\n    def m(a):\n        return a\n"
    new = "class C:\n    @staticmethod\n    def m(a, b):\n        return a + b\n"
    [change] = [c for c in diff(tmp_path, old, new) if c.level == "python"]
    assert (change.kind, change.subject, change.line) == ("signature-changed", "pkg.mod:C.m", at(3))
    assert change.fact("changed") == "signature, body"


# Behaviour-neutral and docstring-only changes


def test_reformatting_and_comments_are_neutral(tmp_path: Path) -> None:
    old = "import os\n\n\ndef f(a, b):\n    return os.path.join(a, b)\n\n\nclass C:\n    x = 1\n    y = 2\n"
    new = (
        "import os  # the system\n\n\ndef f(\n    a,\n    b,\n):\n    # join them\n"
        "    return os.path.join(\n        a, b\n    )\n\n\nclass C:\n    x = 1\n\n    # y\n    y = 2\n"
    )
    changes = diff(tmp_path, old, new)
    assert python(changes) == [
        ("definition-changed", "pkg.mod", "new", at(1), "formatting or comments only"),
        ("definition-changed", "pkg.mod:f", "new", at(4), "formatting or comments only"),
        ("definition-changed", "pkg.mod:C", "new", at(14), "formatting or comments only"),
    ]
    assert all(c.neutral and not c.docstring for c in changes)
    assert breaks(changes) == []


def test_blank_lines_between_definitions_and_a_lone_pass_are_no_change(tmp_path: Path) -> None:
    old = "class C:\n    pass\n\n\ndef f():\n    pass\n"
    new = "class C:\n    def m(self):\n        return 1\n\n\n\n\ndef f():\n    pass\n"
    assert python(diff(tmp_path, old, new)) == [
        ("definition-added", "pkg.mod:C.m", "new", at(2), "method added")
    ]


@pytest.mark.parametrize(
    ("old", "new", "subject", "line"),
    [
        (
            'def f():\n    "Old."\n    return 1\n',
            'def f():\n    "New."\n    return 1\n',
            "pkg.mod:f",
            1,
        ),
        ("def f():\n    pass\n", 'def f():\n    """Added."""\n', "pkg.mod:f", 1),
        ("class C:\n    x = 1\n", 'class C:\n    """Doc."""\n\n    x = 1\n', "pkg.mod:C", 1),
        ("class C:\n    x = 1\n", 'class C:\n    x = 1\n    """The x."""\n', "pkg.mod:C", 1),
        ("X = 1\n", '"""The module."""\n\nX = 1\n', "pkg.mod", 1),
        ('X = 1\n"""An X."""\n', 'X = 1\n"""The X."""\n', "pkg.mod", 2),
        ("def f():\n    return u'x'\n", "def f():\n    'Doc.'\n    return 'x'\n", "pkg.mod:f", 1),
    ],
)
def test_docstring_only_changes_are_neutral_and_said(
    tmp_path: Path, old: str, new: str, subject: str, line: int
) -> None:
    changes = diff(tmp_path, old, new)
    assert python(changes) == [("definition-changed", subject, "new", at(line), "docstring only")]
    assert all(c.neutral and c.docstring for c in changes) and breaks(changes) == []


def test_a_docstring_changed_with_the_body_is_not_neutral(tmp_path: Path) -> None:
    old = 'def f():\n    "Old."\n    return 1\n'
    [change] = diff(tmp_path, old, 'def f():\n    "New."\n    return 2\n')
    assert (change.kind, change.detail, change.neutral, change.docstring) == (
        "definition-changed",
        "body changed",
        False,
        False,
    )


# Modules


def test_a_module_added_or_removed_comes_with_its_definitions(tmp_path: Path) -> None:
    extra = chapter("def tool():\n    pass\n", target="pkg/extra.py", init=None)
    before = make(tmp_path / "old", {MOD: chapter("X = 1\n")})
    after = make(tmp_path / "new", {MOD: chapter("X = 1\n"), "literate/extra.md": extra})
    added = python(python_changes(before, after))
    assert added == [
        ("definition-added", "pkg.extra", "new", at(1), "module added"),
        ("definition-added", "pkg.extra:tool", "new", at(1), "function added"),
    ]
    removed = python_changes(after, before)
    assert [(c.kind, c.subject, c.side) for c in removed] == [
        ("api-break", "pkg.extra", "old"),
        ("definition-removed", "pkg.extra", "old"),
        ("definition-removed", "pkg.extra:tool", "old"),
    ]
    assert all(c.chapter == "literate/extra.md" for c in removed)


def test_a_definition_is_located_in_the_chapter_that_writes_it(tmp_path: Path) -> None:
    def documents(body: str) -> dict[str, str]:
        helpers = "# Helpers\n\nSome prose.\n\n" + chunk("python {#helpers}", *body.splitlines())
        return {MOD: chapter("X = 1\n\n\n<<helpers>>\n"), "literate/helpers.md": helpers}

    before = make(tmp_path / "old", documents("def h():\n    return 1\n"))
    after = make(tmp_path / "new", documents("def h():\n    return 2\n"))
    [change] = python_changes(before, after)
    assert (change.subject, change.chapter, change.line) == ("pkg.mod:h", "literate/helpers.md", 6)


def test_the_same_code_elsewhere_in_the_book_is_no_change(tmp_path: Path) -> None:
    code = "def f(a):\n    return a\n"
    before = make(tmp_path / "old", {MOD: chapter(code)})
    after = make(tmp_path / "new", {"literate/moved.md": "# Moved\n\nProse.\n\n" + chapter(code)})
    assert python_changes(before, after) == []


def test_other_languages_targets_are_not_compared(tmp_path: Path) -> None:
    def documents(script: str) -> dict[str, str]:
        return {MOD: chapter("X = 1\n"), "literate/run.md": chunk("bash {file=run.sh}", script)}

    before = make(tmp_path / "old", documents("echo one"))
    after = make(tmp_path / "new", documents("echo two"))
    assert python_changes(before, after) == []


def test_modules_are_named_by_their_packages(tmp_path: Path) -> None:
    documents = {
        "literate/a.md": chunk("python {file=src/app/__init__.py}", "")
        + chunk("python {file=src/app/core.py}", "X = 1")
        + chunk("python {file=scripts/run.py}", "Y = 1"),
    }
    before = make(tmp_path / "old", documents)
    changed = {k: v.replace("= 1", "= 2") for k, v in documents.items()}
    after = make(tmp_path / "new", changed)
    assert {c.subject for c in python_changes(before, after)} == {"app.core:X", "run:Y"}


# Files that do not parse


def test_a_module_that_does_not_parse_is_one_located_change(tmp_path: Path) -> None:
    good, bad = "def f():\n    return 1\n", "def f():\n    return 1\n\n\ndef g(:\n    pass\n"
    [change] = diff(tmp_path, good, bad)
    assert (change.kind, change.subject, change.side, change.chapter, change.line) == (
        "definition-changed",
        "pkg.mod",
        "new",
        MOD,
        at(5),
    )
    assert change.detail.startswith("does not parse on the new side: ")
    assert change.detail.endswith("(line 6 of pkg/mod.py)")  # the header is line 1
    assert change.fact("problem") == "does not parse"
    [fixed] = diff(tmp_path / "again", bad, good)
    assert (fixed.kind, fixed.side, fixed.line) == ("definition-changed", "old", at(5))


def test_a_module_broken_alike_on_both_sides_is_no_change(tmp_path: Path) -> None:
    broken = "def g(:\n    pass\n"
    documents = {"literate/broken.md": chapter(broken, target="pkg/broken.py", init=None)}
    changes = diff(tmp_path, "def f(a):\n    pass\n", "def f():\n    pass\n", **documents)
    assert breaks(changes) == [("PARAMETER_REMOVED", "pkg.mod:f", "new", at(1))]
    assert all(c.subject.startswith("pkg.mod:") for c in changes)


def test_a_new_module_that_does_not_parse_is_added_and_api_still_compared(tmp_path: Path) -> None:
    broken = {"literate/broken.md": chapter("def g(:\n", target="pkg/broken.py", init=None)}
    before = make(tmp_path / "old", {MOD: chapter("def f(a):\n    pass\n")})
    after = make(tmp_path / "new", {MOD: chapter("def f():\n    pass\n"), **broken})
    changes = python_changes(before, after)
    assert [(c.kind, c.subject, c.side) for c in changes] == [
        ("definition-added", "pkg.broken", "new"),  # literate/broken.md
        ("api-break", "pkg.mod:f", "new"),
        ("signature-changed", "pkg.mod:f", "new"),
    ]


def test_a_side_without_every_target_s_text_is_refused_as_a_bug(tmp_path: Path) -> None:
    """A tangle that reused clean targets holds only the texts it rendered."""
    whole = make(tmp_path / "whole", {MOD: chapter("X = 1\n")})
    partial = make(tmp_path / "partial", {MOD: chapter("X = 1\n")})
    del partial.tangled.files["pkg/mod.py"]
    with pytest.raises(ValueError, match=r"the new side lacks tangled texts \(use_traces=False\)"):
        python_changes(whole, partial)


# Public API breakages, each kind, at the literate line that defines the object

HEAD = "import functools\n\n\n"  # so that definitions start at line 4
BREAKAGES = [
    ("OBJECT_REMOVED", "def f():\n    pass\n\n\ndef g():\n    pass\n", "def g():\n    pass\n", "pkg.mod:f", "old", 4),
    ("OBJECT_REMOVED", "class C:\n    def m(self):\n        pass\n", "class C:\n    x = 1\n", "pkg.mod:C.m", "old", 5),
    ("OBJECT_CHANGED_KIND", "def f():\n    pass\n", "class f:\n    pass\n", "pkg.mod:f", "new", 4),
    ("PARAMETER_REMOVED", "def f(a, b):\n    pass\n", "def f(a):\n    pass\n", "pkg.mod:f", "new", 4),
    ("PARAMETER_MOVED", "def f(a, b):\n    pass\n", "def f(b, a):\n    pass\n", "pkg.mod:f", "new", 4),
    ("PARAMETER_CHANGED_KIND", "def f(a, b):\n    pass\n", "def f(a, *, b):\n    pass\n", "pkg.mod:f", "new", 4),
    ("PARAMETER_CHANGED_DEFAULT", "@functools.cache\ndef f(a=1):\n    pass\n", "@functools.cache\ndef f(a=2):\n    pass\n", "pkg.mod:f", "new", 5),
    ("PARAMETER_CHANGED_REQUIRED", "def f(a=1):\n    pass\n", "def f(a):\n    pass\n", "pkg.mod:f", "new", 4),
    ("PARAMETER_ADDED_REQUIRED", "def f():\n    pass\n", "def f(a):\n    pass\n", "pkg.mod:f", "new", 4),
    ("RETURN_CHANGED_TYPE", "def f() -> int:\n    return 1\n", "def f():\n    return 1\n", "pkg.mod:f", "new", 4),
    ("CLASS_REMOVED_BASE", "class A:\n    pass\n\n\nclass B(A):\n    pass\n", "class A:\n    pass\n\n\nclass B:\n    pass\n", "pkg.mod:B", "new", 8),
]  # fmt: skip


@pytest.mark.parametrize(
    ("breakage", "old", "new", "subject", "side", "line"),
    BREAKAGES,
    ids=[f"{b[0]}-{i}" for i, b in enumerate(BREAKAGES)],
)
def test_each_breakage_griffe_finds_is_located_at_the_literate_line(
    tmp_path: Path, breakage: str, old: str, new: str, subject: str, side: str, line: int
) -> None:
    changes = diff(tmp_path, HEAD + old, HEAD + new)
    found = [c for c in changes if c.level == "api"]
    assert (breakage, subject, side, at(line)) in breaks(changes)
    assert {c.fact("breakage") for c in found} == {breakage}
    assert all(c.kind == "api-break" and c.chapter == MOD and c.detail for c in found)


def test_a_breakage_says_griffe_s_words_and_the_values(tmp_path: Path) -> None:
    changes = diff(tmp_path, "def f(a, b=1):\n    pass\n", "def f(a, b=2):\n    pass\n")
    [change] = [c for c in changes if c.level == "api"]
    assert change.detail == "Parameter default was changed: b (1 → 2)"
    assert change.facts == (
        ("breakage", "PARAMETER_CHANGED_DEFAULT"),
        ("parameter", "b"),
        ("old", "1"),
        ("new", "2"),
    )


def test_only_the_public_api_can_break(tmp_path: Path) -> None:
    old = "from os import path\n\n__all__ = ['f']\n\n\ndef f():\n    pass\n\n\ndef g():\n    pass\n\n\ndef _h():\n    pass\n"
    new = "__all__ = ['f']\n\n\ndef f():\n    pass\n"
    changes = diff(tmp_path, old, new)
    assert breaks(changes) == []
    assert {c.subject for c in changes if c.kind == "definition-removed"} == {
        "pkg.mod:g",
        "pkg.mod:_h",
    }


def test_a_dataclass_field_removed_breaks_its_constructor(tmp_path: Path) -> None:
    old = (
        "from dataclasses import dataclass\n\n\n@dataclass\nclass D:\n    a: int\n    b: int = 1\n"
    )
    changes = diff(tmp_path, old, old.replace("    b: int = 1\n", ""))
    assert ("PARAMETER_REMOVED", "pkg.mod:D.__init__", "new", at(5)) in breaks(changes)


def test_an_object_the_definitions_do_not_hold_is_at_griffe_s_line(tmp_path: Path) -> None:
    old = "import sys\n\nif sys.platform:\n\n    def f(a):\n        pass\n"
    changes = diff(tmp_path, old, old.replace("f(a)", "f()"))
    assert breaks(changes) == [("PARAMETER_REMOVED", "pkg.mod:f", "new", at(5))]
    assert python(changes) == [
        ("definition-changed", "pkg.mod", "new", at(5), "module-level code changed")
    ]


def test_a_re_export_removed_breaks_at_its_import_line(tmp_path: Path) -> None:
    code = "def f():\n    pass\n\n\ndef g():\n    pass\n"
    before = make(
        tmp_path / "old",
        {MOD: chapter(code, init="from pkg.mod import f, g\n\n__all__ = ['f', 'g']")},
    )
    after = make(
        tmp_path / "new", {MOD: chapter(code, init="from pkg.mod import f\n\n__all__ = ['f']")}
    )
    changes = python_changes(before, after)
    init = 4 + len(code.splitlines()) + 3  # the __init__ chunk's first line
    assert breaks(changes) == [("OBJECT_REMOVED", "pkg:g", "old", init)]


def test_a_breakage_shown_only_through_a_re_export_is_found(tmp_path: Path) -> None:
    """`pkg._impl` is private; `pkg.api` (unchanged) makes its `f` public through `__all__`."""
    facade = chunk("python {file=pkg/api.py}", "from pkg._impl import f", "", "__all__ = ['f']")
    before = make(
        tmp_path / "old",
        {MOD: chapter("def f(a):\n    pass\n", target="pkg/_impl.py"), "literate/api.md": facade},
    )
    after = make(
        tmp_path / "new",
        {MOD: chapter("def f():\n    pass\n", target="pkg/_impl.py"), "literate/api.md": facade},
    )
    assert breaks(python_changes(before, after)) == [
        ("PARAMETER_REMOVED", "pkg._impl:f", "new", at(1))
    ]


def test_a_removed_top_level_module_is_one_breakage_unless_private(tmp_path: Path) -> None:
    tools = {
        "literate/tools.md": chunk("python {file=tool.py}", "def run():", "    pass")
        + chunk("python {file=_secret.py}", "X = 1")
    }
    before = make(tmp_path / "old", {MOD: chapter("X = 1\n"), **tools})
    after = make(tmp_path / "new", {MOD: chapter("X = 1\n")})
    assert breaks(python_changes(before, after)) == [("OBJECT_REMOVED", "tool", "old", 2)]


def test_aliases_in_a_circle_do_not_stop_the_comparison(tmp_path: Path) -> None:
    """griffe 2.4.1 raises CyclicAliasError from find_breaking_changes on such aliases."""

    def documents(extra: str) -> dict[str, str]:
        a = chunk("python {file=pkg/a.py}", "from pkg.b import x", "", "__all__ = ['x']", extra)
        b = chunk("python {file=pkg/b.py}", "from pkg.a import x", "", "__all__ = ['x']")
        return {"literate/ab.md": a + b}

    code = "def f(a):\n    pass\n"
    before = make(tmp_path / "old", {MOD: chapter(code), **documents("")})
    after = make(tmp_path / "new", {MOD: chapter(code.replace("a", "")), **documents("Y = 1")})
    changes = python_changes(before, after)
    assert breaks(changes) == [("PARAMETER_REMOVED", "pkg.mod:f", "new", at(1))]
    assert ("definition-added", "pkg.a:Y") in [(c.kind, c.subject) for c in changes]


def test_code_nested_deeper_than_python_recurses_is_compared(tmp_path: Path) -> None:
    """Five hundred terms parse, but are deeper than `ast.dump` and `ast.unparse` can
    recurse; the comparison walks them without recursing, and griffe copes."""
    deep = "X = " + " + ".join(["1"] * 500) + "\n"
    changes = diff(tmp_path, deep, deep[:-2] + "2\n")
    assert python(changes) == [("definition-changed", "pkg.mod:X", "new", at(1), "value changed")]
    shallow = "X = " + " + ".join(["1"] * 300) + "\n"
    changes = diff(tmp_path / "again", shallow, deep)
    assert python(changes) == [("definition-changed", "pkg.mod:X", "new", at(1), "value changed")]
    assert breaks(changes) == []


# Properties

NAMES = st.sampled_from(["alpha", "beta", "gamma", "delta", "omega"])


@st.composite
def modules(draw: st.DrawFn) -> list[tuple]:
    items: list[tuple] = []
    for name in draw(st.lists(NAMES, unique=True, max_size=4)):
        kind = draw(st.sampled_from(["def", "class", "name"]))
        if kind == "def":
            params = draw(st.lists(st.sampled_from("abc"), unique=True, max_size=3))
            items.append(("def", name, params, draw(st.integers(0, 9))))
        elif kind == "class":
            methods = draw(st.lists(st.sampled_from(["run", "stop"]), unique=True, max_size=2))
            items.append(("class", name, methods, draw(st.integers(0, 9))))
        else:
            items.append(("name", name, draw(st.integers(0, 99))))
    return items


STYLES = st.fixed_dictionaries(
    {
        "blank": st.integers(1, 3),
        "comment": st.booleans(),
        "parens": st.booleans(),
        "doc": st.sampled_from(["", "Doc.", "Other doc."]),
    }
)


def render(items: list[tuple], style: dict) -> str:
    """The same definitions, written in a style: blank lines, comments, parentheses, docs."""
    lines: list[str] = []
    doc = [f'    """{style["doc"]}"""'] if style["doc"] else []
    for kind, name, *rest in items:
        value = f"({rest[-1]})" if style["parens"] else str(rest[-1])
        lines += [f"# {name}"] if style["comment"] else []
        if kind == "def":
            lines += [f"def {name}({', '.join(rest[0])}):", *doc, f"    return {value}"]
        elif kind == "class":
            lines += [f"class {name}:", *doc, f"    size = {value}"]
            for method in rest[0]:
                lines += [""] * style["blank"] + [
                    f"    def {method}(self):",
                    "        return self.size",
                ]
        else:
            lines.append(f"{name} = {value}")
        lines += [""] * style["blank"]
    return "\n".join(lines) + "\n"


def _compare(old_code: str, new_code: str) -> list[Change]:
    with tempfile.TemporaryDirectory() as folder:
        before = make(Path(folder) / "old", {MOD: chapter(old_code)})
        after = make(Path(folder) / "new", {MOD: chapter(new_code)})
        return python_changes(before, after)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules(), STYLES)
def test_a_project_compared_with_itself_has_no_changes(items: list[tuple], style: dict) -> None:
    code = render(items, style)
    assert _compare(code, code) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules(), STYLES, STYLES)
def test_the_same_definitions_written_otherwise_are_neutral(
    items: list[tuple], first: dict, second: dict
) -> None:
    changes = _compare(render(items, first), render(items, second))
    assert all(c.neutral and c.kind == "definition-changed" for c in changes), changes
    if first["doc"] == second["doc"]:
        assert not any(c.docstring for c in changes), changes
