"""The percent-script lines litloom counts for a notebook are jupytext's, on every notebook the
tests keep."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from litloom.readers.notebook_lines import (
    marker_lines,
    notebook_and_starts,
    percent_starts,
    quick_notebook,
)
from litloom.readers.percent import parse_notebook, percent_script

NOTEBOOKS = sorted((Path(__file__).parent / "data").rglob("*.ipynb"))


def test_the_kept_notebooks_are_counted_without_jupytext() -> None:
    counted = [p for p in NOTEBOOKS if percent_starts(quick_notebook(p.read_text("utf-8")))]
    assert len(counted) >= 0.9 * len(NOTEBOOKS) and len(counted) >= 33


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_the_lines_are_jupytexts(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    parsed = parse_notebook(text)
    expected = marker_lines(percent_script(parsed), len(parsed.cells))
    notebook, starts = notebook_and_starts(text)
    assert starts == expected
    assert [c["source"] for c in notebook.cells] == [c.source for c in parsed.cells]
    assert [c["cell_type"] for c in notebook.cells] == [c.cell_type for c in parsed.cells]


def test_the_other_languages_are_jupytexts() -> None:
    from jupytext.languages import _JUPYTER_LANGUAGES

    from litloom.readers.notebook_lines import _OTHER_LANGUAGES

    assert _OTHER_LANGUAGES <= set(_JUPYTER_LANGUAGES)
    assert not {"python", "python3"} & _OTHER_LANGUAGES


def _nb(*cells: tuple[str, str]) -> str:
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": kind,
                    "metadata": {},
                    "source": source,
                    "id": f"c{n}",
                    **({"outputs": [], "execution_count": None} if kind == "code" else {}),
                }
                for n, (kind, source) in enumerate(cells)
            ],
            "metadata": {
                "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


MAGICS = [
    _nb(("code", "ls -la\ncat = 3\n# echo hi\n  rm x"), ("code", "def f(): pass"), ("code", "x?")),
    _nb(("code", "%%sh\npwd"), ("code", "def f(): pass"), ("code", "x = 1")),
    _nb(("code", "%%sh\n"), ("code", "x = 1"), ("code", "class A: pass")),
    _nb(("code", "%%html\n<b>x</b>\n%%sh"), ("code", "x = 1")),
    _nb(("code", "x = 1"), ("markdown", "%% not a marker\nstill"), ("code", "def g(): pass")),
    _nb(("code", "%%time\nx = 1"), ("code", "y = 2")),
    _nb(("code", "!ls\nshout?"), ("code", "def f(): pass"), ("code", "x = '''\n%cd\n'''")),
    _nb(("code", "x = 1\n%time \\\ny"), ("code", "async def f(): pass")),
    _nb(
        ("code", "x = 1"),
        ("markdown", "%%sh\ndef f():"),
        ("code", "%%\ndef g(): pass"),
        ("raw", "%% x\n"),
        ("code", "%%sh"),
        ("code", "y = 1"),
    ),
]


@pytest.mark.parametrize("text", MAGICS)
def test_magics_and_markers_number_as_jupytext_does(text: str) -> None:
    parsed = parse_notebook(text)
    expected = marker_lines(percent_script(parsed), len(parsed.cells))
    assert notebook_and_starts(text)[1] == expected


@pytest.mark.parametrize("text", [p.read_text("utf-8") for p in NOTEBOOKS] + MAGICS)
def test_the_script_is_jupytexts(text: str) -> None:
    from litloom.readers.notebook_lines import percent_text
    from litloom.readers.percent import notebook_as_percent

    assert percent_text(text) == notebook_as_percent(text)


def test_every_pair_of_cells_is_counted_as_jupytext_does() -> None:
    import itertools

    def _check(text: str) -> bool:
        notebook = quick_notebook(text)
        starts = percent_starts(notebook)
        if starts is None:
            return False
        parsed = parse_notebook(text)
        assert starts == marker_lines(percent_script(parsed), len(parsed.cells)), text[:200]
        return True

    sources = [
        "x = 1",
        "def f():\n    return 1",
        "class A:\n    pass\n",
        "@dec\ndef g(): pass",
        '"""doc\n\ndef not_code():\n"""',
        "s = '''a\nclass B:'''\n",
        "# only a comment",
        "",
        "\n",
        "x = 1\n\n\n",
        "async def h():\n    pass",
        "import os\n# def later",
        "    ",
        ")\n",
        "y = 'it''s'  # 'quoted'",
        'z = "a\\"b"\ndef k(): pass',
    ]
    kinds = ["code", "code", "markdown", "raw"]
    for n, combo in enumerate(itertools.product(sources, repeat=2)):
        cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Title"}]
        cells += [
            {
                "cell_type": kinds[(n + k) % 4],
                "metadata": {},
                "source": s,
                "outputs": [],
                "execution_count": None,
            }
            for k, s in enumerate(combo)
        ]
        for cell in cells:
            if cell["cell_type"] != "code":
                cell.pop("outputs", None), cell.pop("execution_count", None)
        notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        for k, cell in enumerate(cells):
            cell["id"] = f"c{k}"
        assert _check(json.dumps(notebook))


def test_cells_passed_over_are_the_ones_jupytext_leaves_alone() -> None:
    """The cells `_comment_magics` does not hand to jupytext are ones jupytext would not change."""
    from jupytext.magics import comment_magic

    from litloom.readers.notebook_lines import _comment_magics

    lines = [
        "x = 1",
        "ls = [1]",
        "cat",
        "echo hi",
        "rm -rf x",
        "print('50%')",
        "a = b != c",
        "f?",
        "!ls",
        "%time x",
        "  cd /tmp",
        "mkdir(x)",
        "lsof",
        "# ls",
        "y = !ls",
    ]
    for line in lines:
        assert _comment_magics([line]) == comment_magic([line], "python", True, True), line


def test_a_cold_read_does_not_import_jupytext_or_nbformat() -> None:
    import subprocess
    import sys

    path = next(p for p in NOTEBOOKS if "nbdev" in str(p))
    code = (
        "import sys; from pathlib import Path\n"
        "from litloom.readers.notebook_lines import notebook_and_starts\n"
        f"notebook, starts = notebook_and_starts(Path({str(path)!r}).read_text('utf-8'))\n"
        "assert starts and 'jupytext' not in sys.modules and 'nbformat' not in sys.modules, "
        "sorted(m for m in sys.modules if 'jupytext' in m or 'nbformat' in m)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


_PIECES = ["def f():", "async def g():", "class A:", "    return 1", "x = 1", "#", "# def h():",
           ")", "", "   ", "'''", '"""', "s = '''a", "b'''", '"x"', "'", '\\"', "@dec",
           "classy = 2", "define = 3", "        deeply_indented_call(argument)", "    #",
           "        # an indented comment", "x = ,   # end", 'f("""', "@property"]


def test_the_blank_lines_between_cells_are_jupytexts_on_generated_cells() -> None:
    """The count's shortcuts (a cell without a definition; lines cut to what jupytext reads
    of them) give jupytext's answer on cells made of lines that each shortcut turns on."""
    from hypothesis import given, settings
    from hypothesis import strategies as st
    from jupytext.pep8 import pep8_lines_between_cells

    from litloom.readers.notebook_lines import _pep8_lines_between_cells

    line = st.one_of(st.sampled_from(_PIECES), st.text(" #)'\"\\dfx:(=", max_size=12),
                     st.builds(str.__add__, st.sampled_from(_PIECES), st.sampled_from(_PIECES)))
    cell = st.lists(line, max_size=8)

    @settings(max_examples=3000, deadline=None, database=None)
    @given(cell, cell)
    def agree(prev_lines: list[str], next_lines: list[str]) -> None:
        expected = pep8_lines_between_cells(list(prev_lines), list(next_lines), ".py")
        assert _pep8_lines_between_cells(prev_lines, next_lines) == expected

    agree()
