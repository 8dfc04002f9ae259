"""`loom stats` (issue 15): static measures, cells, the fit to a window, and the triggers."""

from __future__ import annotations

import json

from conftest import Project, chunk
from litloom.regen.tokens import count_tokens

PROSE = "# Greeting\n\nGreet a person by name.\n\n"
CODE = chunk(" {.python file=app/greet.py}", "def greet(name):", "    return f'hello {name}'")
TEST = chunk(" {.python .test}", "from app.greet import greet", "assert greet('a') == 'hello a'")
TOOL = "# Tool\n\n" + chunk(" {.python file=tool.py}", "X = 1")


def stats(project: Project, *args: str) -> dict:
    run = project.loom("stats", "--json", *args)
    assert run.exit_code == 0, run.stderr
    return json.loads(run.stdout)


def settings(project: Project, text: str) -> Project:
    return project.write({"pyproject.toml": project.read("pyproject.toml") + text})


def test_a_chapter_is_measured_as_prose_and_code(project: Project) -> None:
    project.write({"literate/greet.md": PROSE + CODE + "\nMore prose.\n\n" + TEST})
    data = stats(project)
    assert data["version"] == 1
    [chapter] = data["chapters"]
    prose = PROSE + "\nMore prose.\n\n"
    assert chapter["prose"] == {
        "bytes": len(prose.encode()),
        "lines": prose.count("\n"),
        "tokens": count_tokens(prose),
    }
    code = CODE + TEST
    assert chapter["code"] == {
        "bytes": len(code.encode()),
        "lines": code.count("\n"),
        "tokens": count_tokens(code),
    }
    assert (chapter["chunks"], chapter["tests"]) == (2, 1)
    [module] = [m for m in data["modules"] if m["name"] == "app/greet.py"]
    assert module["prose"]["bytes"] == 0 and module["code"]["lines"] >= 2
    assert data["total"]["total"]["tokens"] == chapter["total"]["tokens"]


def test_cells_by_default_are_the_top_level_packages(project: Project) -> None:
    project.write(
        {
            "literate/greet.md": PROSE + CODE,
            "literate/tool.md": TOOL,
            "literate/notes.md": "# Notes\n\nNo code here.\n",
        }
    )
    data = stats(project)
    names = [c["name"] for c in data["cells"]]
    assert names == ["(no code)", "app", "tool"]
    assert all(not c["declared"] for c in data["cells"])
    app = data["cells"][1]
    assert app["chapters"]["total"]["bytes"] == len((PROSE + CODE).encode())
    assert data["findings"] == []


CELLS = """
[tool.litloom.cells]
fetch = { chapters = ["literate/tool.md"], trust = "untrusted" }
billing = { modules = ["app/**"], tenants = "multi", runtime = "rust" }
"""


def test_configured_cells_and_their_declared_facts(project: Project) -> None:
    project.write({"literate/greet.md": PROSE + CODE, "literate/tool.md": TOOL})
    settings(project, CELLS)
    data = stats(project)
    assert [c["name"] for c in data["cells"]] == ["fetch", "billing", "tool"]
    fetch, billing = data["cells"][0], data["cells"][1]
    assert fetch["chapters"]["total"]["bytes"] == len(TOOL.encode())
    assert billing["chapters"]["total"]["bytes"] == len(
        (PROSE + CODE).encode()
    )  # by the module it feeds
    fired = {(f["trigger"], f["cell"]) for f in data["findings"]}
    assert fired == {("trust", "fetch"), ("tenants", "billing"), ("runtime", "billing")}
    line = project.read("pyproject.toml").splitlines().index(CELLS.splitlines()[2]) + 1
    assert {f["where"] for f in data["findings"] if f["cell"] == "fetch"} == {
        f"pyproject.toml:{line}"
    }
    run = project.loom("stats", "--check")
    assert run.exit_code == 1
    assert "move cell `fetch` to the sandboxed periphery" in run.stdout
    assert "run cell `billing` as its own rust service" in run.stdout
    assert project.loom("stats").exit_code == 0


def test_check_passes_when_nothing_fires(project: Project) -> None:
    project.write({"literate/greet.md": PROSE + CODE})
    assert project.loom("stats", "--check").exit_code == 0


def test_the_context_triggers_fire_above_their_threshold_only(project: Project) -> None:
    text = PROSE + CODE
    text += "x" * (2048 - len(text.encode()) - 1) + "\n"  # exactly 2 KB
    project.write({"literate/greet.md": text})
    base = project.read("pyproject.toml")
    for warn, split, fired in [
        ("2", "10", []),
        ("1.99", "10", ["context-warn"]),
        ("1", "2", ["context-warn"]),
        ("1", "1.99", ["context-split"]),
    ]:
        project.write(
            {
                "pyproject.toml": base
                + (
                    f"\n[tool.litloom.triggers]\ncontext_warn_kb = {warn}\ncontext_split_kb = {split}\n"
                )
            }
        )
        data = stats(project)
        assert [f["trigger"] for f in data["findings"]] == fired, (warn, split)
    run = project.loom("stats", "--check")
    assert run.exit_code == 1
    assert "context-split: cell `app` holds 2 KB of context (threshold 1.99 KB)" in run.stdout
    assert "literate/greet.md (2 KB)" in run.stdout


def test_the_fit_to_a_known_model_window(project: Project) -> None:
    project.write({"literate/greet.md": PROSE + CODE})
    settings(project, '\n[tool.litloom.regen]\nmodel = "openai:gpt-4o-2024-08-06"\n')
    fit = stats(project)["fit"]
    assert fit["model"] == "openai:gpt-4o-2024-08-06"
    assert (fit["window"], fit["headroom"]) == (128000, 25600)
    assert fit["fits"] is True
    run = project.loom("stats")
    assert "fit: the whole project needs" in run.stdout and "it fits" in run.stdout


def test_the_window_trigger_fires_past_the_window_minus_headroom(project: Project) -> None:
    project.write({"literate/greet.md": PROSE + CODE})
    tokens = count_tokens(PROSE) + count_tokens(CODE)
    base = project.read("pyproject.toml")
    for window, fired in [(tokens, []), (tokens - 1, ["window"])]:
        project.write(
            {
                "pyproject.toml": base
                + (f"\n[tool.litloom.triggers]\nwindow = {window}\nheadroom_percent = 0\n")
            }
        )
        data = stats(project)
        assert data["fit"]["needs"] == tokens
        assert [f["trigger"] for f in data["findings"]] == fired


def test_no_window_says_how_to_get_one(project: Project) -> None:
    project.write({"literate/greet.md": PROSE + CODE})
    assert stats(project)["fit"] is None
    assert "set [tool.litloom.regen] model" in project.loom("stats").stdout


def test_github_annotations(project: Project) -> None:
    project.write({"literate/greet.md": PROSE + CODE, "literate/tool.md": TOOL})
    settings(project, CELLS)
    run = project.loom("stats", "--format", "github")
    assert run.exit_code == 0
    lines = run.stdout.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("::warning file=pyproject.toml,line=")
    assert ",title=loom stats trust::" in lines[0]


def test_by_chapter_and_by_module(project: Project) -> None:
    project.write({"literate/greet.md": PROSE + CODE, "literate/tool.md": TOOL})
    assert "literate/tool.md" in project.loom("stats", "--by", "chapter").stdout
    assert "app/greet.py" in project.loom("stats", "--by", "module").stdout


def _line(project: Project, text: str) -> int:
    return project.read("pyproject.toml").splitlines().index(text) + 1


def test_wrong_cells_are_located_errors(project: Project) -> None:
    project.write({"literate/greet.md": PROSE + CODE})
    settings(
        project,
        '\n[tool.litloom.cells]\nfetch = "tool"\n'
        'web = { modules = ["app/**"], trust = "maybe" }\nempty = {}\n',
    )
    before = project.snapshot()
    run = project.loom("stats")
    assert run.exit_code == 2
    fetch = _line(project, 'fetch = "tool"')
    assert (
        f"pyproject.toml:{fetch}: [tool.litloom.cells] cell 'fetch' must be a table" in run.stderr
    )
    assert "cell 'web': 'trust' must be one of 'trusted', 'untrusted', not 'maybe'" in run.stderr
    assert (
        f"pyproject.toml:{_line(project, 'empty = {}')}: [tool.litloom.cells] cell 'empty' "
        "names no 'chapters' and no 'modules' globs" in run.stderr
    )
    assert project.snapshot() == before


def test_unknown_keys_are_located_warnings_errors_when_strict(project: Project) -> None:
    project.write({"literate/greet.md": PROSE + CODE})
    settings(
        project,
        '\n[tool.litloom.cells]\nweb = { modules = ["app/**"], trusted = "x" }\n'
        "\n[tool.litloom.triggers]\ncontext_warn = 3\n",
    )
    run = project.loom("stats")
    assert run.exit_code == 0
    cells_line = _line(project, 'web = { modules = ["app/**"], trusted = "x" }')
    assert (
        f"pyproject.toml:{cells_line}: [tool.litloom.cells] cell 'web': unknown key "
        "'trusted'; did you mean 'trust'?"
    ) in run.stderr
    assert (
        f"pyproject.toml:{_line(project, 'context_warn = 3')}: [tool.litloom.triggers] "
        "unknown key 'context_warn'; did you mean 'context_warn_kb'?"
    ) in run.stderr
    assert project.loom("--strict", "stats").exit_code == 2


def test_wrong_triggers_are_located_errors(project: Project) -> None:
    project.write({"literate/greet.md": PROSE + CODE})
    settings(
        project,
        '\n[tool.litloom.triggers]\ncontext_warn_kb = "big"\nwindow = 1.5\nheadroom_percent = 95\n',
    )
    before = project.snapshot()
    run = project.loom("stats")
    assert run.exit_code == 2
    for key in ('context_warn_kb = "big"', "window = 1.5", "headroom_percent = 95"):
        name = key.split(" ")[0]
        assert (
            f"pyproject.toml:{_line(project, key)}: [tool.litloom.triggers] '{name}' must be"
            in run.stderr
        ), key
    assert project.snapshot() == before
