"""Quarto-style option lines: `#|` options are YAML, so a value may span lines; flags and nbdev
directives keep their meaning; YAML that does not parse is a located error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import Project, chunk, loom_process

CORPUS = Path(__file__).parent / "data" / "quarto-options"


def test_options_over_several_lines_tangle_and_test(tmp_path: Path) -> None:
    """A Markdown chapter and a percent script whose options are YAML blocks."""
    root = tmp_path / "quarto-options"
    shutil.copytree(CORPUS, root)
    run = loom_process("tangle", cwd=root)
    assert run.exit_code == 0, run.stderr
    assert (
        (root / "tangled_src/stats/mean.py")
        .read_text()
        .endswith("def mean(values):\n    return sum(values) / len(values)\n")
    )
    assert "def median(values):" in (root / "tangled_src/stats/median.py").read_text()
    run = loom_process("test", "-rs", cwd=root)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "2 passed, 1 skipped" in run.stdout
    assert "a reason that is long enough for two lines" in run.stdout  # a folded YAML scalar


def test_flags_and_nbdev_directives_around_a_yaml_block(project: Project) -> None:
    project.write(
        {
            "literate/a.md": chunk(
                "python",
                "#| test",
                "#| fixtures:",
                "#|   - tmp_path",
                "#| hide",
                "assert tmp_path.is_dir()",
            )
        }
    )
    run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr
    assert project.loom("check").exit_code == 0


def test_yaml_that_does_not_parse_is_located(project: Project) -> None:
    project.write({"literate/good.md": chunk(" {.python file=pkg/good.py}", "GOOD = 1")})
    assert project.loom("tangle").exit_code == 0
    project.write(
        {
            "literate/x.md": "# X\n\n"
            + chunk(
                "python {file=pkg/x.py}",
                "#| test",
                "#| fixtures:",
                "#|   - tmp_path",
                "#|   b: [",
                "pass",
            )
        }
    )
    before = project.snapshot()
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert "literate/x.md:7: malformed option 'fixtures': " in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and "nothing was written" in run.stderr
    assert project.snapshot() == before


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (("#| fixtures: &a [x, x, x, x, x, x, x, x, x, x]", "#| x: 1"), None),
        (
            (
                "#| fixtures:",
                "#|   a: &a [x, x, x, x, x, x, x, x, x, x]",
                *(
                    f"#|   {chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]"
                    for i in range(6)
                ),
            ),
            "literate/x.md:2: malformed option 'fixtures': more than 100,000 values",
        ),
        (
            ("#| fixtures:", "#|   " + "[" * 200 + "]" * 200),
            "literate/x.md:3: malformed option 'fixtures': nested more than 100 levels deep",
        ),
        (
            ("#| fixtures:", "#|   a: &a [*a]"),
            "literate/x.md:3: malformed option 'fixtures': *a stands inside the value it names",
        ),
        (
            ("#| test", "#|   more"),
            "literate/x.md:2: option 'test' over several lines must be YAML",
        ),
    ],
)
def test_option_yaml_is_bounded(
    project: Project, lines: tuple[str, ...], message: str | None
) -> None:
    """The bounds of front matter hold for option blocks too: depth, self-reference, aliases."""
    project.write({"literate/x.md": chunk("python", *lines, "pass")})
    before = project.snapshot()
    run = project.loom("tangle")
    if message is None:  # one line: read as text, as it always was
        assert run.exit_code == 0, run.stderr
        return
    assert run.exit_code == 2, run.stderr
    assert message in run.stderr
    assert project.snapshot() == before
