"""`loom init --template`: folder templates copied, renamed, whole or not at all."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from conftest import loom_process
from litloom import templates
from litloom.scaffold import scaffold
from litloom.store.writer import Transaction


def make_template(root: Path) -> Path:
    folder = root / "demo"
    (folder / "literate").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "demo-app"\ndescription = "A demo."\n', "utf-8"
    )
    (folder / "literate" / "index.md").write_text(
        "# demo_app\n\n```python {file=demo_app/__init__.py}\nimport demo_app.x\n```\n"
        "demo_apps and my_demo_app stay; demo-app is the distribution.\n"
        "# Demo App\nDEMO_APP_KEYS and $DEMO_APP are renamed; MY_DEMO_APP, DEMO_APPS and Demo Apps stay.\n",
        "utf-8",
    )
    (folder / "literate" / "demo_app").mkdir()
    (folder / "literate" / "demo_app" / "cell.md").write_text("demo_app\n", "utf-8")
    (folder / "scripts").mkdir()
    setup = folder / "scripts" / "setup"
    setup.write_text("#!/bin/sh\necho set up demo_app\n", "utf-8")
    setup.chmod(0o755)
    (folder / "icon.png").write_bytes(b"\x89PNG\xff\xfedemo_app")
    for junk in [
        "tangled_src/demo_app/__init__.py",
        "build/x",
        ".venv/bin/python",
        "uv.lock",
        "literate/__pycache__/x.pyc",
    ]:
        (folder / junk).parent.mkdir(parents=True, exist_ok=True)
        (folder / junk).write_text("junk", "utf-8")
    return folder


def test_a_folder_is_copied_renamed_without_what_a_project_makes(tmp_path: Path) -> None:
    files = templates.copy_of(make_template(tmp_path), "notes_hub")
    assert sorted(files) == [
        "icon.png",
        "literate/index.md",
        "literate/notes_hub/cell.md",
        "pyproject.toml",
        "scripts/setup",
    ]
    index = files["literate/index.md"][0].decode()
    assert index.startswith("# notes_hub\n") and "{file=notes_hub/__init__.py}" in index
    assert "import notes_hub.x" in index
    assert "demo_apps and my_demo_app stay; notes-hub is the distribution." in index
    assert "# Notes Hub\nNOTES_HUB_KEYS and $NOTES_HUB are renamed;" in index
    assert "MY_DEMO_APP, DEMO_APPS and Demo Apps stay." in index
    assert files["pyproject.toml"][0].decode().startswith('[project]\nname = "notes-hub"')
    assert files["icon.png"] == (b"\x89PNG\xff\xfedemo_app", False)  # not text: as it is
    assert files["scripts/setup"][1] and not files["literate/index.md"][1]


def test_a_script_stays_executable(tmp_path: Path) -> None:
    writes = Transaction()
    writes.write(tmp_path / "run", b"#!/bin/sh\n", executable=True)
    writes.write(tmp_path / "plain", b"x")
    writes.commit()
    assert os.access(tmp_path / "run", os.X_OK)
    assert not stat.S_IMODE((tmp_path / "plain").stat().st_mode) & 0o111


def test_scaffold_writes_a_folder_template(tmp_path: Path, monkeypatch) -> None:
    folder = make_template(tmp_path / "kept")
    monkeypatch.setattr(templates, "template_folders", lambda: {"demo": folder})
    made = scaffold(tmp_path / "mine", None, "demo")
    assert (tmp_path / "mine" / "literate" / "mine" / "cell.md").read_text() == "mine\n"
    assert os.access(tmp_path / "mine" / "scripts" / "setup", os.X_OK)
    assert len(made) == 5 and not (tmp_path / "mine" / "tangled_src").exists()


def test_list_templates(tmp_path: Path) -> None:
    run = loom_process("init", "--list-templates", cwd=tmp_path)
    assert run.exit_code == 0, run.stderr
    names = [line.split()[0] for line in run.stdout.splitlines()]
    assert names[0] == "minimal" and names == ["minimal", *templates.template_folders()]
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_template_is_an_error_listing_them(tmp_path: Path) -> None:
    run = loom_process("init", "x", "--template", "celular", cwd=tmp_path)
    assert run.exit_code == 2
    known = ", ".join(["minimal", *templates.template_folders()])
    assert f"--template: no template 'celular'; the templates are: {known}" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_one_word_name_keeps_its_package_spelling() -> None:
    assert templates.spellings("demo", "notes_hub") == {
        "demo": "notes_hub",
        "DEMO": "NOTES_HUB",
        "Demo": "Notes Hub",
    }


def test_the_cellular_copy_has_no_trace_of_the_templates_name() -> None:
    files = templates.copy_of(templates.template_folders()["cellular"], "notes_hub")
    trace = re.compile(r"cellular[ _-]?app", re.IGNORECASE)
    assert not [path for path in files if trace.search(path)]
    assert not [
        f"{path}: {line}"
        for path, (data, _) in files.items()
        for line in data.decode("utf-8", "replace").splitlines()
        if trace.search(line)
    ]
    assert "NOTES_HUB_KEYS" in files["literate/security.md"][0].decode()
    assert files["mkdocs.yml"][0].decode().startswith("site_name: Notes Hub\n")
