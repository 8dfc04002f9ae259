"""`loom fmt` formats each chunk as ruff formats its tangled file: in its context, with the
tangle passing `ruff format --check` afterwards, and errors at literate lines."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from conftest import REPO, Project, chunk, loom_process

RUFF = Path(sys.executable).with_name("ruff")


def ruff_format_check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(RUFF), "format", "--check", "tangled_src"], cwd=root, capture_output=True, text=True
    )


def test_a_fresh_scaffold_passes_fmt_check_and_stays_ruff_formatted(tmp_path: Path) -> None:
    assert loom_process("init", "x", cwd=tmp_path).exit_code == 0
    root = tmp_path / "x"
    check = loom_process("fmt", "--check", cwd=root)
    assert check.exit_code == 0, check.stdout + check.stderr
    assert "0 chunks would change" in check.stderr
    assert loom_process("tangle", cwd=root).exit_code == 0
    assert ruff_format_check(root).returncode == 0
    before = (root / "literate/index.md").read_text()
    assert loom_process("fmt", cwd=root).exit_code == 0
    assert (root / "literate/index.md").read_text() == before
    assert ruff_format_check(root).returncode == 0


MODULE = (
    "# A module\n\n"
    + chunk(
        " {.python file=pkg/m.py}",
        '"""Doc."""',
        "",
        "",
        "<<imports>>",
        "<<helpers>>",
        "class K:",
        "    x=1",
        "    <<methods>>",
        "<<main>>",
    )
    + "\nImports:\n\n"
    + chunk(" {.python #imports}", "import os")
    + chunk(" {.python #helpers}", "def helper( ):", "    return os.sep")
    + chunk(" {.python #methods}", "def a(self):", "    return 1", "def b(self):", "    return 2")
    + chunk(" {.python #main}", "def main():", "    print(helper())")
)


def test_after_fmt_every_tangled_file_passes_ruff_format_check(project: Project) -> None:
    project.write({"literate/m.md": MODULE})
    assert project.loom("tangle").exit_code == 0
    assert ruff_format_check(project.root).returncode == 1  # as written, it is not formatted
    run = loom_process("fmt", cwd=project.root)
    assert run.exit_code == 0, run.stderr
    assert ruff_format_check(project.root).returncode == 0  # fmt tangled it too: it was current
    assert loom_process("check", cwd=project.root).exit_code == 0
    text = project.read("literate/m.md")
    # blank lines between expansions go into the chunk that holds the references
    assert (
        "<<imports>>\n\n\n<<helpers>>\n\n\nclass K:\n    x = 1\n\n    <<methods>>\n\n\n<<main>>\n"
        in text
    )
    assert "``` {.python #helpers}\ndef helper():\n" in text
    assert "def a(self):\n    return 1\n\ndef b(self):" in text
    again = loom_process("fmt", "--check", cwd=project.root)
    assert again.exit_code == 0 and "0 chunks would change" in again.stderr


def test_a_chunk_is_wrapped_at_the_indentation_where_it_is_expanded(project: Project) -> None:
    line = "total = compute_the_total(first_argument, second_argument, third_argument_number_3)"
    assert 80 < len(line) <= 88  # fits ruff's 88 columns at column 0, not 8 columns in
    project.write(
        {
            "literate/w.md": chunk(
                " {.python file=w.py}",
                "class C:",
                "    def f(self):",
                "        <<body>>",
                "        return total",
            )
            + chunk(" {.python #body}", line)
        }
    )
    run = loom_process("fmt", "--check", cwd=project.root)
    assert run.exit_code == 1 and "would reformat literate/w.md:7" in run.stdout
    assert loom_process("fmt", cwd=project.root).exit_code == 0
    text = project.read("literate/w.md")
    assert (
        "``` {.python #body}\ntotal = compute_the_total(\n"
        "    first_argument, second_argument, third_argument_number_3\n)\n```"
    ) in text
    assert project.loom("tangle").exit_code == 0
    assert ruff_format_check(project.root).returncode == 0


STATS = (
    "# Stats\n\nProse.\n\n"
    + chunk(" {.python file=stats.py}", "def mean(xs):", "    <<body>>")
    + "\nThe body:\n\n"
    + chunk(" {.python #body}", "total = sum(xs)", "y = 1 +* 2", "return total")
)


def test_a_syntax_error_is_located_in_the_document_skipped_and_nothing_written(
    project: Project,
) -> None:
    project.write(
        {"literate/stats.md": STATS, "literate/other.md": chunk(" {.python file=other.py}", "x=1")}
    )
    before = project.snapshot()
    for args in (("fmt",), ("fmt", "--check")):
        run = loom_process(*args, cwd=project.root)
        assert run.exit_code == 2, run.stderr
        assert "literate/stats.md:14:8: does not parse" in run.stderr  # the `*`, in the document
        assert ".md.py" not in run.stderr + run.stdout
        assert "would reformat literate/other.md:1" in run.stdout
        assert "stats.md" not in run.stdout  # skipped, not changed
        assert "1 chunk would change, 1 skipped" in run.stderr
        assert "nothing written" in run.stderr
        assert project.snapshot() == before


def test_a_chunk_formatted_differently_where_it_is_expanded_is_skipped(project: Project) -> None:
    line = "value = compute_the_total(first_argument, second_argument, third_argument_number_3)"
    project.write(
        {
            "literate/s.md": chunk(" {.python file=a.py}", "<<shared>>")
            + chunk(" {.python file=b.py}", "def f():", "    if True:", "        <<shared>>")
            + chunk(" {.python #shared}", line)
        }
    )
    before = project.snapshot()
    run = loom_process("fmt", "--check", cwd=project.root)
    assert run.exit_code == 1
    assert (
        "literate/s.md:10: ruff formats it differently in the places it is expanded" in run.stderr
    )
    assert "0 chunks would change, 1 skipped" in run.stderr
    assert project.snapshot() == before


def test_a_notebook_source_is_formatted_in_context_and_keeps_its_outputs(
    project: Project,
) -> None:
    output = nbformat.v4.new_output("stream", name="stdout", text="hi\n")
    cells = [
        nbformat.v4.new_markdown_cell("# Notebook"),
        nbformat.v4.new_code_cell(
            "#| file: n.py\nimport os\n<<f>>", outputs=[output], execution_count=1
        ),
        nbformat.v4.new_code_cell("#| chunk: f\ndef f( x ):\n    return {'a':x}"),
    ]
    project.write({"literate/n.ipynb": nbformat.writes(nbformat.v4.new_notebook(cells=cells))})
    run = loom_process("fmt", cwd=project.root)
    assert run.exit_code == 0, run.stderr
    notebook = nbformat.reads(project.read("literate/n.ipynb"), 4)
    assert [c.source for c in notebook.cells] == [
        "# Notebook",
        "#| file: n.py\nimport os\n\n\n<<f>>",
        '#| chunk: f\ndef f(x):\n    return {"a": x}',
    ]
    assert notebook.cells[1].outputs[0]["text"] == "hi\n"
    assert project.loom("tangle").exit_code == 0
    assert ruff_format_check(project.root).returncode == 0
    assert loom_process("fmt", "--check", cwd=project.root).exit_code == 0


def test_a_percent_script_source_is_formatted_in_context(project: Project) -> None:
    script = (
        "# %% [markdown]\n# # Script\n\n"
        "# %%\n#| file: p.py\nimport os\n<<f>>\n\n"
        "# %%\n#| chunk: f\ndef f( x ):\n    return os.sep+x\n"
    )
    project.write({"literate/p.py": script})
    run = loom_process("fmt", cwd=project.root)
    assert run.exit_code == 0, run.stderr
    text = project.read("literate/p.py")
    assert "import os\n\n\n<<f>>\n" in text and "    return os.sep + x\n" in text
    assert project.loom("tangle").exit_code == 0
    assert ruff_format_check(project.root).returncode == 0


def test_litloom_s_own_chapters_pass_fmt_check(tmp_path: Path) -> None:
    shutil.copytree(REPO / "literate", tmp_path / "literate")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    run = loom_process("fmt", "--check", cwd=tmp_path)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "0 chunks would change" in run.stderr and "skipped" not in run.stderr


def test_code_ruff_joins_across_chunks_is_skipped_and_fails_the_check(project: Project) -> None:
    project.write(
        {
            "literate/j.md": chunk(" {.python file=j.py}", "x = foo(", "    <<args>>", ")")
            + "\n"
            + chunk(" {.python #args}", "1,", "2")
        }
    )
    before = project.snapshot()
    check = loom_process("fmt", "--check", cwd=project.root)
    assert check.exit_code == 1  # the tangle would still fail `ruff format --check`
    assert "literate/j.md:2: ruff joins its code with another chunk's on one line" in check.stderr
    assert "literate/j.md:8: ruff joins its code" in check.stderr
    assert "0 chunks would change, 2 skipped" in check.stderr
    run = loom_process("fmt", cwd=project.root)
    assert run.exit_code == 0 and "0 chunks changed, 2 skipped" in run.stderr
    assert project.snapshot() == before


def test_a_fragment_in_no_tangled_file_is_skipped_at_its_line_without_failing_the_check(
    project: Project,
) -> None:
    project.write(
        {
            "literate/f.md": "# F\n\n"
            + chunk(" {.python file=f.py}", "X = 1")
            + "\nA fragment:\n\n"
            + chunk(" {.python #unused}", "elif x:", "  pass")
        }
    )
    check = loom_process("fmt", "--check", cwd=project.root)
    assert check.exit_code == 0, check.stderr
    assert "literate/f.md:10:1: not formatted: it is in no tangled Python file" in check.stderr
    assert "0 chunks would change, 1 skipped" in check.stderr
