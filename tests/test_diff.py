"""`loom diff` on small git repositories the tests build: each kind of change, moves and
renames, prose-only and code-only changes, the sides (revisions, --staged, --proposal), the
output formats, every error, and that nothing but build/ is ever written."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PYPROJECT, Project

# The tests' documents make shell scripts, not Python: what the chunks and prose say is
# compared here, and Python's own comparison (literate/diff/python.md) is tested there.
HELLO = """\
# Hello

Greets people.

```bash {file=hello.sh}
<<greet>>
```

## The greeting

A greeting is friendly.

```bash {#greet}
greet() {
  echo "hello $1"
}
```
"""
OTHER = """\
# Other

Says goodbye.

```bash {#bye}
bye() {
  echo "bye $1"
}
```
"""
GIT = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


class Repo(Project):
    """A project in a git repository of its own."""

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.root), *args],
            capture_output=True,
            text=True,
            env={**os.environ, **GIT},
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def commit(
        self,
        files: dict[str, str | bytes] | None = None,
        remove: tuple[str, ...] = (),
        message: str = "a change",
    ) -> str:
        self.write(files or {})
        for path in remove:
            (self.root / path).unlink()
        self.git("add", "-A")
        self.git(
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            message,
        )
        return self.git("rev-parse", "HEAD").strip()

    def state(self) -> tuple[dict[str, bytes], int]:
        """Every file but build/'s (the .git folder's included), and the index's time."""
        files = {p: data for p, data in self.snapshot().items() if not p.startswith("build/")}
        index = Path(self.git("rev-parse", "--absolute-git-dir").strip()) / "index"
        return files, index.stat().st_mtime_ns

    def diff(self, *args: str) -> tuple[int, str, str]:
        """Run `loom diff ARGS`, and check that it changed nothing outside build/ and left no
        scratch folder."""
        before = self.state()
        run = self.loom("diff", *args)
        assert self.state() == before, "loom diff changed something outside build/"
        scratch = self.root / "build" / "litloom" / "diff"
        assert not scratch.exists() or not list(scratch.iterdir()), "a scratch folder was left"
        return run.exit_code, run.stdout, run.stderr

    def json(self, *args: str) -> dict:
        code, out, err = self.diff("--json", *args)
        assert code == 0, err
        return json.loads(out)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Repo:
    for key, value in GIT.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "proj"
    root.mkdir()
    repo = Repo(root)
    repo.git("init", "-q", "-b", "main")
    repo.commit(
        {
            "pyproject.toml": PYPROJECT,
            ".gitignore": "build/\n",
            "literate/hello.md": HELLO,
            "literate/other.md": OTHER,
        },
        message="first",
    )
    return repo


def kinds(report: dict) -> list[tuple[str, str, int, str, str]]:
    return [
        (c["kind"], c["chapter"], c["line"], c["side"], c["subject"]) for c in report["changes"]
    ]


# Golden diffs, one per kind of change: human output and JSON.


def test_nothing_changed_is_said_so(repo: Repo) -> None:
    assert repo.diff() == (0, "loom diff: HEAD -> working tree\n\nno changes\n", "")
    assert repo.json()["changes"] == []


def test_code_changed_rationale_unchanged(repo: Repo) -> None:
    repo.write({"literate/hello.md": HELLO.replace('"hello $1"', '"hi $1"')})
    code, out, err = repo.diff()
    assert (code, err) == (0, "")
    assert (
        out
        == """\
loom diff: HEAD -> working tree

literate/hello.md
  literate/hello.md:5   lines changed: tangled_src/hello.sh (1 line added, 1 removed)
  literate/hello.md:13  chunk changed: greet (1 line added, 1 removed)
  literate/hello.md:13  code changed, rationale unchanged: The greeting (its chunks changed; \
the prose beside them did not)

1 document, 1 chunk and 1 other file touched; 0 API breaks; 0 behaviour-neutral changes
"""
    )
    report = repo.json()
    assert report["schema"] == 1 and (report["old"], report["new"]) == ("HEAD", "working tree")
    assert report["summary"] == {
        "documents": 1,
        "chunks": 1,
        "definitions": 0,
        "breakages": 0,
        "neutral": 0,
        "files": 1,
    }
    assert report["changes"][1] == {
        "chapter": "literate/hello.md",
        "line": 13,
        "side": "new",
        "kind": "chunk-changed",
        "level": "chunk",
        "subject": "greet",
        "detail": "1 line added, 1 removed",
        "neutral": False,
        "docstring": False,
        "facts": {"added": "1", "removed": "1"},
    }
    assert report["changes"][0]["facts"] == {"added": "1", "removed": "1"}


def test_rationale_changed_code_unchanged(repo: Repo) -> None:
    repo.write({"literate/hello.md": HELLO.replace("is friendly", "is kind")})
    code, out, _ = repo.diff()
    assert out.splitlines()[3] == (
        "  literate/hello.md:11  rationale changed, code unchanged: The greeting "
        "(prose: 1 line added, 1 removed)"
    )
    assert kinds(repo.json()) == [
        ("rationale-only", "literate/hello.md", 11, "new", "The greeting")
    ]


def test_prose_and_code_changed_together_are_no_call_out(repo: Repo) -> None:
    text = HELLO.replace("is friendly", "is kind").replace('"hello $1"', '"hi $1"')
    repo.write({"literate/hello.md": text})
    assert kinds(repo.json()) == [
        ("lines-changed", "literate/hello.md", 5, "new", "tangled_src/hello.sh"),
        ("prose-changed", "literate/hello.md", 11, "new", "The greeting"),
        ("chunk-changed", "literate/hello.md", 13, "new", "greet"),
    ]


def test_prose_reflowed_or_changed(repo: Repo) -> None:
    reflowed = HELLO.replace("A greeting is friendly.", "A greeting\nis   friendly.")
    repo.write({"literate/hello.md": reflowed})
    assert repo.json()["changes"] == []  # the same words: no change
    repo.commit({"literate/hello.md": HELLO + "\n## Notes\n\nSome notes.\n"})
    repo.write({"literate/hello.md": HELLO + "\n## Notes\n\nSome more notes.\n"})
    assert kinds(repo.json()) == [("prose-changed", "literate/hello.md", 21, "new", "Notes")]


def test_sections_new_removed_renamed_and_front_matter(repo: Repo) -> None:
    text = (
        "---\ntitle: Hello\n---\n"
        + HELLO.replace("## The greeting", "## Greeting")
        + "\n## Notes\n\nMore to say.\n"
    )
    repo.commit({"literate/hello.md": "---\ntitle: Hi\n---\n" + HELLO + "\n## Gone\n\nOld.\n"})
    repo.write({"literate/hello.md": text})
    assert kinds(repo.json()) == [
        ("prose-changed", "literate/hello.md", 2, "new", "(front matter)"),
        ("rationale-only", "literate/hello.md", 12, "new", "Greeting"),
        ("prose-changed", "literate/hello.md", 22, "old", "Gone"),
        ("prose-changed", "literate/hello.md", 22, "new", "Notes"),
    ]
    details = [c["detail"] for c in repo.json()["changes"]]
    assert details[1:] == ["heading was 'The greeting'", "section removed", "a new section"]


def test_chunk_added_and_removed(repo: Repo) -> None:
    added = OTHER + "\n```bash {#wave}\nwave() { :; }\n```\n"
    repo.write(
        {
            "literate/other.md": added.replace('bye() {\n  echo "bye $1"\n}\n', "").replace(
                "```bash {#bye}\n```\n", ""
            )
        }
    )
    code, out, _ = repo.diff()
    assert "  literate/other.md:5 (HEAD)  chunk removed: bye\n" in out
    assert "  literate/other.md:6         chunk added: wave\n" in out
    assert kinds(repo.json()) == [
        ("chunk-removed", "literate/other.md", 5, "old", "bye"),
        ("chunk-added", "literate/other.md", 6, "new", "wave"),
        ("code-only", "literate/other.md", 6, "new", "Other"),
    ]


def test_a_chunk_moved_to_another_document_is_a_move(repo: Repo) -> None:
    chunk = '```bash {#bye}\nbye() {\n  echo "bye $1"\n}\n```\n'
    repo.write(
        {"literate/other.md": OTHER.replace(chunk, ""), "literate/hello.md": HELLO + "\n" + chunk}
    )
    report = repo.json()
    moved = [c for c in report["changes"] if c["kind"] == "chunk-moved"]
    assert [(c["chapter"], c["line"], c["subject"], c["detail"]) for c in moved] == [
        ("literate/hello.md", 19, "bye", "from literate/other.md:5")
    ]
    assert moved[0]["facts"] == {"from": "literate/other.md:5", "old-name": "bye"}
    assert not [c for c in report["changes"] if c["kind"] in ("chunk-added", "chunk-removed")]


def test_a_chunk_renamed_with_the_same_body_is_a_move(repo: Repo) -> None:
    repo.write({"literate/hello.md": HELLO.replace("greet", "salute")})  # name and reference
    report = repo.json()
    assert [
        (c["kind"], c["subject"], c["detail"]) for c in report["changes"] if c["level"] == "chunk"
    ] == [
        ("chunk-changed", "file:hello.sh", "1 line added, 1 removed"),
        (
            "chunk-moved",
            "salute",
            "from literate/hello.md:13, was greet, and changed: 1 line added, 1 removed",
        ),
    ]
    repo.write(
        {"literate/hello.md": HELLO.replace("#greet", "#salute").replace("<<greet>>", "<<salute>>")}
    )
    assert [
        (c["kind"], c["subject"], c["detail"])
        for c in repo.json()["changes"]
        if c["kind"] == "chunk-moved"
    ] == [("chunk-moved", "salute", "from literate/hello.md:13, was greet")]


def test_a_chunk_moved_under_its_name_and_changed(repo: Repo) -> None:
    chunk = '```bash {#bye}\nbye() {\n  echo "bye $1"\n}\n```\n'
    repo.write(
        {
            "literate/other.md": OTHER.replace(chunk, ""),
            "literate/hello.md": HELLO + "\n" + chunk.replace("bye $1", "ciao $1"),
        }
    )
    moved = [c for c in repo.json()["changes"] if c["kind"] == "chunk-moved"]
    assert [c["detail"] for c in moved] == [
        "from literate/other.md:5, and changed: 1 line added, 1 removed"
    ]


def test_documents_added_removed_and_renamed(repo: Repo) -> None:
    repo.write({"literate/new.md": "# New\n\n```bash {#n}\nn\n```\n"})
    (repo.root / "literate" / "other.md").unlink()
    assert kinds(repo.json()) == [
        ("document-added", "literate/new.md", 1, "new", "literate/new.md"),
        ("chunk-added", "literate/new.md", 3, "new", "n"),
        ("document-removed", "literate/other.md", 1, "old", "literate/other.md"),
        ("chunk-removed", "literate/other.md", 5, "old", "bye"),
    ]
    shutil.move(repo.root / "literate" / "new.md", repo.root / "literate" / "gone.md")
    repo.write({"literate/part/other.md": OTHER.replace("goodbye", "farewell")})
    renamed = [c for c in repo.json()["changes"] if c["chapter"] == "literate/part/other.md"]
    assert [(c["kind"], c["line"], c["detail"]) for c in renamed] == [
        ("document-moved", 1, "from literate/other.md"),
        ("rationale-only", 3, "prose: 1 line added, 1 removed"),
    ]


def test_unnamed_chunks_are_compared_by_language_and_likeness(repo: Repo) -> None:
    diagram = "```mermaid\nflowchart LR\n    a --> b\n    b --> c\n```\n"
    repo.commit({"literate/other.md": OTHER + "\n" + diagram})
    repo.write(
        {
            "literate/other.md": OTHER
            + "\n"
            + diagram.replace("b --> c", "b --> d")
            + "\n```text\nan example\n```\n"
        }
    )
    assert kinds(repo.json()) == [
        ("chunk-changed", "literate/other.md", 11, "new", "mermaid chunk at line 11"),
        ("code-only", "literate/other.md", 11, "new", "Other"),
        ("chunk-added", "literate/other.md", 17, "new", "text chunk at line 17"),
    ]


def test_attributes_changed(repo: Repo) -> None:
    repo.write({"literate/other.md": OTHER.replace("{#bye}", "{#bye .test}")})
    assert [c["detail"] for c in repo.json()["changes"] if c["kind"] == "chunk-changed"] == [
        "options changed"
    ]


def test_other_languages_files(repo: Repo) -> None:
    repo.write({"literate/other.md": OTHER + "\n```bash {file=bye.sh}\n<<bye>>\n```\n"})
    changes = repo.json()["changes"]
    assert [
        (c["kind"], c["line"], c["subject"], c["detail"]) for c in changes if c["level"] == "file"
    ] == [("lines-changed", 11, "tangled_src/bye.sh", "4 lines added, 0 removed; a new file")]
    repo.commit()
    repo.write({"literate/other.md": OTHER})
    [gone] = [c for c in repo.json()["changes"] if c["level"] == "file"]
    assert (gone["side"], gone["line"], gone["detail"]) == (
        "old",
        11,
        "0 lines added, 4 removed; no longer made",
    )


# The sides: revisions, the index, a proposal.


def test_two_revisions_and_one(repo: Repo) -> None:
    first = repo.git("rev-parse", "HEAD").strip()
    repo.commit({"literate/hello.md": HELLO.replace("friendly", "kind")})
    repo.write({"literate/other.md": OTHER.replace("goodbye", "farewell")})
    assert kinds(repo.json(first, "HEAD")) == [
        ("rationale-only", "literate/hello.md", 11, "new", "The greeting")
    ]
    report = repo.json(first)  # against the working tree
    assert (report["old"], report["new"]) == (first, "working tree")
    assert [c["chapter"] for c in report["changes"]] == ["literate/hello.md", "literate/other.md"]
    assert repo.json("HEAD", first)["changes"][0]["kind"] == "rationale-only"


def test_staged_compares_the_index_with_head(repo: Repo) -> None:
    repo.write({"literate/hello.md": HELLO.replace("friendly", "kind")})
    repo.git("add", "literate/hello.md")
    repo.write({"literate/other.md": OTHER.replace("goodbye", "farewell")})  # not staged
    report = repo.json("--staged")
    assert (report["old"], report["new"]) == ("HEAD", "index")
    assert kinds(report) == [("rationale-only", "literate/hello.md", 11, "new", "The greeting")]
    assert kinds(repo.json("--cached", "HEAD")) == kinds(report)


def test_a_proposal_is_compared_with_the_working_tree(repo: Repo, tmp_path: Path) -> None:
    copy = tmp_path / "proposal"
    shutil.copytree(repo.root, copy, ignore=shutil.ignore_patterns(".git"))
    (copy / "literate" / "hello.md").write_text(HELLO.replace("friendly", "kind"))
    report = repo.json("--proposal", "../proposal")
    assert (report["old"], report["new"]) == ("working tree", "../proposal")
    assert kinds(report) == [("rationale-only", "literate/hello.md", 11, "new", "The greeting")]
    outside = Repo(tmp_path / "plain")  # no git needed for a proposal
    shutil.copytree(repo.root, outside.root, ignore=shutil.ignore_patterns(".git"))
    run = outside.loom("diff", "--proposal", str(copy), "--json")
    assert run.exit_code == 0, run.stderr
    assert len(json.loads(run.stdout)["changes"]) == 1


def test_a_project_in_a_folder_of_its_repository(tmp_path: Path, monkeypatch) -> None:
    for key, value in GIT.items():
        monkeypatch.setenv(key, value)
    top = Repo(tmp_path / "top")
    top.root.mkdir()
    top.git("init", "-q")
    top.commit({"sub/pyproject.toml": PYPROJECT, "sub/literate/hello.md": HELLO})
    top.write({"sub/literate/hello.md": HELLO.replace("friendly", "kind")})
    sub = Repo(top.root / "sub")
    assert kinds(sub.json()) == [("rationale-only", "literate/hello.md", 11, "new", "The greeting")]
    run = sub.loom("diff", "--format", "github")
    assert run.stdout.startswith("::warning file=sub/literate/hello.md,line=11,"), run.stdout


def test_usage_errors(repo: Repo) -> None:
    for args, said in [
        (("a", "b", "c"), "at most two revisions"),
        (("--staged", "--proposal", "x"), "each name the new side"),
        (("--staged", "a", "b"), "--staged names the new side"),
        (("--json", "--format", "github"), "--json is --format json"),
    ]:
        code, _, err = repo.diff(*args)
        assert code == 2 and said in err, err


def test_help_names_every_form(repo: Repo) -> None:
    run = repo.loom("diff", "--help")
    for text in (
        "loom diff A B",
        "--staged",
        "--cached",
        "--proposal DIR",
        "--json",
        "github",
        "markdown",
        "--fail-on-break",
        "nothing is checked out",
    ):
        assert text in run.stdout, text


# Formats.


def test_github_annotations(repo: Repo) -> None:
    repo.write(
        {
            "literate/other.md": OTHER.replace(
                '```bash {#bye}\nbye() {\n  echo "bye $1"\n}\n```\n', ""
            )
        }
    )
    code, out, _ = repo.diff("--format", "github")
    assert out == (
        "::warning file=literate/other.md,line=1,title=loom diff%3A code changed%2C rationale "
        "unchanged::Other: its chunks changed; the prose beside them did not\n"
        "::warning title=loom diff%3A chunk removed::bye (was at literate/other.md:5 in HEAD)\n"
        "::notice title=loom diff::1 document and 1 chunk touched; 0 API breaks; "
        "0 behaviour-neutral changes\n"
    )
    repo.write({"literate/other.md": OTHER.replace("goodbye", "goodbye, 100%")})
    code, out, _ = repo.diff("--format", "github")
    assert out.splitlines()[0] == (
        "::warning file=literate/other.md,line=3,title=loom diff%3A rationale changed%2C code "
        "unchanged::Other: prose: 1 line added, 1 removed"
    )


def test_markdown_comment(repo: Repo) -> None:
    repo.write({"literate/hello.md": HELLO.replace('"hello $1"', '"hi $1"')})
    code, out, _ = repo.diff("--format", "markdown")
    assert (
        out
        == """\
### loom diff: `HEAD` → `working tree`

**1 document, 1 chunk and 1 other file touched; 0 API breaks; 0 behaviour-neutral changes**

#### `literate/hello.md`

| line | change | what |
|---:|---|---|
| 5 | lines changed | `tangled_src/hello.sh` (1 line added, 1 removed) |
| 13 | chunk changed | `greet` (1 line added, 1 removed) |
| 13 | code changed, rationale unchanged | `The greeting` (its chunks changed; the prose \
beside them did not) |
"""
    )


def run_in_a_terminal(root: Path, env: dict[str, str]) -> bytes:
    """`loom diff`'s output when its standard output is a terminal."""
    leader, follower = pty.openpty()
    environment = {**os.environ, **GIT, **env, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "litloom", "diff"],
        cwd=root,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=environment,
        timeout=60,
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert done.returncode == 0, done.stderr
    return output


def test_colour_on_a_terminal_unless_no_color(repo: Repo) -> None:
    repo.write({"literate/hello.md": HELLO.replace('"hello $1"', '"hi $1"')})
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    coloured = run_in_a_terminal(repo.root, {**env, "NO_COLOR": ""})
    assert b"\x1b[" in coloured and b"chunk changed" in coloured
    plain = run_in_a_terminal(repo.root, {"NO_COLOR": "1"})
    assert b"\x1b[" not in plain and b"chunk changed" in plain


def test_fail_on_break(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    from litloom.diff import compare
    from litloom.diff.model import Change

    broken = Change(
        "literate/hello.md",
        13,
        "api-break",
        "greet",
        detail="parameter removed",
        facts=(("breakage", "parameter-removed"),),
    )
    monkeypatch.setattr(compare, "python_changes", lambda old, new: [broken])
    assert repo.diff()[0] == 0
    code, out, _ = repo.diff("--fail-on-break")
    assert code == 1 and "API break: greet (parameter removed)" in out
    assert "1 API break;" in out
    code, out, _ = repo.diff("--fail-on-break", "--format", "github")
    assert code == 1 and out.startswith(
        "::error file=literate/hello.md,line=13,title=loom diff%3A API break::greet: "
    )
    assert "**API breaks**" in repo.diff("--format", "markdown")[1]
    monkeypatch.setattr(compare, "python_changes", lambda old, new: [])
    assert repo.diff("--fail-on-break")[0] == 0


API = """\
# Api

The public function.

```python {file=pkg/__init__.py}
<<api>>
```

```python {#api}
def greet(name, punctuation="!"):
    return f"hello {name}{punctuation}"
```
"""


def test_fail_on_break_end_to_end(repo: Repo) -> None:
    """A real breakage, found by griffe in the tangled package, at its literate line."""
    repo.commit({"literate/api.md": API})
    repo.write({"literate/api.md": API.replace(', punctuation="!"', "").replace(
        "{punctuation}", "!")})
    code, out, _ = repo.diff("--fail-on-break")
    assert code == 1, out
    assert "literate/api.md:10" in out and "API break" in out and "punctuation" in out
    report = repo.json()
    [brk] = [c for c in report["changes"] if c["kind"] == "api-break"]
    assert (brk["chapter"], brk["line"], brk["side"]) == ("literate/api.md", 10, "new")
    assert repo.diff()[0] == 0  # without the flag, a break is reported, not failed


# Errors: located, exit 2, nothing written.


def error_of(repo: Repo, *args: str) -> list[str]:
    code, out, err = repo.diff(*args)
    assert code == 2 and out == "", (code, out, err)
    return err.splitlines()


def test_an_unknown_revision(repo: Repo) -> None:
    assert error_of(repo, "nope") == [
        "nope: unknown revision: no commit, branch or tag of that name in this repository",
        "loom: 1 error; nothing was written",
    ]
    assert error_of(repo, "--", "-x")[0].startswith("-x: unknown revision")


def test_a_revision_without_litloom(repo: Repo, tmp_path: Path, monkeypatch) -> None:
    plain = Repo(tmp_path / "plain")
    plain.root.mkdir()
    plain.git("init", "-q")
    plain.commit({"README.md": "# A project\n"})
    plain.commit({"pyproject.toml": PYPROJECT, "literate/hello.md": HELLO})
    assert error_of(plain, "HEAD~1") == [
        "HEAD~1:pyproject.toml: no litloom configuration on this side: no [tool.litloom] table "
        "in pyproject.toml, no nbdev or Entangled settings, and no literate source folder",
        "loom: 1 error; nothing was written",
    ]


def test_a_document_that_does_not_parse_is_reported_for_its_side(repo: Repo) -> None:
    broken = HELLO.replace("```bash {#greet}", "```bash {#greet .x=}")
    repo.commit({"literate/hello.md": broken})
    repo.write({"literate/other.md": "---\ntitle: [\n---\n" + OTHER})
    first = repo.git("rev-list", "--max-parents=0", "HEAD").strip()
    lines = error_of(repo)  # HEAD's problems, then the working tree's
    assert [line.split(": ")[0] for line in lines] == [
        "HEAD:literate/hello.md:6",
        "HEAD:literate/hello.md:13",
        "literate/hello.md:6",
        "literate/hello.md:13",
        "literate/other.md:3",
        "loom",
    ]
    assert lines[1].endswith(
        "malformed attribute '.x=' in 'bash {#greet .x=}': expected "
        "`lang {#name file=path .class key=value}`"
    )
    assert lines[4].startswith("literate/other.md:3: malformed front matter")
    assert error_of(repo, first, "HEAD")[1].startswith("HEAD:literate/hello.md:13: malformed")
    repo.git("add", "-A")
    staged = error_of(repo, "--staged")  # the index's problems (`:path`), then HEAD's
    assert staged[2].startswith(":literate/other.md:3: malformed front matter")


def test_binary_and_not_utf8_files_are_named(repo: Repo) -> None:
    repo.commit(
        {"literate/bin.md": b"# B\n\nnul \x00 here\n", "literate/latin.md": b"# L\n\ncaf\xe9\n"}
    )
    lines = error_of(repo, "HEAD~1", "HEAD")
    assert lines == [
        "HEAD:literate/bin.md:3: a binary file (a NUL byte), not a document: loom diff "
        "compares text",
        "HEAD:literate/latin.md:3: not UTF-8: byte 0xe9 at column 4; save it as UTF-8",
        "loom: 2 errors; nothing was written",
    ]
    assert error_of(repo)[2:4] == [line.removeprefix("HEAD:") for line in lines[:2]]


def test_not_in_a_git_repository(project: Project) -> None:
    project.write({"literate/hello.md": HELLO})
    before = project.snapshot()
    run = project.loom("diff")
    assert run.exit_code == 2
    assert run.stderr.splitlines()[0] == (
        f"{project.root}: not in a git repository: loom diff compares git revisions; "
        "`loom diff --proposal DIR` compares the project with a folder"
    )
    assert project.snapshot() == before


def test_a_missing_proposal_folder(repo: Repo) -> None:
    assert error_of(repo, "--proposal", "nowhere")[0] == (
        "nowhere: no such folder: --proposal names another copy of the project"
    )


def test_an_unmerged_index(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "side")
    repo.commit({"literate/other.md": OTHER.replace("goodbye", "farewell")})
    repo.git("checkout", "-q", "main")
    repo.commit({"literate/other.md": OTHER.replace("goodbye", "so long")})
    merge = ["git", "-C", str(repo.root), "-c", "user.name=t", "-c", "user.email=t@t", "merge"]
    assert subprocess.run([*merge, "-q", "side"], capture_output=True).returncode == 1
    assert error_of(repo, "--staged")[0] == (
        ":literate/other.md: not merged in the index: resolve the conflict, then `git add` it"
    )


def test_a_build_folder_linked_out_is_refused(repo: Repo, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, repo.root / "build")
    assert error_of(repo)[0].startswith("build: leads outside the project")
    assert list(outside.iterdir()) == []


# A revision compared with itself reports nothing.


def test_head_with_itself(repo: Repo) -> None:
    repo.write({"literate/hello.md": HELLO.replace("friendly", "kind")})
    assert repo.json("HEAD", "HEAD")["changes"] == []


WORDS = st.text(alphabet="abcdefgh ", min_size=1, max_size=12).map(str.strip).filter(bool)
NAMES = st.sampled_from(["a", "b", "c", "d"])
CHUNK = st.tuples(
    st.sampled_from(["bash", "text", "mermaid", "python"]),
    st.none() | NAMES,
    st.lists(WORDS, max_size=3),
)
SECTION = st.tuples(WORDS, st.lists(WORDS, max_size=2), st.lists(CHUNK, max_size=2))


def document(sections: list) -> str:
    parts = []
    for heading, prose, chunks in sections:
        parts += [f"## {heading}", "", *prose, ""]
        for language, name, lines in chunks:
            parts += [f"```{language}" + (f" {{#{name}}}" if name else ""), *lines, "```", ""]
    return "\n".join(parts)


@settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.lists(SECTION, max_size=3), min_size=1, max_size=3))
def test_any_project_compared_with_itself_reports_nothing(tmp_path: Path, documents: list) -> None:
    from litloom.diff.compare import diff
    from litloom.diff.sides import folder

    root = tmp_path / "same"
    shutil.rmtree(root, ignore_errors=True)
    texts = {f"literate/d{i}.md": document(d) for i, d in enumerate(documents)}
    Project(root).write({"pyproject.toml": PYPROJECT, **texts})
    assert diff(tmp_path, folder("same"), folder("same")).changes == ()


@settings(
    max_examples=12,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.lists(SECTION, max_size=3), min_size=1, max_size=3))
def test_any_revision_compared_with_itself_reports_nothing(repo: Repo, documents: list) -> None:
    """Committed, the documents read from git (HEAD, the index) are what the working tree
    holds: nothing changed, whichever way it is read."""
    texts = {f"literate/d{i}.md": document(d) for i, d in enumerate(documents)}
    repo.commit(texts)
    assert repo.json()["changes"] == []
    assert repo.json("HEAD", "HEAD")["changes"] == []
    assert repo.json("--staged")["changes"] == []
    repo.commit(remove=tuple(texts))


def test_a_document_linked_inside_the_project_is_read_from_git(repo: Repo) -> None:
    repo.write({"docs/shared.md": OTHER})
    os.symlink("../docs/shared.md", repo.root / "literate" / "shared.md")
    os.symlink("/etc/passwd", repo.root / "outside.md")  # not a source: never followed
    repo.commit()
    assert repo.json()["changes"] == []  # read from git as the working tree reads it
    repo.commit({"docs/shared.md": OTHER.replace("goodbye", "farewell")})
    assert kinds(repo.json("HEAD~1", "HEAD")) == [
        ("rationale-only", "literate/shared.md", 3, "new", "Other")
    ]


def test_help_imports_no_project(repo: Repo) -> None:
    code = (
        "import sys\n"
        "from litloom.cli import main\n"
        "sys.argv = ['loom', 'diff', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('litloom.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.splitlines()[-1] == (
        "['litloom.cli', 'litloom.commands', 'litloom.commands.common', "
        "'litloom.commands.console', 'litloom.commands.diff', 'litloom.errors']"
    )


def test_strict_makes_warnings_errors_on_either_side(repo: Repo) -> None:
    repo.write({"literate/other.md": OTHER.replace("{#bye}", "{#bye tset=1}")})
    assert repo.diff()[0] == 0  # a warning is loom lint's to report, not the diff's
    before = repo.state()
    run = repo.loom("--strict", "diff")
    assert run.exit_code == 2 and repo.state() == before
    assert run.stderr.startswith("literate/other.md:5: unknown option 'tset'"), run.stderr


def test_settings_that_do_not_read_are_located_on_their_side(repo: Repo) -> None:
    repo.commit({"pyproject.toml": PYPROJECT + 'source = "literate"\nsauce = 1\n'})
    lines = error_of(repo, "HEAD~1", "HEAD")
    assert lines[0].startswith("HEAD:pyproject.toml:6: [tool.litloom] unknown key 'sauce'")
    repo.commit({"pyproject.toml": "[tool.litloom\n"})
    assert error_of(repo, "HEAD~2", "HEAD")[0].startswith("HEAD:pyproject.toml:1: ")
