"""After a hand edit of a tangled file, every command names the same two real ways out:
`loom stitch` keeps the edit, `loom tangle --force` drops it (issue 12)."""

from __future__ import annotations

import pytest

from conftest import Project, chunk, loom_process

DOC = (
    "# Doc\n\n"
    + chunk(" {.python file=pkg/m.py}", "<<helper>>", "", "", "VALUE = 1")
    + ("\n" + chunk(" {.python #helper}", "def helper():", "    return 1"))
)
KEEP_OR_DROP = (
    "edited by hand since litloom wrote it; keep the edit with `loom stitch`, or drop it with "
    "`loom tangle --force`\n"
)
BOTH = (
    "edited by hand since litloom wrote it, and its literate sources changed too, so `loom "
    "stitch` cannot tell the two apart: to keep the edit, make it in its chunk by hand (`loom "
    "where tangled_src/pkg/m.py:LINE` finds the chunk), then run `loom tangle --force`; to drop "
    "it, run `loom tangle --force`\n"
)
GONE = (
    "edited by hand since litloom wrote it, and no chunk makes it any more, so `loom stitch` has "
    "no chunk to put the edit in: to keep the file, move or rename it; to delete it, run "
    "`loom tangle --force`\n"
)
STITCH_REFUSED = (
    "loom stitch: nothing was stitched. To keep a refused edit, undo it in the tangled file, "
    "stitch the others, then make it in its chapter by hand; or drop every hand edit with "
    "`loom tangle --force`\n"
)
# what each command exits with when it meets a hand edit: check's 1 is drift, the rest refuse
EXITS = {"tangle": 2, "check": 1, "test": 2, "lint": 2, "build": 2}


def hand_edited(project: Project, text: str = DOC) -> int:
    """Tangle `text`, then edit the tangled `return 1` by hand; the line edited."""
    project.write({"literate/d.md": text})
    assert project.loom("tangle").exit_code == 0
    path = project.root / "tangled_src/pkg/m.py"
    lines = path.read_text().splitlines(keepends=True)
    line = lines.index("    return 1\n") + 1
    lines[line - 1] = "    return 2  # by hand\n"
    path.write_text("".join(lines))
    return line


@pytest.mark.parametrize("command", sorted(EXITS))
def test_every_command_names_stitch_and_force_at_the_edited_line(
    project: Project, command: str
) -> None:
    line = hand_edited(project)
    before = project.snapshot()
    run = project.loom(command)
    assert run.exit_code == EXITS[command], run.stderr
    assert f"tangled_src/pkg/m.py:{line}: {KEEP_OR_DROP}" in run.stderr
    assert "later" not in run.stderr and "run `loom tangle`" not in run.stderr
    assert project.snapshot() == before


def test_check_and_lint_close_on_both_ways_out(project: Project) -> None:
    hand_edited(project)
    check = project.loom("check")
    assert check.stderr.endswith(
        "loom check: tangled_src is not what the literate sources make; keep the hand edits "
        "with `loom stitch`, or drop them with `loom tangle --force`\n"
    )
    lint = project.loom("lint")
    assert (
        "tangled_src: the tangled files are out of date, so findings would not map to the "
        "sources; keep the hand edits with `loom stitch`, or drop them with `loom tangle "
        "--force`, then lint again\n"
    ) in lint.stderr


def test_the_two_ways_out_do_what_the_advice_says(project: Project) -> None:
    hand_edited(project)
    kept = project.loom("stitch")
    assert kept.exit_code == 0, kept.stderr
    assert "    return 2  # by hand\n" in project.read("literate/d.md")
    assert project.loom("check").exit_code == 0
    hand_edited(project, DOC)  # the chapter again as it was, then a new hand edit
    dropped = project.loom("tangle", "--force")
    assert dropped.exit_code == 0, dropped.stderr
    assert "by hand" not in project.read("tangled_src/pkg/m.py")
    assert project.loom("check").exit_code == 0


def test_an_edit_racing_a_source_change_is_advised_alike_everywhere(project: Project) -> None:
    line = hand_edited(project)
    project.write({"literate/d.md": DOC.replace("VALUE = 1", "VALUE = 3")})
    before = project.snapshot()
    for command in ("tangle", "check", "test"):
        run = project.loom(command)
        assert run.exit_code == EXITS[command]
        assert f"tangled_src/pkg/m.py:{line}: {BOTH}" in run.stderr, run.stderr
    check = project.loom("check").stderr
    assert check.endswith(
        "; keep each hand edit as its own message says, or drop them all "
        "with `loom tangle --force`\n"
    )
    stitch = loom_process("stitch", cwd=project.root)
    assert stitch.exit_code == 2
    assert f"tangled_src/pkg/m.py:{line}: {BOTH}" in stitch.stderr
    assert stitch.stderr.endswith(STITCH_REFUSED)
    assert project.snapshot() == before


def test_stitch_refuses_a_hand_edited_file_no_chunk_makes(project: Project) -> None:
    """The stitch's forced tangle used to delete it, edit and all."""
    project.write({"literate/d.md": DOC + chunk(" {.python file=pkg/old.py}", "OLD = 1")})
    assert project.loom("tangle").exit_code == 0
    old = project.root / "tangled_src/pkg/old.py"
    old.write_text(old.read_text() + "PRECIOUS = 1\n")
    project.write({"literate/d.md": DOC})
    before = project.snapshot()
    for command in ("tangle", "stitch"):
        run = loom_process(command, cwd=project.root)
        assert run.exit_code == 2
        assert f"tangled_src/pkg/old.py:1: {GONE}" in run.stderr, run.stderr
    assert project.snapshot() == before
    old.rename(old.with_name("kept.py"))  # the way to keep it that the advice names
    assert project.loom("tangle").exit_code == 0
    assert "PRECIOUS = 1" in project.read("tangled_src/pkg/kept.py")


def test_stitch_refuses_a_file_that_is_no_longer_text(project: Project) -> None:
    """The stitch's forced tangle used to overwrite it unread."""
    hand_edited(project)
    path = project.root / "tangled_src/pkg/m.py"
    path.write_bytes(path.read_bytes() + b"\xff\xfe\n")
    before = project.snapshot()
    run = loom_process("stitch", cwd=project.root)
    assert run.exit_code == 2
    assert (
        "tangled_src/pkg/m.py: not UTF-8 text: stitch cannot read its edit; `loom tangle "
        "--force` drops it\n"
    ) in run.stderr
    assert project.snapshot() == before


def test_loom_test_stops_at_errors_in_the_documents(project: Project) -> None:
    project.write({"literate/d.md": DOC.replace("<<helper>>", "<<helpr>>")})
    before = project.snapshot()
    run = loom_process("test", cwd=project.root)
    assert run.exit_code == 2
    assert "literate/d.md:4: undefined reference <<helpr>>; did you mean <<helper>>?" in run.stderr
    assert "loom: 1 error; nothing was written" in run.stderr
    assert run.stdout == ""  # pytest never ran
    assert project.snapshot() == before
