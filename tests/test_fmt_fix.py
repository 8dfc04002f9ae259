"""`loom fmt` (ruff format on chunks, in place) and `loom lint --fix` (fixes back into chunks)."""

from __future__ import annotations

from conftest import Project, chunk, loom_process

UGLY = (
    "# Ugly\n\n"
    + chunk(" {.python file=pkg/m.py}", "import os", "<<helpers>>", "",
            "def   main( x ):", "    <<body>>", "    return {'a':x}")
    + "\n1. In a list:\n\n"
    "   ```python\n   #| chunk: helpers\n   def helper( ):\n       return os.sep\n   ```\n\n"
    + chunk(" {.python #body}", "y=x+1")
    + chunk(" {.python #fragment}", "elif x:", "  pass")
)


def test_fmt_formats_chunks_in_place_keeping_references_and_options(project: Project) -> None:
    project.write({"literate/u.md": UGLY})
    run = loom_process("fmt", cwd=project.root)
    assert run.exit_code == 0, run.stderr
    text = project.read("literate/u.md")
    assert "def main(x):\n    <<body>>\n    return {\"a\": x}\n" in text
    assert "<<helpers>>\n" in text
    assert "   #| chunk: helpers\n   def helper():\n       return os.sep\n   ```" in text
    assert "y = x + 1" in text
    assert "literate/u.md:" in run.stderr and "not formatted" in run.stderr  # the fragment
    assert "elif x:\n  pass" in text
    assert project.loom("tangle").exit_code == 0


def test_fmt_is_idempotent_and_check_reports(project: Project) -> None:
    project.write({"literate/u.md": UGLY.replace(
        chunk(" {.python #fragment}", "elif x:", "  pass"), "")})
    check = loom_process("fmt", "--check", cwd=project.root)
    assert check.exit_code == 1 and "would reformat literate/u.md:3" in check.stdout
    assert project.read("literate/u.md") == UGLY.replace(
        chunk(" {.python #fragment}", "elif x:", "  pass"), "")
    loom_process("fmt", cwd=project.root)
    once = project.read("literate/u.md")
    assert loom_process("fmt", cwd=project.root).exit_code == 0
    assert project.read("literate/u.md") == once
    again = loom_process("fmt", "--check", cwd=project.root)
    assert again.exit_code == 0 and "0 chunks would change" in again.stderr


def test_fmt_keeps_blank_lines_that_separate_continued_chunks(project: Project) -> None:
    project.write({"literate/c.md": chunk(" {.python file=c.py}", "<<defs>>")
                   + chunk(" {.python #defs}", "def a():", "    pass")
                   + chunk(" {.python #defs}", "", "", "def b():", "    pass")})
    project.loom("tangle")
    before = project.read("tangled_src/c.py")
    loom_process("fmt", cwd=project.root)
    project.loom("tangle")
    assert project.read("tangled_src/c.py") == before


def test_lint_fix_writes_safe_fixes_back_into_chunks(project: Project) -> None:
    project.write({"literate/f.md": chunk(" {.python file=pkg/a.py}", "<<imports>>", "X = 1")
                   + chunk(" {.python file=pkg/b.py}", "<<imports>>", "Y = 2")
                   + chunk(" {.python #imports}", "import os", "import sys", "", "sys.exit(0)")})
    project.loom("tangle")
    run = loom_process("lint", "--fix", cwd=project.root)
    assert "fixed literate/f.md" in run.stdout
    assert project.read("literate/f.md").count("import os") == 0
    assert "import sys" in project.read("literate/f.md")
    assert "import os" not in project.read("tangled_src/pkg/a.py")
    assert loom_process("check", cwd=project.root).exit_code == 0
    assert run.exit_code == 0, run.stdout + run.stderr
