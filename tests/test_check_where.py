"""`loom check` (the drift gate) and `loom where` (the source map)."""

from __future__ import annotations

import json

from conftest import Project, chunk

DOC = "# Doc\n\nProse.\n\n" + chunk(" {.python file=pkg/m.py}", "import os", "", "<<body>>") \
    + "\nMore prose.\n\n" + chunk(" {.python #body}", "def f():", "    return os.sep")


def test_check_passes_when_up_to_date(project: Project) -> None:
    project.write({"literate/d.md": DOC})
    project.loom("tangle")
    run = project.loom("check")
    assert run.exit_code == 0
    assert "up to date" in run.stderr


def test_check_fails_with_a_diff_and_the_fix(project: Project) -> None:
    project.write({"literate/d.md": DOC})
    project.loom("tangle")
    project.write({"literate/d.md": DOC.replace("os.sep", "os.pathsep")})
    before = project.snapshot()
    run = project.loom("check")
    assert run.exit_code == 1
    assert "--- a/tangled_src/pkg/m.py\n+++ b/tangled_src/pkg/m.py\n" in run.stdout
    assert "-    return os.sep\n+    return os.pathsep\n" in run.stdout
    assert "run `loom tangle`" in run.stderr
    assert project.snapshot() == before


def test_check_reports_new_deleted_and_hand_edited_files(project: Project) -> None:
    project.write({"literate/d.md": DOC + chunk(" {.python file=old.py}", "OLD = 1")})
    project.loom("tangle")
    (project.root / "tangled_src/pkg/m.py").write_text("edited\n")
    project.write({"literate/d.md": DOC + chunk(" {.python file=new.py}", "NEW = 1")})
    run = project.loom("check")
    assert run.exit_code == 1
    assert "--- /dev/null\n+++ b/tangled_src/new.py" in run.stdout
    assert "--- a/tangled_src/old.py\n+++ /dev/null" in run.stdout
    assert (
        "tangled_src/pkg/m.py:1: edited by hand since litloom wrote it; keep the edit with "
        "`loom stitch`, or drop it with `loom tangle --force`\n"
    ) in run.stderr
    assert run.stderr.endswith(
        "loom check: tangled_src is not what the literate sources make; keep the hand edits "
        "with `loom stitch`, or drop them with `loom tangle --force`\n"
    )


def test_check_on_a_never_tangled_project_fails(project: Project) -> None:
    project.write({"literate/d.md": DOC})
    assert project.loom("check").exit_code == 1
    assert not (project.root / "tangled_src").exists()


def test_check_reports_user_errors_with_exit_2(project: Project) -> None:
    project.write({"literate/d.md": chunk(" {.python file=a.py}", "<<missing>>")})
    run = project.loom("check")
    assert run.exit_code == 2
    assert "literate/d.md:2: undefined reference <<missing>>" in run.stderr


def test_where_maps_a_tangled_line_to_its_literate_line(project: Project) -> None:
    project.write({"literate/d.md": DOC})
    project.loom("tangle")
    lines = project.read("tangled_src/pkg/m.py").splitlines()
    assert lines[4] == "    return os.sep"
    run = project.loom("where", "tangled_src/pkg/m.py:5")
    assert run.stdout == "literate/d.md:15: chunk body\n"
    assert project.read("literate/d.md").splitlines()[14] == "    return os.sep"
    run = project.loom("where", "tangled_src/pkg/m.py:2")
    assert run.stdout == "literate/d.md:6: chunk file:pkg/m.py\n"


def test_where_json(project: Project) -> None:
    project.write({"literate/d.md": DOC})
    run = project.loom("where", "--json", "tangled_src/pkg/m.py:4")
    assert json.loads(run.stdout) == {
        "chunk": "body", "literate": {"path": "literate/d.md", "line": 14},
        "tangled": {"path": "tangled_src/pkg/m.py", "line": 4},
    }


def test_where_errors(project: Project) -> None:
    project.write({"literate/d.md": DOC})
    header = project.loom("where", "tangled_src/pkg/m.py:1")
    assert header.exit_code == 2 and "tangled_src/pkg/m.py:1: this line comes from no literate" \
        in header.stderr
    assert project.loom("where", "nothing.py:3").stderr.startswith("nothing.py: not a file")
    assert "expected PATH:LINE" in project.loom("where", "tangled_src/pkg/m.py").stderr


def test_source_map_file_is_versioned(project: Project) -> None:
    project.write({"literate/d.md": DOC})
    project.loom("tangle")
    data = json.loads(project.read("build/litloom/sourcemap.json"))
    assert data["version"] == 1
    m = data["files"]["tangled_src/pkg/m.py"]
    assert m["sources"] == ["literate/d.md"] and m["chunks"] == ["file:pkg/m.py", "body"]
    assert m["segments"] == [[2, 2, 0, 6, 0], [4, 2, 0, 14, 1]]
