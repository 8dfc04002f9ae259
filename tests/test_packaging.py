"""Packaging: the wheel ships mermaid.min.js and its licence from the npm lock (the build hook),
and a project with no node_modules and no package.json builds its site with that copy."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, Project, loom_process
from litloom.templates import files_of

LOCKED = json.loads((REPO / "package-lock.json").read_text())["packages"]["node_modules/mermaid"]
FAKE_JS = b"/* mermaid, as the npm package has it */\n"
FAKE_LICENSE = b"The MIT License (MIT)\n\nCopyright (c) mermaid's authors\n"


def checkout(tmp_path: Path, mermaid_version: str | None = LOCKED["version"]) -> Path:
    """What a wheel is built from: litloom's sources, its npm lock, and a node_modules/mermaid
    of `mermaid_version` (None: no node_modules)."""
    root = tmp_path / "checkout"
    shutil.copytree(
        REPO / "tangled_src", root / "tangled_src", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ["pyproject.toml", "README.md", "package-lock.json"]:
        shutil.copy2(REPO / name, root / name)
    shutil.copytree(REPO / "templates", root / "templates")
    if mermaid_version is not None:
        package = root / "node_modules" / "mermaid"
        (package / "dist").mkdir(parents=True)
        (package / "dist" / "mermaid.min.js").write_bytes(FAKE_JS)
        (package / "LICENSE").write_bytes(FAKE_LICENSE)
        (package / "package.json").write_text(json.dumps({"version": mermaid_version}))
    return root


def hatchling(root: Path, target: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", target, "-d", str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def shipped(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.startswith("litloom/assets/")}


def test_the_wheel_ships_mermaid_and_its_licence(tmp_path: Path) -> None:
    built = hatchling(checkout(tmp_path), "wheel", tmp_path / "dist")
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("litloom-*.whl")
    assert shipped(wheel) == {
        "litloom/assets/mermaid.min.js": FAKE_JS,
        "litloom/assets/mermaid.LICENSE": FAKE_LICENSE,
    }
    with zipfile.ZipFile(wheel) as archive:
        assert not [n for n in archive.namelist() if "hatch_build" in n or "node_modules" in n]


def test_the_wheel_ships_the_templates_as_loom_init_copies_them(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    made = root / "templates" / "cellular" / "tangled_src" / "cellular_app" / "made.py"
    made.parent.mkdir(parents=True, exist_ok=True)
    made.write_text("# what the template's own tangle makes: never shipped\n")
    built = hatchling(root, "wheel", tmp_path / "dist")
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("litloom-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = {n for n in archive.namelist() if n.startswith("litloom/templates/")}
        setup = archive.getinfo("litloom/templates/cellular/scripts/setup")
    folder = root / "templates" / "cellular"
    expected = {
        f"litloom/templates/cellular/{p.relative_to(folder).as_posix()}" for p in files_of(folder)
    }
    assert names == expected and "litloom/templates/cellular/pyproject.toml" in names
    assert "litloom/templates/cellular/literate/gateway.md" in names
    assert not [n for n in names if "tangled_src" in n]
    assert (setup.external_attr >> 16) & 0o111  # the set-up script stays executable


def test_a_wheel_built_from_the_sdist_ships_them_without_node_modules(tmp_path: Path) -> None:
    assert hatchling(checkout(tmp_path), "sdist", tmp_path / "sdist").returncode == 0
    [sdist] = (tmp_path / "sdist").glob("litloom-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    [unpacked] = (tmp_path / "unpacked").iterdir()
    assert not (unpacked / "tests").exists()  # the sdist takes the root's folders, no others
    built = hatchling(unpacked, "wheel", tmp_path / "dist")
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("litloom-*.whl")
    assert shipped(wheel)["litloom/assets/mermaid.min.js"] == FAKE_JS


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (
            None,
            "but node_modules/mermaid/dist/mermaid.min.js is missing: run `npm ci` in the "
            "checkout (scripts/setup does), then build again",
        ),
        (
            "0.0.1",
            f"node_modules/mermaid is version 0.0.1, but package-lock.json locks "
            f"{LOCKED['version']}: run `npm ci`",
        ),
    ],
)
def test_a_wheel_without_the_locked_mermaid_is_refused(
    tmp_path: Path, version: str | None, message: str
) -> None:
    built = hatchling(checkout(tmp_path, version), "wheel", tmp_path / "dist")
    assert built.returncode == 1
    assert message in built.stderr
    assert "Traceback" not in built.stderr
    assert not list((tmp_path / "dist").glob("*.whl"))


def litloom_package(tmp_path: Path, mermaid: bytes | None) -> dict[str, str]:
    """The environment of a litloom installed with `mermaid` packaged in it (None: without),
    as its wheel installs it: the package alone, on PYTHONPATH."""
    site = tmp_path / "site-packages"
    shutil.copytree(
        REPO / "tangled_src" / "litloom",
        site / "litloom",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    if mermaid is not None:
        (site / "litloom" / "assets").mkdir()
        (site / "litloom" / "assets" / "mermaid.min.js").write_bytes(mermaid)
    return {"PYTHONPATH": str(site)}


@pytest.fixture
def fresh(tmp_path: Path) -> Project:
    """A new project, as `loom init` makes it: no package.json, no node_modules."""
    assert loom_process("init", "fresh", cwd=tmp_path).exit_code == 0
    root = tmp_path / "fresh"
    assert not (root / "package.json").exists() and not (root / "node_modules").exists()
    return Project(root)


def test_a_new_project_builds_its_site_with_the_packaged_mermaid(
    tmp_path: Path, fresh: Project
) -> None:
    env = litloom_package(tmp_path, b"/* the packaged mermaid */\n")
    run = loom_process("build", cwd=fresh.root, env=env)
    assert run.exit_code == 0, run.stderr
    assert (
        fresh.read("build/site/assets/javascripts/mermaid.min.js") == "/* the packaged mermaid */\n"
    )
    assert 'src="assets/javascripts/mermaid.min.js"' in fresh.read("build/site/index.html")


def test_the_projects_node_modules_comes_first(tmp_path: Path, fresh: Project) -> None:
    env = litloom_package(tmp_path, b"/* the packaged mermaid */\n")
    fresh.write({"node_modules/mermaid/dist/mermaid.min.js": "/* the project's own */\n"})
    assert loom_process("weave", cwd=fresh.root, env=env).exit_code == 0
    assert fresh.read("build/docs/assets/javascripts/mermaid.min.js") == "/* the project's own */\n"


def test_a_configured_mermaid_is_never_replaced(tmp_path: Path, fresh: Project) -> None:
    env = litloom_package(tmp_path, b"/* the packaged mermaid */\n")
    fresh.write(
        {
            "pyproject.toml": fresh.read("pyproject.toml").replace(
                "[tool.litloom]\n", '[tool.litloom]\nmermaid_js = "vendor/mermaid.js"\n'
            )
        }
    )
    assert loom_process("tangle", cwd=fresh.root, env=env).exit_code == 0
    before = fresh.snapshot()
    run = loom_process("weave", cwd=fresh.root, env=env)
    assert run.exit_code == 2
    assert (
        "pyproject.toml: vendor/mermaid.js not found: [tool.litloom] mermaid_js names the "
        "mermaid.min.js the site serves; correct it, or remove it" in run.stderr
    )
    assert fresh.snapshot() == before


@pytest.mark.parametrize("command", ["weave", "build"])
def test_no_mermaid_anywhere_is_a_located_error(
    tmp_path: Path, fresh: Project, command: str
) -> None:
    env = litloom_package(tmp_path, None)
    assert loom_process("tangle", cwd=fresh.root, env=env).exit_code == 0
    before = fresh.snapshot()
    run = loom_process(command, cwd=fresh.root, env=env)
    assert run.exit_code == 2
    first = next(line for line in run.stderr.splitlines() if line.startswith("pyproject.toml:"))
    assert first.startswith(
        "pyproject.toml: node_modules/mermaid/dist/mermaid.min.js not found, "
        "and this litloom has no mermaid.min.js of its own (in "
    )
    assert (
        "Reinstall litloom from a wheel, which ships it, or set [tool.litloom] mermaid_js" in first
    )
    assert "npm" not in run.stderr  # no package-lock.json here: `npm ci` would fail
    assert "Traceback" not in run.stderr
    assert fresh.snapshot() == before


def test_a_project_with_an_npm_lock_is_told_to_run_npm_ci(tmp_path: Path, fresh: Project) -> None:
    env = litloom_package(tmp_path, None)
    fresh.write({"package-lock.json": "{}"})
    run = loom_process("weave", cwd=fresh.root, env=env)
    assert run.exit_code == 2
    assert "since this project locks its npm packages, run `npm ci`" in run.stderr
