"""Test chunks under pytest, and every diagnostic at its literate line (issue: tests, lint, cov)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Project, chunk, loom_process

PYPROJECT = """[project]
name = "demo"

[tool.litloom]

[tool.pytest.ini_options]
testpaths = ["literate"]
markers = ["slow: a slow test"]
"""

MODULE = "# Demo\n\n" + chunk(" {.python file=demo/calc.py}", "<<divide>>") + "\n" + chunk(
    " {.python #divide}",
    "def divide(a, b):",
    "    if b == 0:",
    "        raise ZeroDivisionError(f'cannot divide {a} by zero')",
    "    return a / b",
)


def pytest_in(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=project.root, capture_output=True, text=True, timeout=120)


@pytest.fixture
def demo(project: Project) -> Project:
    project.write({"pyproject.toml": PYPROJECT, "literate/calc.md": MODULE})
    assert project.loom("tangle").exit_code == 0
    return project


def add(project: Project, text: str) -> int:
    """Append `text` to literate/tests.md; return the line number where it starts."""
    path = project.root / "literate" / "tests.md"
    before = path.read_text() if path.exists() else "# Tests\n\n"
    path.write_text(before + text)
    return before.count("\n") + 1


def test_failing_test_chunk_shows_the_literate_line(demo: Project) -> None:
    start = add(demo, chunk(" {.python .test #halves}", "from demo.calc import divide",
                            "result = divide(1, 2)", "assert result == 0.25"))
    run = pytest_in(demo)
    assert run.returncode == 1
    assert f"literate/tests.md:{start + 3}: AssertionError" in run.stdout
    assert "assert 0.5 == 0.25" in run.stdout  # pytest's assertion rewriting
    assert "FAILED literate/tests.md::halves" in run.stdout


def test_failure_inside_tangled_code_shows_the_literate_line(demo: Project) -> None:
    add(demo, chunk(" {.python .test #by-zero}", "from demo.calc import divide", "divide(1, 0)"))
    run = pytest_in(demo)
    assert run.returncode == 1
    lines = demo.read("literate/calc.md").splitlines()
    raising = next(i for i, line in enumerate(lines, 1) if "raise ZeroDivisionError" in line)
    assert f"literate/calc.md:{raising}: ZeroDivisionError   [tangled_src/demo/calc.py:4" \
        in run.stdout


def test_passing_tests_fixtures_marks_and_continues(demo: Project) -> None:
    add(demo, chunk(" {.python .test #writes fixtures=tmp_path}",
                    "(tmp_path / 'a').write_text('x')", "assert (tmp_path / 'a').exists()"))
    add(demo, chunk("python", "#| test", "#| chunk: slow-one", "#| mark: slow", "assert True"))
    add(demo, chunk("python", "#| test", "#| chunk: skipped", "#| skip: not today", "assert False"))
    add(demo, chunk(" {.python .test #base}", "value = 41"))
    add(demo, chunk("python", "#| test", "#| chunk: builds-on-base", "#| continues: base",
                    "assert value + 1 == 42"))
    run = pytest_in(demo, "-v", "-rs")
    assert run.returncode == 0, run.stdout
    for name in ["writes", "slow-one", "base", "builds-on-base"]:
        assert f"literate/tests.md::{name} PASSED" in run.stdout
    assert "SKIPPED" in run.stdout and "not today" in run.stdout
    only_slow = pytest_in(demo, "-m", "slow", "-q")
    assert "1 passed, 4 deselected" in only_slow.stdout
    by_name = pytest_in(demo, "-k", "builds", "-q")
    assert "1 passed" in by_name.stdout


def test_test_chunks_share_no_state(demo: Project) -> None:
    add(demo, chunk(" {.python .test #sets}", "shared = 1"))
    add(demo, chunk(" {.python .test #reads}", "shared"))
    run = pytest_in(demo, "-q")
    assert "NameError: name 'shared' is not defined" in run.stdout
    assert "1 failed, 1 passed" in run.stdout


def test_test_chunks_use_references(demo: Project) -> None:
    add(demo, chunk(" {.python #setup}", "from demo.calc import divide", "x = divide(9, 3)")
        + chunk(" {.python .test #uses-setup}", "<<setup>>", "assert x == 3"))
    assert "1 passed" in pytest_in(demo, "-q").stdout


def test_broken_test_chunks_fail_with_located_messages(demo: Project) -> None:
    start = add(demo, chunk(" {.python .test #syntax}", "x = (", "y = 1"))
    other = add(demo, chunk(" {.python .test #missing}", "<<nowhere>>"))
    add(demo, chunk(" {.python .test #fine}", "assert 1"))
    run = pytest_in(demo, "-q")
    assert f"literate/tests.md:{start + 1}: '(' was never closed" in run.stdout
    assert f"literate/tests.md:{other + 1}: undefined reference <<nowhere>>" in run.stdout
    assert "2 failed, 1 passed" in run.stdout


def test_prose_doctests_run(demo: Project) -> None:
    start = add(demo, "Some prose.\n\n>>> 1 + 1\n2\n>>> 'a' * 2\n'b'\n\n")
    run = pytest_in(demo, "-q")
    assert "literate/tests.md::doctest" in run.stdout
    assert f"tests.md:{start + 4}: DocTestFailure" in run.stdout


def test_pycon_fences_run_as_doctests_without_their_fence_lines(demo: Project) -> None:
    add(demo, "A session:\n\n" + chunk("pycon", ">>> 1 + 1", "2") + "\nMore prose.\n\n")
    assert "1 passed" in pytest_in(demo, "-q").stdout  # the closing fence is no output
    start = add(demo, chunk("pycon", ">>> 2 * 2", "5"))
    run = pytest_in(demo, "-q")
    assert f"tests.md:{start + 1}: DocTestFailure" in run.stdout  # still located


def test_xdist_and_last_failed(demo: Project) -> None:
    for i in range(6):
        add(demo, chunk(f" {{.python .test #t{i}}}", f"assert {i} != 3"))
    parallel = pytest_in(demo, "-n", "2", "-q")
    assert "1 failed, 5 passed" in parallel.stdout
    assert "FAILED literate/tests.md::t3" in parallel.stdout
    first = subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=demo.root,
                           capture_output=True, text=True)
    assert "1 failed, 5 passed" in first.stdout
    again = subprocess.run([sys.executable, "-m", "pytest", "-q", "--lf"], cwd=demo.root,
                           capture_output=True, text=True)
    assert "1 failed" in again.stdout and "passed" not in again.stdout.splitlines()[-1]


def test_plugin_stays_out_of_other_projects(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "literate").mkdir()
    (tmp_path / "literate" / "a.md").write_text(chunk(" {.python .test}", "assert False"))
    run = subprocess.run([sys.executable, "-m", "pytest", "literate", "-q", "-p",
                          "no:cacheprovider"], cwd=tmp_path, capture_output=True, text=True)
    assert "no tests ran" in run.stdout


def test_loom_exec_shows_literate_lines(demo: Project) -> None:
    (demo.root / "script.py").write_text("from demo.calc import divide\ndivide(2, 0)\n")
    run = loom_process("exec", "script.py", cwd=demo.root)
    assert run.exit_code == 1
    assert 'File "script.py", line 2, in <module>' in run.stderr
    assert "literate/calc.md\", line" in run.stderr and "[tangled_src/demo/calc.py:4]" in run.stderr
    assert "ZeroDivisionError: cannot divide 2 by zero" in run.stderr
    assert "litloom/cli.py" not in run.stderr


def test_loom_test_tangles_first(demo: Project) -> None:
    """An edited chunk is tested as it now reads, without a `loom tangle` by hand."""
    add(demo, chunk(" {.python .test #floors}", "from demo.calc import divide",
                    "assert divide(7, 2) == 3"))
    assert loom_process("test", "-q", cwd=demo.root).exit_code == 1  # true division: 3.5
    demo.write({"literate/calc.md": MODULE.replace("a / b", "a // b")})
    run = loom_process("test", "-q", cwd=demo.root)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "loom test: tangled first: 1 written, 0 deleted" in run.stderr
    assert "return a // b" in demo.read("tangled_src/demo/calc.py")
    assert "1 passed" in run.stdout
    assert loom_process("check", cwd=demo.root).exit_code == 0
    again = loom_process("test", "-q", cwd=demo.root)  # nothing to tangle: nothing said
    assert again.exit_code == 0 and "tangled first" not in again.stderr


def test_coverage_per_literate_document(demo: Project) -> None:
    add(demo, chunk(" {.python .test #divides}", "from demo.calc import divide",
                    "assert divide(4, 2) == 2"))
    run = loom_process("test", "--cov", "-q", cwd=demo.root)
    assert run.exit_code == 0, run.stdout + run.stderr
    lines = demo.read("literate/calc.md").splitlines()
    raising = next(i for i, line in enumerate(lines, 1) if "raise ZeroDivisionError" in line)
    row = next(line for line in run.stdout.splitlines() if line.startswith("literate/calc.md"))
    assert row.split()[1:4] == ["4", "1", "75%"]
    assert row.split()[-1] == str(raising)


def test_lint_findings_at_literate_lines(demo: Project) -> None:
    demo.write({"literate/calc.md": MODULE + "\n1. In a list:\n\n"
                "   ```python {file=demo/extra.py}\n   import os\n   X = 1\n   ```\n"})
    demo.loom("tangle")
    lines = demo.read("literate/calc.md").splitlines()
    at = next(i for i, line in enumerate(lines, 1) if line.strip() == "import os")
    run = loom_process("lint", cwd=demo.root)
    assert run.exit_code == 1
    assert f"literate/calc.md:{at}:11: F401 [*] `os` imported but unused" in run.stdout or \
        f"literate/calc.md:{at}:11: F401 `os` imported but unused" in run.stdout, run.stdout
    assert "[tangled_src/demo/extra.py:2:8]" in run.stdout
    data = json.loads(loom_process("lint", "--json", cwd=demo.root).stdout)
    unused = next(f for f in data if f["code"] == "F401")
    assert (unused["path"], unused["line"], unused["column"]) == ("literate/calc.md", at, 11)
    assert unused["tangled"] == "tangled_src/demo/extra.py:2:8"


def test_lint_checks_only_the_python_files(demo: Project) -> None:
    demo.write({"literate/calc.md": MODULE + "\n```javascript {file=demo/app.js}\n"
                "export const x = () => 1;\n```\n"})
    assert demo.loom("tangle").exit_code == 0
    run = loom_process("lint", cwd=demo.root)
    assert "app.js" not in run.stdout and "invalid-syntax" not in run.stdout, run.stdout


def test_lint_refuses_stale_tangled_files(demo: Project) -> None:
    demo.write({"literate/calc.md": MODULE.replace("a / b", "a // b")})
    run = loom_process("lint", cwd=demo.root)
    assert run.exit_code == 2 and "tangled_src: the tangled files are out of date" in run.stderr


def test_install_maps_uncaught_exceptions_of_any_program(demo: Project) -> None:
    script = ("from pathlib import Path\nfrom litloom.project import open_project\n"
              "from litloom.diagnostics.tracebacks import install\n"
              "install(open_project(Path.cwd()))\n"
              "import sys; sys.path.insert(0, 'tangled_src')\n"
              "from demo.calc import divide\ndivide(1, 0)\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=demo.root, capture_output=True,
                         text=True)
    assert run.returncode == 1
    assert "literate/calc.md\", line" in run.stderr
    assert "[tangled_src/demo/calc.py:4]" in run.stderr
