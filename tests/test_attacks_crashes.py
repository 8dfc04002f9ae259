"""Attacks: crashes. Kills and disk errors at every step of a commit, random `kill -9`s,
a full disk or a failing rename in every command that writes, and two commands at once.

After each, the next `loom tangle` must leave exactly what a fresh tangle of the same sources
makes; a disk error is a located user error (exit 2) with the project as it was."""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import NODE_MODULES, PYPROJECT, Project, chunk, loom_process
from litloom.store import writer

STEPS = ("_record", "_stage", "_keep", "_put", "_set_aside", "_rmdir")


class Killed(BaseException):
    """Stops a command where it is, as `kill -9` would: no `except Exception` catches it."""


def doc(*targets: str, version: str = "1") -> str:
    return "".join(chunk(f" {{.python file={t}}}", f"NAME = {t!r}  # v{version}") for t in targets)


# Version A, then B: B changes two targets, removes three (one in a folder that goes with it),
# adds two, and turns the target `plug` into the folder of `plug/mod.py`.
A = {"literate/a.md": doc("keep.py", "one.py", "two.py", "plug", "pkg/gone.py", "deep/x/gone.py"),
     "literate/b.md": doc("three.py")}
B = {"literate/a.md": doc("keep.py", "one.py", "plug/mod.py", "new/n1.py", version="2")
     + doc("kept.py"),
     "literate/b.md": doc("three.py", "new/n2.py")}


def files_under(root: Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.relative_to(root).as_posix().startswith(skip)}


def fresh(tmp_path: Path, sources: dict[str, str]) -> dict[str, bytes]:
    """What a fresh tangle of `sources` makes: the tangle root and litloom's work folder."""
    root = tmp_path / f"fresh-{len(list(tmp_path.glob('fresh-*')))}"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    project = Project(root).write(sources)
    assert project.loom("tangle").exit_code == 0
    return outcome(project)


def outcome(project: Project) -> dict[str, bytes]:
    """The tangle root's files, and the names (not contents: times differ) of build/ files."""
    result = {f"tangled_src/{k}": v for k, v in files_under(project.root / "tangled_src").items()}
    result["sourcemap"] = (project.root / "build/litloom/sourcemap.json").read_bytes()
    result["build"] = " ".join(sorted(files_under(project.root / "build"))).encode()
    return result


def assert_settled(project: Project, expected: dict[str, bytes]) -> None:
    """The next tangle leaves what a fresh one makes, nothing of the writer's, and a clean check."""
    run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr
    assert outcome(project) == expected
    assert not writer.leftovers([], [project.root])
    assert not (project.root / "build/litloom/journal.json").exists()
    assert not (project.root / "build/litloom/lock").exists()
    assert project.loom("check").exit_code == 0


@pytest.fixture
def tangled_a(project: Project, tmp_path: Path) -> Path:
    """A pristine copy of a project tangled at version A, to start each attack from."""
    project.write(A)
    assert project.loom("tangle").exit_code == 0
    pristine = tmp_path / "pristine"
    shutil.copytree(project.root, pristine)
    return pristine


def restart(project: Project, pristine: Path) -> None:
    shutil.rmtree(project.root)
    shutil.copytree(pristine, project.root)
    project.write(B)


def stop_at(monkeypatch: pytest.MonkeyPatch, at: int, error: BaseException) -> list[str]:
    """Make the `at`-th step of any commit raise `error`; the steps taken, by name."""
    calls: list[str] = []

    def counting(step: str):
        real = getattr(writer, step)

        def counted(*args):
            calls.append(step)
            if len(calls) == at:
                raise error
            return real(*args)

        return counted

    for step in STEPS:
        monkeypatch.setattr(writer, step, counting(step))
    return calls


def test_a_kill_at_every_step_of_the_commit_is_settled_by_the_next_tangle(
    project: Project, tangled_a: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After staging, after each rename, after the manifest, during deletes and pruning,
    after the commit was made: the next tangle finishes or undoes it, then tangles."""
    expected, taken = fresh(tmp_path, B), {}
    for at in range(1, 200):
        restart(project, tangled_a)
        with monkeypatch.context() as patch:
            calls = stop_at(patch, at, Killed())
            try:
                project.loom("tangle")
            except Killed:
                taken[at] = calls[-1]
        if at not in taken:
            break
        assert_settled(project, expected)
    assert {"_record", "_stage", "_keep", "_put", "_set_aside", "_rmdir"} <= set(taken.values())
    assert len(taken) > 25


def test_a_disk_error_at_every_step_leaves_the_project_as_it_was(
    project: Project, tangled_a: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk (or a read-only or immutable folder) at any step before the commit is made
    puts every file back: exit 2, the path and the reason, nothing changed."""
    expected, failed = fresh(tmp_path, B), 0
    for at in range(1, 200):
        restart(project, tangled_a)
        before = project.snapshot()
        with monkeypatch.context() as patch:
            calls = stop_at(patch, at, OSError(errno.ENOSPC, "No space left on device"))
            run = project.loom("tangle")
        if len(calls) < at:
            break
        if run.exit_code == 2:  # before the journal said "done": undone
            failed += 1
            assert "No space left on device" in run.stderr, run.stderr
            assert run.stderr.split(": cannot ")[0].startswith(str(project.root)), run.stderr
            assert project.snapshot() == before, (at, calls[-1])
        else:  # the commit was made; removing what it kept failed: the next run finishes it
            assert run.exit_code == 0, run.stderr
        assert_settled(project, expected)
    assert failed > 20


def test_random_kills_of_a_tangle_process(project: Project, tmp_path: Path) -> None:
    """`kill -9` of a real `loom tangle` at random moments, ten times."""
    random_kills(project, tmp_path, kills=10, documents=8, seed=11)


@pytest.mark.slow
def test_many_random_kills_of_a_tangle_process(project: Project, tmp_path: Path) -> None:
    hits = random_kills(project, tmp_path, kills=60, documents=20, seed=12)
    assert hits >= 10  # kills that stopped a commit half-way, not before or after it


def random_kills(project: Project, tmp_path: Path, kills: int, documents: int, seed: int) -> int:
    """Kill tangles that switch between two versions of thirty targets a document, each at a
    random moment of the later part of its run, where its commit is; the kills that stopped
    a commit half-way (a journal or temporary files were left)."""
    versions = [{f"literate/d{d}.md": doc(*(f"p{d}/{v}m{i}.py" for i in range(30)), version=v)
                 for d in range(documents)} for v in "xy"]
    versions[1]["literate/d0.md"] = ""  # thirty targets go
    expected = [fresh(tmp_path, version) for version in versions]
    loom, rng, hits = Path(sys.executable).with_name("loom"), random.Random(seed), 0
    project.write(versions[0])
    project.loom("tangle")
    durations = []
    for version in (1, 0):  # how long a switch takes, unkilled, on this machine now
        project.write(versions[version])
        started = time.monotonic()
        assert loom_process("tangle", cwd=project.root).exit_code == 0
        durations.append(time.monotonic() - started)
    for kill in range(kills):
        version = (kill + 1) % 2
        project.write(versions[version])
        process = subprocess.Popen([str(loom), "tangle"], cwd=project.root,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.35, 1.0) * max(durations))
        process.send_signal(signal.SIGKILL)
        process.wait()
        journal = project.root / "build/litloom/journal.json"
        hits += journal.exists() or bool(writer.leftovers([], [project.root]))
        assert_settled(project, expected[version])
    return hits


def test_temporary_files_of_killed_runs_fail_the_check_and_the_tangle_removes_them(
    project: Project,
) -> None:
    """Staged and kept files that an older litloom, or a killed single-file write, left."""
    project.write(A)
    project.loom("tangle")
    left = ["tangled_src/.one.py.0a1b2c3d.tmp", "tangled_src/pkg/.gone.py.12345678.old",
            "build/litloom/.state.marshal.deadbeef.tmp", "build/runs/x/.r.json.00000000.tmp"]
    project.write({path: "half" for path in left})
    project.write({"tangled_src/.mine.tmp": "a user's file", "build/tools/.t.12345678.tmp": "x"})
    check = project.loom("check")
    assert check.exit_code == 1
    for path in left:
        assert f"{path}: a temporary file an interrupted run left" in check.stderr
    run = project.loom("tangle")  # a no-op tangle, as far as the sources go
    assert run.exit_code == 0 and all(f"removed {path}" in run.stdout for path in left)
    assert not any((project.root / path).exists() for path in left)
    assert (project.root / "tangled_src/.mine.tmp").exists()  # not litloom's pattern
    assert (project.root / "build/tools/.t.12345678.tmp").exists()  # not litloom's folder
    assert project.loom("check").exit_code == 0


def test_a_pending_journal_fails_the_check_and_any_writing_command_settles_it(
    project: Project, tangled_a: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    restart(project, tangled_a)
    with monkeypatch.context() as patch:
        calls = stop_at(patch, 1000, Killed())
        patch.setattr(writer, "_finish", lambda journal: (_ for _ in ()).throw(Killed()))
        with pytest.raises(Killed):
            project.loom("tangle")
    assert calls and (project.root / "build/litloom/journal.json").exists()
    check = project.loom("check")
    assert check.exit_code == 1
    assert "build/litloom/journal.json: the journal of an interrupted command" in check.stderr
    run = project.loom("notebooks")  # any command that writes settles it first
    assert "finished the writes of an interrupted command" in run.stderr
    assert not (project.root / "build/litloom/journal.json").exists()
    assert_settled(project, fresh(tmp_path, B))


def test_a_damaged_journal_is_a_located_error(project: Project) -> None:
    project.write({**A, "build/litloom/journal.json": "{not json"})
    before = project.snapshot()
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert run.stderr.startswith(f"{project.root}/build/litloom/journal.json: not a journal")
    assert project.snapshot() == before


def test_an_undo_that_fails_keeps_the_journal_for_the_next_run(
    project: Project, tangled_a: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    restart(project, tangled_a)
    with monkeypatch.context() as patch:
        stop_at(patch, 5, Killed())  # while staging
        with pytest.raises(Killed):
            project.loom("tangle")
    with monkeypatch.context() as patch:
        patch.setattr(writer, "_unlink", lambda path: (_ for _ in ()).throw(
            OSError(errno.EIO, "Input/output error", str(path))))
        run = project.loom("tangle")
    assert run.exit_code == 2 and "cannot undo the commit: Input/output error" in run.stderr
    assert "keeps what is left, and the next loom command that writes tries again" in run.stderr
    assert (project.root / "build/litloom/journal.json").exists()
    assert_settled(project, fresh(tmp_path, B))


def test_a_partial_temporary_file_on_a_full_disk_is_removed(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills half-way through a file in a folder the commit made: the rollback
    removes the partial file and the folder, instead of failing on "Directory not empty"."""
    project.write(A)
    project.loom("tangle")
    project.write(B)
    before = project.snapshot()
    real = os.fdopen

    class Full:
        def __init__(self, stream):
            self.stream = stream

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.stream.close()

        def write(self, data):
            self.stream.write(data[: len(data) // 2])
            self.stream.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

    def fdopen(descriptor, mode):
        path = os.readlink(f"/proc/self/fd/{descriptor}")
        return Full(real(descriptor, mode)) if "/new/" in path else real(descriptor, mode)

    monkeypatch.setattr(writer.os, "fdopen", fdopen)
    run = project.loom("tangle")
    assert run.exit_code == 2 and "cannot write: No space left on device" in run.stderr
    assert project.snapshot() == before
    assert not (project.root / "tangled_src/new").exists()


def test_traces_that_cannot_be_saved_do_not_fail_a_made_tangle(
    project: Project, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The tangle's files are in place when its traces are saved: a full disk then is a
    warning, not "nothing was written", and the next tangle still makes the right files."""
    project.write(A)
    project.loom("tangle")
    project.write(B)
    real = writer._stage

    def full(path, data, *rest):
        if "state.marshal" in str(path) or "documents.marshal" in str(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data, *rest)

    monkeypatch.setattr(writer, "_stage", full)
    run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr
    assert "traces" in run.stderr and "No space left on device" in run.stderr
    monkeypatch.setattr(writer, "_stage", real)
    assert_settled(project, fresh(tmp_path, B))


# -- every command that writes: a disk error is a located user error, nothing changed ----------

SYNC_DOC = "# Calc\n\n" + chunk("python", "#| file: calc.py", "def add(a, b):", "    return a + b")
RUNBOOK = "---\nrunbook: true\n---\n\n# R\n\n" + chunk("python", "print('hi')")
UGLY = "# U\n\n" + chunk(" {.python file=u.py}", "def   f( x ):", "    return {'a':x}")


def stitch_ready(project: Project) -> None:
    project.write({"literate/d.md": doc("m.py", "n.py")})
    assert project.loom("tangle").exit_code == 0
    for name in ("m", "n"):
        path = project.root / f"tangled_src/{name}.py"
        path.write_text(path.read_text().replace("# v1", "# v1 edited"))


def import_ready(project: Project) -> None:
    from test_entangled import ENTANGLED_WROTE, NAMESPACED

    (project.root / "pyproject.toml").unlink()
    project.write({**NAMESPACED, **ENTANGLED_WROTE})


def weave_ready(project: Project) -> None:

    if not (NODE_MODULES).exists():
        pytest.skip("needs `npm ci` (scripts/setup)")
    os.symlink(NODE_MODULES, project.root / "node_modules")
    project.write(A)


COMMANDS = {
    "tangle": (lambda p: p.write(B), ["tangle"]),
    "weave": (weave_ready, ["weave"]),
    "sync": (lambda p: p.write({"literate/a.md": SYNC_DOC, "literate/b.md": SYNC_DOC}), ["sync"]),
    "stitch": (stitch_ready, ["stitch"]),
    "fmt": (lambda p: p.write({"literate/u.md": UGLY,  # two documents, two files: fmt tangles
                               "literate/v.md": UGLY.replace("u.py", "v.py")}), ["fmt"]),
    "notebooks": (lambda p: p.write({"literate/r.md": RUNBOOK, "literate/s.md": RUNBOOK}),
                  ["notebooks"]),
    "import": (import_ready, ["import", "entangled", "."]),
}


@pytest.mark.parametrize("step", ["_stage", "_put"])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_disk_error_in_any_command_is_a_located_error_with_nothing_changed(
    project: Project, monkeypatch: pytest.MonkeyPatch, name: str, step: str
) -> None:
    prepare, args = COMMANDS[name]
    prepare(project)
    before = project.snapshot()
    real, calls = getattr(writer, step), []

    def failing(*args):
        staged = args[0]  # the target is named after it: .NAME.XXXXXXXX.tmp
        calls.append(args[1] if step == "_put" else staged.parent / staged.name[1:-13])
        if len(calls) == 2:  # the second file: the first is staged or in place already
            raise OSError(errno.ENOSPC, "No space left on device", str(staged))
        real(*args)

    monkeypatch.setattr(writer, step, failing)
    if name == "import":
        monkeypatch.chdir(project.root)
    run = project.loom(*args)
    assert len(calls) >= 2, (name, run.stderr)
    assert run.exit_code == 2, run.stderr
    first = run.stderr.splitlines()[0]
    assert first == f"{calls[1]}: cannot write: No space left on device", run.stderr
    assert project.snapshot() == before


@pytest.mark.parametrize(("call", "path", "verb"), [
    ("rename", "tangled_src/pkg/gone.py", "delete"),
    ("rmdir", "tangled_src/deep/x", "remove the empty folder"),
])
def test_a_delete_or_prune_that_fails_undoes_the_writes(
    project: Project, tangled_a: Path, monkeypatch: pytest.MonkeyPatch,
    call: str, path: str, verb: str,
) -> None:
    """An immutable or read-only folder makes a deletion or the removal of an empty folder
    fail: exit 2 naming it, and the files already written are put back."""
    restart(project, tangled_a)
    before, real, doomed = project.snapshot(), getattr(os, call), str(project.root / path)

    def refused(source, *args, **kwargs):
        if str(source) == doomed:
            raise OSError(errno.EPERM, "Operation not permitted", str(source))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(writer.os, call, refused)
    run = project.loom("tangle")
    assert run.exit_code == 2, run.stderr
    assert run.stderr.startswith(f"{doomed}: cannot {verb}: Operation not permitted"), run.stderr
    assert project.snapshot() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="as root, a read-only folder does not stop writes")
def test_a_read_only_folder_is_a_located_error(project: Project) -> None:
    project.write(A)
    project.loom("tangle")
    project.write(B)
    folder = project.root / "tangled_src"
    folder.chmod(0o555)
    try:
        before = project.snapshot()
        run = project.loom("tangle")
    finally:
        folder.chmod(0o755)
    assert run.exit_code == 2 and "Permission denied" in run.stderr
    assert project.snapshot() == before


# -- concurrency: the project lock ----------------------------------------------------------------


def test_two_tangles_at_once_from_cold_ten_times(project: Project, tmp_path: Path) -> None:
    """Two `loom tangle`s started together on a project never tangled: both succeed, neither
    sees the other's files as edited by hand, and the result is a fresh tangle's."""
    sources = {f"literate/d{d}.md": doc(*(f"p{d}/m{i}.py" for i in range(10))) for d in range(4)}
    expected = fresh(tmp_path, sources)
    loom = Path(sys.executable).with_name("loom")
    for _ in range(10):
        shutil.rmtree(project.root / "tangled_src", ignore_errors=True)
        shutil.rmtree(project.root / "build", ignore_errors=True)
        project.write(sources)
        runs = [subprocess.Popen([str(loom), "tangle"], cwd=project.root, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in "ab"]
        results = [(run.wait(timeout=60), run.communicate()[1]) for run in runs]
        for code, stderr in results:
            assert code == 0 and "edited by hand" not in stderr, stderr
        assert outcome(project) == expected


def test_a_second_writer_waits_then_names_the_holder(project: Project) -> None:
    project.write(A)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        lock = project.root / "build/litloom/lock"
        lock.parent.mkdir(parents=True)
        lock.write_text(json.dumps({"pid": holder.pid, "host": os.uname().nodename,
                                    "command": "loom build", "since": time.time(), "token": "t"}))
        before = project.snapshot()
        started = time.monotonic()
        run = loom_process("tangle", cwd=project.root, env={"LOOM_LOCK_WAIT": "0.5"})
        assert time.monotonic() - started >= 0.5
        assert run.exit_code == 2
        assert run.stderr.startswith(
            f"build/litloom/lock: the project is locked by `loom build` (process {holder.pid}, ")
        assert project.snapshot() == before
        assert loom_process("check", cwd=project.root).exit_code == 1  # readers take no lock
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_released_while_waiting_is_taken(project: Project) -> None:
    project.write(A)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.7)"])
    lock = project.root / "build/litloom/lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": holder.pid, "host": os.uname().nodename,
                                "command": "loom tangle", "since": time.time(), "token": "t"}))
    run = loom_process("tangle", cwd=project.root, env={"LOOM_LOCK_WAIT": "5"})
    holder.wait()
    assert run.exit_code == 0, run.stderr


@pytest.mark.parametrize("kind", ["dead", "reused", "damaged"])
def test_a_stale_lock_is_taken_over(project: Project, kind: str) -> None:
    """A lock whose process died (kill -9 leaves one), whose process id now belongs to
    another process, or that its maker died before writing, is taken over."""
    project.write(A)
    lock = project.root / "build/litloom/lock"
    lock.parent.mkdir(parents=True)
    if kind == "damaged":
        lock.write_text("")
        os.utime(lock, (time.time() - 60, time.time() - 60))
    else:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        pid, started = (dead.pid, None) if kind == "dead" else (os.getppid(), 12345)
        lock.write_text(json.dumps({"pid": pid, "started": started, "command": "loom tangle",
                                    "host": os.uname().nodename, "since": 0, "token": "t"}))
    run = loom_process("tangle", cwd=project.root, env={"LOOM_LOCK_WAIT": "0"})
    assert run.exit_code == 0, run.stderr
    assert not lock.exists()


def test_a_command_started_by_the_holder_shares_its_lock(project: Project) -> None:
    """A runbook that runs `loom build` on its own project, under `loom run`."""
    project.write(A)
    lock = project.root / "build/litloom/lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": os.getpid(), "host": os.uname().nodename,
                                "command": "loom run", "since": 0, "token": "parent"}))
    run = loom_process("tangle", cwd=project.root,
                       env={"LOOM_LOCK": "parent", "LOOM_LOCK_WAIT": "0"})
    assert run.exit_code == 0, run.stderr
    assert lock.exists()  # still the parent's


def test_a_lock_that_cannot_be_made_is_a_located_error(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litloom.store import lock

    project.write(A)
    real = os.open

    def read_only(path, flags, *args, **kwargs):
        if str(path).endswith("build/litloom/lock"):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(lock.os, "open", read_only)
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert run.stderr.startswith("build/litloom/lock: cannot take the project lock: Read-only")
    bad = loom_process("tangle", cwd=project.root, env={"LOOM_LOCK_WAIT": "soon"})
    assert bad.exit_code == 2 and bad.stderr.startswith("LOOM_LOCK_WAIT: must be a number")


def test_a_folder_for_another_program_that_cannot_be_made_is_a_located_error(
    tmp_path: Path,
) -> None:
    """`loom test --cov` makes the folder of coverage's data; a file in the way is named."""
    from litloom.errors import UserError

    (tmp_path / "build").write_text("a file where the build folder should be")
    with pytest.raises(UserError) as raised:
        writer.make_folder(tmp_path / "build" / "litloom")
    assert str(raised.value.diagnostics[0]).endswith("cannot make the folder: Not a directory")
