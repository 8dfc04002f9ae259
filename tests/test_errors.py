"""Every user error: its message, its location, exit code 2, and nothing written."""

from __future__ import annotations

import os

import pytest

from conftest import Project, chunk

GOOD = "# Good\n\n" + chunk(" {.python file=pkg/good.py}", "GOOD = 1")


def assert_refused(project: Project, *expected: str) -> str:
    """Tangle must fail with exit 2, print every `expected` line, and change nothing on disk."""
    before = project.snapshot()
    run = project.loom("tangle")
    assert run.exit_code == 2, (run.stdout, run.stderr)
    for line in expected:
        assert line in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert "nothing was written" in run.stderr
    assert project.snapshot() == before
    return run.stderr


@pytest.fixture
def tangled(project: Project) -> Project:
    """A project that tangled once successfully, so there is something to protect."""
    project.write({"literate/good.md": GOOD})
    assert project.loom("tangle").exit_code == 0
    return project


def test_undefined_reference_suggests_a_name(tangled: Project) -> None:
    tangled.write({"literate/x.md": "# X\n\n"
                   + chunk(" {.python file=x.py}", "<<helpr>>")
                   + chunk(" {.python #helper}", "pass")})
    assert_refused(tangled, "literate/x.md:4: undefined reference <<helpr>>; did you mean <<helper>>?")


def test_cyclic_reference_shows_the_chain(tangled: Project) -> None:
    tangled.write({"literate/x.md": chunk(" {.python file=x.py}", "<<a>>")
                   + chunk(" {.python #a}", "<<b>>") + chunk(" {.python #b}", "    <<a>>")})
    assert_refused(tangled, "literate/x.md:8: cyclic reference: a -> b -> a")


@pytest.mark.parametrize(("target", "why"), [
    ("/etc/evil.py", "is an absolute path"),
    ("../evil.py", "leaves the tangle root through '..'"),
    ("pkg/../../evil.py", "leaves the tangle root through '..'"),
    ("C:/evil.py", "is an absolute path"),
    ("pkg\\evil.py", "write paths with '/'"),
])
def test_target_outside_the_tangle_root(tangled: Project, target: str, why: str) -> None:
    tangled.write({"literate/x.md": "\n" + chunk(f" {{.python file={target}}}", "EVIL = 1")})
    assert_refused(tangled, "literate/x.md:2: file=", why)
    assert not (tangled.root / "evil.py").exists()


def test_target_escaping_through_a_symlink(tangled: Project, tmp_path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, tangled.root / "tangled_src" / "link")
    tangled.write({"literate/x.md": chunk(" {.python file=link/evil.py}", "EVIL = 1")})
    assert_refused(tangled, "literate/x.md:1: file=link/evil.py leads outside the tangle root "
                   "through a symbolic link")
    assert list(outside.iterdir()) == []


def test_two_documents_claiming_one_file(tangled: Project) -> None:
    tangled.write({"literate/x.md": chunk(" {.python file=pkg/good.py}", "OTHER = 2")})
    assert_refused(tangled, "literate/x.md:1: file=pkg/good.py is already claimed at "
                   "literate/good.md:3; two documents can build one file only through a named "
                   "root chunk")


def test_two_names_for_one_file_and_two_languages(tangled: Project) -> None:
    tangled.write({"literate/x.md": chunk(" {.python #one file=t.py}", "A = 1")
                   + chunk(" {.python #two file=t.py}", "B = 2")
                   + chunk(" {.python #three file=u.py}", "C = 3")
                   + chunk(" {.javascript #three file=u.py}", "D = 4")})
    assert_refused(
        tangled,
        "literate/x.md:4: file=t.py is already claimed at literate/x.md:1 by chunk 'one', "
        "here by 'two'",
        "literate/x.md:10: file=u.py is already claimed at literate/x.md:7 as python, "
        "here as javascript",
    )


def test_one_name_rooting_two_files(tangled: Project) -> None:
    tangled.write({"literate/x.md": chunk(" {.python #one file=t.py}", "A = 1")
                   + chunk(" {.python #one file=u.py}", "B = 2")})
    assert_refused(tangled, "literate/x.md:4: chunk 'one' is already the root of file=t.py")


def test_named_root_may_be_continued_from_another_document(project: Project) -> None:
    project.write({"literate/a.md": chunk(" {.python #mod file=m.py}", "A = 1"),
                   "literate/b.md": chunk(" {.python #mod file=m.py}", "B = 2")})
    assert project.loom("tangle").exit_code == 0
    assert project.tangled()["m.py"].endswith("A = 1\nB = 2\n")


def test_unclosed_fence(tangled: Project) -> None:
    tangled.write({"literate/x.md": "# X\n\ntext\n\n````python {file=x.py}\nA = 1\n```\nrest\n"})
    assert_refused(tangled, "literate/x.md:5: unclosed code fence ````: end the code with a "
                   "line ````")


@pytest.mark.parametrize(("info", "message"), [
    ("python {#a file=x.py", "malformed attributes"),
    ("python {#a} {file=x.py}", "malformed attributes"),
    ("python {#a !bang}", "malformed attribute '!bang'"),
    ("python {#a #b}", "a chunk has one name, not 2: #a, #b"),
    ("python {file=a.py file=b.py}", "a chunk has one file= target, not 2"),
    ("python {#a key=\"unterminated}", "malformed attribute"),
    ("{.python word #a}", "malformed attribute 'word'"),
])
def test_malformed_attributes(tangled: Project, info: str, message: str) -> None:
    tangled.write({"literate/x.md": "Intro\n\n" + chunk(info, "pass")})
    assert_refused(tangled, f"literate/x.md:3: {message}")


def test_malformed_option_lines(tangled: Project) -> None:
    tangled.write({"literate/x.md": chunk("python {#a}", "#| chunk: b", "#| !!", "pass")
                   + chunk("python", "#| file:", "pass")})
    assert_refused(
        tangled,
        "literate/x.md:1: the chunk's name is given twice, as 'a' and as 'b'",
        "literate/x.md:3: malformed option line '#| !!': expected `#| key: value`",
        "literate/x.md:7: option 'file' needs a value",
    )


def test_malformed_front_matter(tangled: Project) -> None:
    tangled.write({"literate/x.md": "---\ntitle: [unclosed\n---\n\n# X\n",
                   "literate/y.md": "---\ntitle: x\n\n# never closed\n",
                   "literate/z.md": "---\n- a list\n---\n"})
    assert_refused(
        tangled,
        "literate/x.md:3: malformed front matter",
        "literate/y.md:1: front matter opened by '---' is never closed by a '---' line",
        "literate/z.md:2: front matter must be a mapping of keys to values, not list",
    )


def test_non_utf8_file(tangled: Project) -> None:
    tangled.write({"literate/x.md": b"# X\n\nna\xefve\n"})
    assert_refused(tangled, "literate/x.md:3: not UTF-8: byte 0xef at column 3; save it as UTF-8")


def test_unreadable_file(tangled: Project) -> None:
    os.symlink(tangled.root / "missing.md", tangled.root / "literate" / "broken.md")
    assert_refused(tangled, "literate/broken.md: cannot read: No such file or directory")


def test_every_error_of_a_run_is_reported(tangled: Project) -> None:
    tangled.write({
        "literate/a.md": chunk(" {.python file=a.py}", "<<nope>>"),
        "literate/b.md": chunk("python {#x #y}", "pass"),
        "literate/c.md": "```python\nunclosed\n",
    })
    stderr = assert_refused(tangled, "literate/a.md:2: undefined reference <<nope>>",
                            "literate/b.md:1: a chunk has one name", "literate/c.md:1: unclosed")
    assert "3 errors" in stderr


def test_missing_source_folder(project: Project) -> None:
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert "literate: the literate source folder does not exist" in run.stderr


def test_file_not_written_by_litloom_is_never_overwritten(tangled: Project) -> None:
    (tangled.root / "tangled_src" / "mine.py").write_text("MINE = 1\n")
    tangled.write({"literate/x.md": chunk(" {.python file=mine.py}", "THEIRS = 2")})
    assert_refused(tangled, "literate/x.md:1: tangled_src/mine.py exists and was not written by "
                   "litloom, which never overwrites such a file")
    run = tangled.loom("tangle", "--force")
    assert run.exit_code == 2
    assert tangled.read("tangled_src/mine.py") == "MINE = 1\n"


def test_config_errors_are_located_in_pyproject(project: Project) -> None:
    project.write({"pyproject.toml": "[project]\nname = 'x'\n\n[tool.litloom]\n"
                   "sauce = 'literate'\ntangle_root = '../elsewhere'\nbuild_dir = 3\n"})
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert "pyproject.toml:5: [tool.litloom] unknown key 'sauce'; did you mean 'source'?" in run.stderr
    assert "pyproject.toml:6: [tool.litloom] 'tangle_root' must be a folder inside the project" \
        in run.stderr
    assert "pyproject.toml:7: [tool.litloom] 'build_dir' must be a non-empty string" in run.stderr


def test_broken_pyproject(project: Project) -> None:
    project.write({"pyproject.toml": "[tool.litloom]\nsource = \n"})
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert run.stderr.startswith("pyproject.toml:2: ")


def test_languages_declared_in_tool_litloom(project: Project) -> None:
    project.write({
        "pyproject.toml": '[tool.litloom]\n\n[[tool.litloom.languages]]\nidentifiers = ["fish"]\n'
                          'comment = { open = "#" }\n',
        "literate/a.md": chunk(" {.fish file=a.fish}", "echo hi")})
    assert project.loom("tangle").exit_code == 0
    assert project.read("tangled_src/a.fish").startswith("# Generated by litloom")
    project.write({"pyproject.toml": '[tool.litloom]\n\n[[tool.litloom.languages]]\nname = "x"\n'})
    before = project.snapshot()
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert "pyproject.toml: [[languages]] needs identifiers and comment.open" in run.stderr
    assert project.snapshot() == before
