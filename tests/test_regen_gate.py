"""`loom gate` (issue 14): generated chunks against their provenance, spec, pin and budget."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conftest import Project, chunk
from litloom.errors import UserError
from litloom.project import open_project
from litloom.regen.gate import accept_patch, accept_spec
from litloom.regen.lock import Record, dump_lock, read_lock
from litloom.regen.settings import regen_settings
from litloom.regen.spec import (
    chunk_id,
    generated_chunks,
    line_hashes,
    output_hash,
    spec_hash,
    spec_of,
)

MODEL = "openai:gpt-4o-2024-08-06"
SETTINGS = f'\n[tool.litloom.regen]\nmodel = "{MODEL}"\npatch_lines = 2\n'
BODY = ["def greet(name):", "    return f'hello {name}'", "", "", "def bye():", "    return 'bye'"]
DOC = (
    "# Greeting\n\nGreet a person by name.\n\n"
    + chunk(" {.python .generate #greet}", *BODY)
    + "\n"
    + chunk(" {.python file=greet.py}", "<<greet>>")
)
NOW = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def generated(project: Project, settings: str = SETTINGS, doc: str = DOC) -> Project:
    """A project whose chunk `greet` was generated, and recorded, as it is now."""
    project.write({"pyproject.toml": project.read("pyproject.toml") + settings})
    project.write({"literate/greet.md": doc})
    opened = open_project(project.root, use_traces=False)
    records = {}
    for found in generated_chunks(opened):
        ident = chunk_id(found)
        records[ident] = Record(
            chunk=ident,
            document=found.path,
            spec_hash=spec_hash(spec_of(opened, found)),
            context_hashes=(),
            template_hash="sha256:t",
            model=MODEL,
            model_version="gpt-4o-2024-08-06",
            parameters=(("temperature", "0"),),
            tokens_in=100,
            tokens_out=50,
            usd=0.01,
            gates=(("loom check", 0),),
            diff_summary=(),
            output_hash=output_hash(found),
            time=NOW,
            line_hashes=line_hashes(found.lines),
        )
    project.write({"literate/regen.lock": dump_lock(records)})
    return project


def test_generated_code_as_recorded_passes(project: Project) -> None:
    run = generated(project).loom("gate")
    assert (run.exit_code, run.stdout) == (0, "")
    assert "loom gate: 0 findings" in run.stderr


def test_a_project_with_nothing_generated_passes_without_settings(project: Project) -> None:
    project.write({"literate/a.md": "# A\n\n" + chunk(" {.python file=a.py}", "x = 1")})
    run = project.loom("gate")
    assert run.exit_code == 0 and "nothing is generated" in run.stderr


def test_an_unrecorded_hand_patch_fails_then_passes_once_accepted(project: Project) -> None:
    generated(project)
    patched = DOC.replace("return 'bye'", "return 'goodbye'")
    project.write({"literate/greet.md": patched})
    before = project.snapshot()
    run = project.loom("gate")
    assert run.exit_code == 1
    assert run.stdout == (
        "literate/greet.md:5: generated chunk 'greet': its code differs from its recorded output "
        "and no patch was recorded (1 changed line); fix: `loom regen --accept-patch greet`, or "
        "`loom regen greet`\n"
    )
    assert project.snapshot() == before  # the gate writes nothing

    opened = open_project(project.root, use_traces=False)
    accepted = accept_patch(opened, regen_settings(opened.config), "greet")
    records, _ = read_lock(project.root)
    assert accepted.output_hash == records["greet"].output_hash  # provenance kept
    project.write({"literate/regen.lock": dump_lock({"greet": accepted})})
    assert project.loom("gate").exit_code == 0


def test_a_patch_over_patch_lines_must_be_regenerated(project: Project) -> None:
    generated(project)
    patched = DOC.replace("return 'bye'", "x = 1\n    y = 2\n    return 'goodbye'")
    project.write({"literate/greet.md": patched})
    run = project.loom("gate")
    assert run.exit_code == 1
    assert "(3 changed lines, more than patch_lines = 2); fix: `loom regen greet`, or remove" in (
        run.stdout
    )
    opened = open_project(project.root, use_traces=False)
    with pytest.raises(UserError) as raised:
        accept_patch(opened, regen_settings(opened.config), "greet")
    assert str(raised.value) == (
        "literate/greet.md:5: generated chunk 'greet': the patch changes 3 lines, more than "
        "patch_lines = 2; regenerate it, or remove `.generate` and own the code"
    )


def test_a_changed_spec_is_stale_until_regenerated_or_accepted(project: Project) -> None:
    generated(project)
    project.write({"literate/greet.md": DOC.replace("by name", "by their name")})
    run = project.loom("gate")
    assert (run.exit_code, run.stdout) == (
        1,
        "literate/greet.md:5: generated chunk 'greet': its spec changed since it was generated; "
        "fix: `loom regen greet`, or `loom regen --accept-spec greet` if the requirement is the "
        "same\n",
    )
    opened = open_project(project.root, use_traces=False)
    accepted = accept_spec(opened, "greet")
    project.write({"literate/regen.lock": dump_lock({"greet": accepted})})
    assert project.loom("gate").exit_code == 0
    with pytest.raises(UserError, match="its spec has not changed; nothing to accept"):
        accept_spec(open_project(project.root, use_traces=False), "greet")


def test_a_chunk_without_a_record_and_a_model_off_the_pin_fail(project: Project) -> None:
    pinned = SETTINGS.replace(MODEL, "anthropic:claude-sonnet-4-5-20250929")
    doc = DOC + "\n" + chunk(" {.python .generate #extra}", "pass")
    generated(project, pinned, doc)
    records, _ = read_lock(project.root)
    project.write({"literate/regen.lock": dump_lock({"greet": records["greet"]})})
    run = project.loom("gate")
    assert run.exit_code == 1
    assert run.stdout.splitlines() == [
        "literate/greet.md:5: generated chunk 'greet' was generated by openai:gpt-4o-2024-08-06, "
        "but the pin is anthropic:claude-sonnet-4-5-20250929; fix: `loom regen greet`",
        "literate/greet.md:18: generated chunk 'extra' has no record in the lock; fix: "
        "`loom regen extra`",
    ]


def test_a_month_over_budget_fails_at_the_setting(project: Project) -> None:
    budget = SETTINGS + "\n[tool.litloom.regen.budget]\nusd_per_month = 0.005\n"
    generated(project, budget)
    run = project.loom("gate")
    month = NOW[:7]
    line = project.read("pyproject.toml").splitlines().index("usd_per_month = 0.005") + 1
    assert (run.exit_code, run.stdout) == (
        1,
        f"pyproject.toml:{line}: [tool.litloom.regen] {month} has spent $0.0100, over "
        "budget.usd_per_month = $0.0050; fix: raise the budget, or wait for next month\n",
    )


def test_a_malformed_lock_is_a_user_error_and_nothing_changes(project: Project) -> None:
    generated(project)
    project.write({"literate/regen.lock": "version = 1\n\n[[record]]\nchunk = 3\n"})
    before = project.snapshot()
    run = project.loom("gate")
    assert run.exit_code == 2
    assert "literate/regen.lock:4: record '3': 'chunk' must be str, not 3" in run.stderr
    assert project.snapshot() == before


def test_an_unpinned_model_is_refused_at_its_line(project: Project) -> None:
    generated(project, SETTINGS.replace(MODEL, "openai:gpt-4o"))
    before = project.snapshot()
    run = project.loom("gate")
    assert run.exit_code == 2
    line = project.read("pyproject.toml").splitlines().index('model = "openai:gpt-4o"') + 1
    assert (
        f"pyproject.toml:{line}: [tool.litloom.regen] model 'openai:gpt-4o' is an alias: pin one "
        "of gpt-4o-2024-08-06, gpt-4o-2024-11-20"
    ) in run.stderr
    assert project.snapshot() == before
