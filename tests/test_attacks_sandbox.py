"""Attacks on the sandbox (issue 11, item 6): code from the documents (a diagram chunk, a test
chunk, a runbook) tries to read secrets, write outside its folder, find the project, reach the
network, outlive its time, raise its own limits, exhaust memory and processes, and survive a
killed weave. Every attack must fail, as a located user error (exit 2) or a refusal inside the
sandbox, never exit 3; `loom build --no-exec` runs nothing of the project's at all."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import NODE_MODULES, REPO, Project, chunk, loom_process

MERMAID = NODE_MODULES / "mermaid" / "dist" / "mermaid.min.js"
pytestmark = [
    pytest.mark.skipif(not MERMAID.exists(), reason="needs `npm ci` (scripts/setup)"),
    pytest.mark.skipif(not Path("/usr/bin/bwrap").exists(), reason="needs bubblewrap (scripts/setup)"),
]
SECRET = "s3cr3t-9f2c4e"
LOOM = Path(sys.executable).with_name("loom")

# A diagram reports what each attempt did by drawing it: an SVG whose text is the outcomes.
ATTEMPT = """\
results = []
def attempt(name, action):
    try:
        outcome = action()
        results.append(f"{name}=allowed:{outcome!r}"[:200].replace("<", "").replace(">", ""))
    except BaseException as error:
        results.append(f"{name}=refused")
"""
REPORT = "open('r.svg', 'w').write('<svg><text>' + ' '.join(results) + '</text></svg>')"


def diagram(body: str, options: str = "") -> str:
    return chunk(f" {{.python .diagram{options}}}", *(ATTEMPT + body + "\n" + REPORT).splitlines())


def outcomes(project: Project, page: str = "pics") -> dict[str, str]:
    text = project.read(f"build/docs/{page}.md")
    return dict(m.groups() for m in re.finditer(r"(\w+)=(allowed|refused)", text))


@pytest.fixture
def pics(project: Project) -> Project:
    os.symlink(NODE_MODULES, project.root / "node_modules")
    return project


def weave(project: Project, *body: str, options: str = "", alone: bool = False) -> tuple[int, str]:
    """Weave a document of diagrams: in this process, or `alone` in a `loom` of its own, run
    from the project's folder as a user would."""
    project.write({"literate/pics.md": "# Pictures\n\n" + "".join(diagram(b, options) for b in body)})
    run = loom_process("weave", cwd=project.root) if alone else project.loom("weave")
    return run.exit_code, run.stderr


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def gone(marker: str, within: float = 3.0) -> bool:
    end = time.monotonic() + within
    while time.monotonic() < end:
        if not processes_with(marker):
            return True
        time.sleep(0.05)
    return False


# --- secrets and the home folder -----------------------------------------------------------


def test_a_diagram_reads_no_secret_and_no_home(pics: Project, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("PRIVATE-KEY-" + SECRET)
    monkeypatch.setenv("LOOM_SECRET_TOKEN", SECRET)
    monkeypatch.setenv("HOME", str(home))
    code, stderr = weave(pics, f"""\
import os, glob
attempt("env", lambda: [k for k in os.environ if "SECRET" in k] or 1 / 0)
attempt("home", lambda: os.environ["HOME"] == {str(home)!r} or 1 / 0)
attempt("ssh", lambda: open({str(home / ".ssh" / "id_rsa")!r}).read())
attempt("tilde", lambda: open(os.path.expanduser("~/.ssh/id_rsa")).read())
attempt("procenv", lambda: [p for p in glob.glob("/proc/*/environ")
                            if b"SECRET" in open(p, "rb").read()] or 1 / 0)
attempt("shadow", lambda: open("/etc/shadow").read())
attempt("roothome", lambda: os.listdir("/root/.ssh"))
""")
    assert code == 0, stderr
    assert set(outcomes(pics).values()) == {"refused"}, sorted(outcomes(pics).items())
    assert len(outcomes(pics)) == 7
    assert SECRET not in "".join(p.read_text() for p in (pics.root / "build").rglob("*.md"))


# --- writing outside, finding the project ---------------------------------------------------


def test_a_diagram_writes_nothing_outside_its_folder(pics: Project, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    name = f"injected-{os.getpid()}-{time.time_ns()}"  # removed below, should the sandbox fail
    planted = [Path(sys.prefix, name), Path("/usr", name)]
    try:
        code, stderr = weave(pics, f"""\
import os, sys
project = {str(pics.root)!r}
attempt("project", lambda: open(project + "/literate/injected.md", "w").write("x"))
attempt("outside", lambda: open({str(outside)!r}, "w").write("x"))
attempt("venv", lambda: open(sys.prefix + "/{name}", "w").write("x"))
def through(pid):  # the project, found through a process's folder (this test's only)
    if os.path.realpath(f"/proc/{{pid}}/cwd") != os.path.realpath(project):
        raise OSError("not the project")
    open(f"/proc/{{pid}}/cwd/literate/injected.md", "w").write("x")
attempt("ppidcwd", lambda: through(os.getppid()))
def scan():
    for pid in os.listdir("/proc"):
        if pid.isdigit() and os.path.isdir(f"/proc/{{pid}}/cwd/literate"):
            return through(pid)
    raise OSError("no project")
attempt("proccwd", scan)
attempt("usr", lambda: open("/usr/{name}", "w"))
def fill(path, size):
    try:
        open(path, "wb").write(b"x" * size)
    finally:
        os.remove(path)  # or the report below finds its folder full
attempt("shm", lambda: fill("/dev/shm/big", 100 << 20))
attempt("bigfile", lambda: fill("big", 300 << 20))
""", alone=True)
        assert not [p for p in planted if p.exists()]
    finally:
        for path in planted:
            path.unlink(missing_ok=True)
    assert code == 0, stderr
    assert set(outcomes(pics).values()) == {"refused"}, sorted(outcomes(pics).items())
    assert len(outcomes(pics)) == 8
    assert not (pics.root / "literate" / "injected.md").exists()
    assert not outside.exists()


def test_a_drawing_cannot_make_litloom_read_a_file_for_it(pics: Project, tmp_path: Path) -> None:
    """The SVG's images are inlined inside the sandbox: a link to a file outside it is an error,
    not that file's content in the site."""
    private = tmp_path / "private.png"
    private.write_bytes(SECRET.encode())
    pics.write({"literate/pics.md": "# Pictures\n\n" + chunk(
        " {.python .diagram}",
        f"open('x.svg', 'w').write('<svg><image href=\"{private}\"/></svg>')")})
    before = pics.snapshot()
    run = pics.loom("weave")
    assert run.exit_code == 2, run.stderr
    assert "literate/pics.md:3: diagram failed: FileNotFoundError" in run.stderr
    assert pics.snapshot() == before


# --- the network ---------------------------------------------------------------------------


def test_a_diagram_reaches_no_network_not_even_the_hosts_loopback(pics: Project) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.2)
    tcp_port, udp_port = server.getsockname()[1], udp.getsockname()[1]
    try:
        code, stderr = weave(pics, f"""\
import socket, _socket, subprocess, sys
attempt("connect", lambda: socket.create_connection(("127.0.0.1", {tcp_port}), timeout=2))
def connect_ex():
    s = socket.socket()
    s.settimeout(2)
    assert s.connect_ex(("127.0.0.1", {tcp_port})) == 0
attempt("connectex", connect_ex)
def raw():
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    s.connect(("127.0.0.1", {tcp_port}))
attempt("rawsocket", raw)
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"leak", ("1.1.1.1", 53))
attempt("udpout", udp)
attempt("dns", lambda: socket.gethostbyname("example.com"))
attempt("getaddrinfo", lambda: socket.getaddrinfo("example.com", 443))
attempt("external", lambda: socket.create_connection(("1.1.1.1", 443), timeout=2))
def child():
    code = "import socket; socket.create_connection(('127.0.0.1', {tcp_port}), timeout=2)"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
attempt("subprocess", child)
def udp_loopback():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"leak", ("127.0.0.1", {udp_port}))
    s.settimeout(1)
    s.recv(10)  # nothing answers; if the datagram had left, the host would have it
attempt("udploopback", udp_loopback)
""", options=" timeout=20")
        assert code == 0, stderr
        with pytest.raises(OSError):
            server.accept()
        with pytest.raises(OSError):
            udp.recv(10)
    finally:
        server.close()
        udp.close()
    assert set(outcomes(pics).values()) == {"refused"}, sorted(outcomes(pics).items())
    assert len(outcomes(pics)) == 9


# --- time, limits, processes ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["100000", "abc", "1e9", "nan", "-1", "0", "inf"])
def test_a_diagram_cannot_raise_its_own_time_limit(pics: Project, value: str) -> None:
    pics.write({"literate/pics.md": "# Pictures\n\n"
                + chunk("python", "#| diagram", f"#| timeout: {value}", "import time")})
    before = pics.snapshot()
    run = loom_process("weave", cwd=pics.root)
    assert run.exit_code == 2, run.stderr
    assert "literate/pics.md:5: timeout" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert pics.snapshot() == before


def test_the_ceiling_is_the_projects(pics: Project) -> None:
    pics.write({"pyproject.toml": '[tool.litloom]\ntimeout_ceiling = 2\n',
                "literate/pics.md": "# Pictures\n\n" + chunk(" {.python .diagram timeout=3}", "x=1")})
    run = pics.loom("weave")
    assert run.exit_code == 2
    assert "literate/pics.md:3: timeout 3 is more than the project allows: 2 s" in run.stderr
    pics.write({"pyproject.toml": '[tool.litloom]\ntimeout_ceiling = "a day"\n'})
    run = pics.loom("weave")
    assert run.exit_code == 2
    assert "pyproject.toml:2: [tool.litloom] 'timeout_ceiling' must be a number" in run.stderr


def test_grandchildren_do_not_outlive_the_timeout(pics: Project) -> None:
    marker = f"{time.time_ns() % 10**6}.5"
    code, stderr = weave(pics, f"""\
import os, subprocess, time
subprocess.Popen(["sleep", "{marker}"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "{marker}"])
    os._exit(0)
time.sleep(60)
""", options=" timeout=2")
    assert code == 2 and "diagram timed out after 2 s" in stderr, stderr
    assert gone(marker), processes_with(marker)


def test_a_diagram_cannot_raise_its_limits_or_exhaust_the_machine(pics: Project) -> None:
    code, stderr = weave(pics, """\
import os, resource, time
for kind in (resource.RLIMIT_NPROC, resource.RLIMIT_AS, resource.RLIMIT_CPU,
             resource.RLIMIT_FSIZE):
    attempt(f"raise{kind}", lambda: resource.setrlimit(kind, (resource.RLIM_INFINITY,) * 2))
attempt("memory", lambda: len(bytearray(4 << 30)))
def fork_50():
    children = []
    try:
        for _ in range(50):
            pid = os.fork()
            if pid == 0:
                time.sleep(3)
                os._exit(0)
            children.append(pid)
    finally:
        for pid in children:
            os.kill(pid, 9)
attempt("processes", fork_50)
if os.getpid() < 10:  # in a PID namespace of its own: kill everything it can see
    attempt("killall", lambda: os.kill(-1, 9) or time.sleep(0.2) or 1 / 0)
""", options=" timeout=20")
    assert code == 0, stderr
    assert set(outcomes(pics).values()) == {"refused"}, sorted(outcomes(pics).items())
    assert len(outcomes(pics)) == 6 + 1


def test_cpu_time_is_bounded_by_the_timeout(pics: Project) -> None:
    code, stderr = weave(pics, "while True: pass", options=" timeout=1")
    assert code == 2 and "literate/pics.md:3: diagram timed out after 1 s" in stderr, stderr


def test_a_killed_weave_leaves_no_diagram_running(pics: Project) -> None:
    marker = f"{time.time_ns() % 10**6}.25"
    pics.write({"literate/pics.md": "# Pictures\n\n" + chunk(
        " {.python .diagram timeout=60}", "import subprocess, time",
        f"subprocess.Popen(['sleep', '{marker}'], start_new_session=True)", "time.sleep(60)")})
    weave = subprocess.Popen([str(LOOM), "weave"], cwd=pics.root, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 20
        while not processes_with(marker) and time.monotonic() < end:
            time.sleep(0.05)
        assert processes_with(marker), "the diagram never started"
    finally:
        weave.send_signal(signal.SIGKILL)
        weave.wait()
    assert gone(marker), processes_with(marker)


def test_a_flood_of_output_is_bounded(pics: Project) -> None:
    pics.write({"literate/pics.md": "# Pictures\n\n" + chunk(
        " {.python .diagram}", "import os, __main__",
        "os.write(__main__._result.fileno(), b'x' * (70 << 20))",
        "print('y' * (1 << 20))")})
    before = pics.snapshot()
    run = pics.loom("weave")
    assert run.exit_code == 2
    assert "literate/pics.md:3: diagram failed: it printed no drawing" in run.stderr
    assert pics.snapshot() == before


# --- no sandbox: refused, never silent ------------------------------------------------------


def without_bwrap(project: Project, *args: str) -> tuple[int, str]:
    run = loom_process(*args, cwd=project.root, env={"PATH": "/nonexistent"})
    return run.exit_code, run.stderr


def test_without_bubblewrap_diagrams_are_refused_with_what_to_install(pics: Project,
                                                                       tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    pics.write({"literate/pics.md": "# Pictures\n\n" + chunk(
        " {.python .diagram}", f"open({str(marker)!r}, 'w')")})
    before = pics.snapshot()
    for setting in ("", 'sandbox = "auto"\n', 'sandbox = "bwrap"\n'):
        pics.write({"pyproject.toml": "[tool.litloom]\n" + setting})
        before = pics.snapshot()
        code, stderr = without_bwrap(pics, "weave")
        assert code == 2, stderr
        assert "literate/pics.md:3: diagram not drawn: bubblewrap (bwrap) is not installed" \
            in stderr
        assert "apt-get install bubblewrap" in stderr and "--no-exec" in stderr
        assert pics.snapshot() == before and not marker.exists()
    pics.write({"pyproject.toml": '[tool.litloom]\nsandbox = "off"\n'})
    code, stderr = without_bwrap(pics, "weave")
    assert code == 0 and marker.exists(), stderr  # only when the project says so


def test_without_bubblewrap_a_sandboxed_test_or_run_is_refused(pics: Project) -> None:
    pics.write({"literate/ops.md": "---\nrunbook: true\n---\n\n# Ops\n\n" + chunk("python", "1")})
    before = pics.snapshot()
    code, stderr = without_bwrap(pics, "test", "--sandbox")
    assert code == 2 and "loom test --sandbox: loom test runs pytest in the sandbox" in stderr
    code, stderr = without_bwrap(pics, "run", "ops", "--sandbox")
    assert code == 2 and "loom run --sandbox: bubblewrap (bwrap) is not installed" in stderr
    assert pics.snapshot() == before


# --- loom build --no-exec ---------------------------------------------------------------------


HOSTILE_MKDOCS = """\
site_name: !ENV [LOOM_SECRET_TOKEN, "site"]
hooks:
  - hook.py
extra:
  pwned: !!python/object/apply:os.system ["touch {marker}.yaml"]
"""
HOOK = """\
import os
def on_config(config):
    for path in ("{marker}.hook", "{root}/literate/injected.md"):
        try:
            open(path, "w").write(os.environ.get("LOOM_SECRET_TOKEN", "none"))
        except OSError:
            pass
    return config
"""


def test_build_no_exec_runs_nothing_of_the_project(pics: Project, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "ran"
    monkeypatch.setenv("LOOM_SECRET_TOKEN", SECRET)
    pics.write({
        "literate/pics.md": "# Pictures\n\n" + chunk(
            " {.python .diagram}", f"open({str(marker)!r}, 'w')"),
        "mkdocs.yml": HOSTILE_MKDOCS.format(marker=marker),
        "hook.py": HOOK.format(marker=marker, root=pics.root),
    })
    run = pics.loom("build", "--no-exec")
    assert run.exit_code == 0, run.stderr
    assert not list(tmp_path.glob("ran*")), list(tmp_path.glob("ran*"))
    assert not (pics.root / "literate" / "injected.md").exists()
    page = pics.read("build/docs/pics.md")
    assert "Diagram not drawn: built with --no-exec" in page
    site = "".join(p.read_text(errors="replace") for p in (pics.root / "build/site").rglob("*.html"))
    assert "Diagram not drawn" in site and SECRET not in site
    # a drawing cached by a trusted build is used; a corrupt cache entry is no drawing
    run = pics.loom("weave", "--no-exec")
    assert run.exit_code == 0


def test_no_exec_uses_the_cache_and_survives_a_corrupt_one(pics: Project) -> None:
    pics.write({"literate/pics.md": "# Pictures\n\n" + chunk(
        " {.python .diagram}", "open('a.svg', 'w').write('<svg><text>drawn-once</text></svg>')")})
    assert pics.loom("weave").exit_code == 0
    assert pics.loom("weave", "--no-exec").exit_code == 0
    assert "drawn-once" in pics.read("build/docs/pics.md")
    for entry in (pics.root / "build/litloom/diagrams").glob("*.json"):
        entry.write_text('{"svg": 5}')
    run = pics.loom("weave", "--no-exec")
    assert run.exit_code == 0, run.stderr
    assert "Diagram not drawn" in pics.read("build/docs/pics.md")
    run = pics.loom("weave")  # and a trusted weave draws it again
    assert run.exit_code == 0 and "drawn-once" in pics.read("build/docs/pics.md")


# --- test chunks and runbooks, with --sandbox ---------------------------------------------------


ESCAPES = """\
import os, socket
results = {{}}
for name, action in [
    ("secret", lambda: os.environ["LOOM_SECRET_TOKEN"]),
    ("write", lambda: open("{root}/literate/injected.md", "w")),
    ("net", lambda: socket.create_connection(("1.1.1.1", 443), timeout=2)),
    ("home", lambda: open("{home}/.ssh/id_rsa").read()),
]:
    try:
        action()
        results[name] = "allowed"
    except (OSError, KeyError):
        results[name] = "refused"
"""


def test_loom_test_sandbox_confines_test_chunks(pics: Project, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("key")
    code = ESCAPES.format(root=pics.root, home=home) + 'assert set(results.values()) == {"refused"}'
    pics.write({"pyproject.toml": "[tool.litloom]\n[tool.pytest.ini_options]\n"
                'testpaths = ["literate"]\n',
                "literate/t.md": "# T\n\n" + chunk(" {.python .test #escapes}", *code.splitlines())})
    env = {"LOOM_SECRET_TOKEN": SECRET}
    run = loom_process("test", "--sandbox", "-q", cwd=pics.root, env=env)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    assert not (pics.root / "literate" / "injected.md").exists()


def test_sandbox_bwrap_confines_loom_test_unless_no_sandbox(pics: Project, tmp_path: Path) -> None:
    code = ESCAPES.format(root=pics.root, home=tmp_path) + 'assert set(results.values()) == {"refused"}'
    pics.write({"pyproject.toml": '[tool.litloom]\nsandbox = "bwrap"\n[tool.pytest.ini_options]\n'
                'testpaths = ["literate"]\n',
                "literate/t.md": "# T\n\n" + chunk(" {.python .test #escapes}", *code.splitlines())})
    env = {"LOOM_SECRET_TOKEN": SECRET}
    run = loom_process("test", "-q", cwd=pics.root, env=env)  # the project's default
    assert run.exit_code == 0 and "1 passed" in run.stdout, run.stdout + run.stderr
    run = loom_process("test", "--no-sandbox", "-q", cwd=pics.root, env=env)
    assert run.exit_code == 1  # unconfined, the same test sees the secret and writes
    (pics.root / "literate" / "injected.md").unlink()


def test_loom_run_sandbox_confines_the_kernel(pics: Project, tmp_path: Path) -> None:
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_rsa").write_text("key")
    code = ESCAPES.format(root=pics.root, home=tmp_path) + "print(sorted(results.items()))"
    pics.write({"literate/ops.md": "---\nrunbook: true\nsecrets: [token]\n---\n\n# Ops\n\n"
                + chunk("python", *code.splitlines())
                + chunk("python", "print('declared', token == os.environ['LOOM_SECRET_TOKEN'])",
                        "print('other', 'LOOM_SECRET_OTHER' in os.environ)")})
    env = {"LOOM_SECRET_TOKEN": SECRET, "LOOM_SECRET_OTHER": "other-" + SECRET}
    run = loom_process("run", "ops", "--sandbox", cwd=pics.root, env=env)
    assert run.exit_code == 0, run.stderr
    notebook = next((pics.root / "build/runs/ops").glob("*.ipynb")).read_text()
    assert "('net', 'refused')" in notebook and "('write', 'refused')" in notebook
    assert "('home', 'refused')" in notebook
    assert "declared True" in notebook and "other False" in notebook  # its own secret only
    assert not (pics.root / "literate" / "injected.md").exists()


def test_setup_installs_bubblewrap(tmp_path: Path) -> None:
    """scripts/setup names bubblewrap when `bwrap` is missing (and installs it as root)."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for tool in ("dirname", "cut"):
        (bin_ / tool).symlink_to(Path("/usr/bin", tool))
    for stub, text in {"dot": "", "npm": "", "id": "echo 1000", "python3": "exit 0"}.items():
        (bin_ / stub).write_text(f"#!/bin/sh\n{text}\n")
        (bin_ / stub).chmod(0o755)
    run = subprocess.run(["/bin/bash", str(REPO / "scripts" / "setup")], capture_output=True,
                         text=True, env={"PATH": str(bin_)}, timeout=30)
    assert run.returncode == 2
    assert "missing system packages: bubblewrap" in run.stderr
