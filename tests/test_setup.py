"""scripts/setup re-runs only the installs whose locks changed: `uv sync` when uv.lock or
pyproject.toml did, `npm ci` when package-lock.json did (or what they made is gone)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

UV = """#!/bin/sh
if [ "$1" = --version ]; then echo "uv 0.13.9"; exit 0; fi
echo "uv $1" >>"$LOG"
mkdir -p .venv/bin
printf '#!/bin/sh\\nexit 0\\n' >.venv/bin/python
printf '#!/bin/sh\\necho loom 0\\n' >.venv/bin/loom
chmod +x .venv/bin/python .venv/bin/loom
"""
NPM = """#!/bin/sh
echo "npm $1" >>"$LOG"
mkdir -p node_modules/mermaid/dist && : >node_modules/mermaid/dist/mermaid.min.js
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout with scripts/setup and its locks, and stubs of uv, npm, dot and bwrap that
    log what they are asked to do."""
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "setup", root / "scripts" / "setup")
    for name, text in {
        "uv.lock": "lock 1",
        "pyproject.toml": "[project]",
        "package-lock.json": "{}",
    }.items():
        (root / name).write_text(text)
    stubs = {
        tmp_path / "bin" / "npm": NPM,
        tmp_path / "bin" / "dot": "#!/bin/sh\n",
        tmp_path / "bin" / "bwrap": "#!/bin/sh\n",
        root / "build/tools/bin/uv": UV,
    }
    for path, text in stubs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o755)
    return root


def setup(root: Path) -> list[str]:
    """Run scripts/setup; the installs it ran."""
    log = root.parent / "log"
    log.write_text("")
    env = {
        **os.environ,
        "PATH": f"{root.parent / 'bin'}:/usr/bin:/bin",
        "LOG": str(log),
        "PYTHON": sys.executable,
    }
    run = subprocess.run(
        ["/bin/bash", "scripts/setup"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return log.read_text().split()[::2]


def test_a_rerun_skips_each_install_whose_lock_did_not_change(checkout: Path) -> None:
    assert setup(checkout) == ["uv", "npm"]
    assert setup(checkout) == []
    (checkout / "package-lock.json").write_text('{"changed": 1}')
    assert setup(checkout) == ["npm"]
    (checkout / "uv.lock").write_text("lock 2")
    assert setup(checkout) == ["uv"]
    (checkout / "pyproject.toml").write_text("[project]\nname = 'x'")
    assert setup(checkout) == ["uv"]
    assert setup(checkout) == []


def test_an_install_runs_again_when_what_it_made_is_gone(checkout: Path) -> None:
    setup(checkout)
    shutil.rmtree(checkout / "node_modules")
    assert setup(checkout) == ["npm"]
    shutil.rmtree(checkout / ".venv")
    assert setup(checkout) == ["uv"]
