"""Attacks, area "fuzz": hostile and random input to the readers and the expander.

Every attack is a project (or a string) that a hostile or unlucky user could write. Each must
either build or fail with located user errors (exit 2, nothing written), never an internal
error, and in time proportional to its size. The random ones use hypothesis, bounded: a few
hundred examples here, more in the tests marked `slow`.

Issue 11, items 7 (deep and explosive references), 12 (front matter nested deep) and 16
(performance cliffs of the attribute parser).
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PYPROJECT, Project, chunk
from litloom import pipeline
from litloom.errors import UserError
from litloom.model import Chunk
from litloom.project import open_project
from litloom.readers.attributes import parse_info, parse_options
from litloom.readers.markdown import read_markdown
from litloom.store.writer import Transaction
from litloom.tangle.expand import Expander, expand_all

LOCATED = re.compile(r"^literate/d\.md:\d+: ", re.M)
WEAVABLE = PYPROJECT + 'mermaid_js = "mermaid.js"\n'  # weave needs a mermaid.js, any will do


def weavable(project: Project) -> Project:
    return project.write({"pyproject.toml": WEAVABLE, "mermaid.js": "// mermaid"})


def refused(project: Project, command: str = "tangle", seconds: float = 10.0) -> str:
    """Run `command`; it must be a located user error, quickly, with nothing written."""
    before = project.snapshot()
    start = time.perf_counter()
    run = project.loom(command)
    assert time.perf_counter() - start < seconds, f"took {time.perf_counter() - start:.1f} s"
    assert run.exit_code == 2, (run.exit_code, run.stderr[-2000:])
    assert LOCATED.search(run.stderr), run.stderr[-2000:]
    assert project.snapshot() == before, "a refused command wrote something"
    return run.stderr


def chain(length: int, last: str = "x = 1") -> str:
    """A root using c0, and c0 ... c(length-1), each using the next; the last holds `last`."""
    parts = [chunk(" {.python file=a.py}", "<<c0>>")]
    for i in range(length):
        body = f"    <<c{i + 1}>>" if i < length - 1 else last
        parts.append(chunk(f" {{.python #c{i}}}", body))
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# Deep references (item 7): no recursion, whatever the depth


@pytest.mark.parametrize("length", [331, 2000])
def test_a_deep_chain_tangles_checks_and_weaves(project: Project, length: int) -> None:
    weavable(project).write({"literate/d.md": chain(length)})
    run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr[-2000:]
    assert project.tangled()["a.py"].endswith("\n" + " " * 4 * (length - 1) + "x = 1\n")
    assert project.loom("--strict", "check").exit_code == 0
    woven = project.loom("weave")
    assert woven.exit_code == 0, woven.stderr[-2000:]


@pytest.mark.slow
def test_a_chain_of_ten_thousand_references_tangles(project: Project) -> None:
    project.write({"literate/d.md": chain(10_000, "x = 1")})
    start = time.perf_counter()
    run = project.loom("tangle")
    assert run.exit_code == 0, run.stderr[-2000:]
    assert time.perf_counter() - start < 30
    assert project.loom("--strict", "check").exit_code == 0


def test_a_thousand_chunk_cycle_is_reported_with_a_short_chain(project: Project) -> None:
    document = chain(1000).replace(" {.python #c999}\nx = 1", " {.python #c999}\n<<c0>>")
    project.write({"literate/d.md": document})
    stderr = refused(project)
    (line,) = [line for line in stderr.splitlines() if "cyclic reference" in line]
    assert "cyclic reference: c0 -> c1 -> c2 -> c3 -> c4 -> ... 991 more ... -> " in line
    assert line.endswith("c996 -> c997 -> c998 -> c999 -> c0")
    assert len(line) < 200


def test_the_expanders_of_a_test_chunk_need_no_recursion_either() -> None:
    """Test chunks and runbooks expand one chunk on its own: the same stack."""
    index = {f"c{i}": [Chunk("d.md", 2 * i, name=f"c{i}", lines=(f"<<c{i + 1}>>",),
                             line_numbers=(2 * i + 1,))] for i in range(5000)}
    index["c5000"] = [Chunk("d.md", 20000, name="c5000", lines=("x = 1",), line_numbers=(20001,))]
    test = Chunk("d.md", 30000, classes=("test",), lines=("<<c0>>",), line_numbers=(30001,))
    assert Expander(index).expand_chunk(test, "t") == (("x = 1", "d.md", 20001, "c5000"),)


# --------------------------------------------------------------------------------------------
# Explosive references (item 7): a budget, located at the reference that passes it


def doubling(count: int) -> str:
    """`count` chunks, each using the next twice: 2^(count-1) lines in 1.5 KB for 41."""
    parts = [chunk(" {.python file=a.py}", "<<c0>>")]
    for i in range(count):
        body = (f"<<c{i + 1}>>", f"<<c{i + 1}>>") if i < count - 1 else ("x = 1",)
        parts.append(chunk(f" {{.python #c{i}}}", *body))
    return "".join(parts)


def test_forty_one_chunks_each_using_the_next_twice_is_a_located_error(project: Project) -> None:
    document = doubling(41)
    assert len(document) < 1600
    project.write({"literate/d.md": document})
    stderr = refused(project, seconds=10)
    (problem,) = [line for line in stderr.splitlines() if "passes" in line]
    assert "the expansion of <<c20>> passes 1,000,000 lines here" in problem
    assert "max_expansion_lines" in problem
    line = int(problem.split(":")[1])  # the second reference of c20, to c21
    assert (project.root / "literate/d.md").read_text().splitlines()[line - 1] == "<<c21>>"


def test_check_and_weave_refuse_the_explosion_too(project: Project) -> None:
    weavable(project).write({"literate/d.md": doubling(41)})
    refused(project, "check")
    refused(project, "weave")


def test_max_expansion_lines_is_configurable(project: Project) -> None:
    project.write({
        "pyproject.toml": PYPROJECT + "max_expansion_lines = 6\n",
        "literate/d.md": doubling(4),  # 8 lines
    })
    stderr = refused(project)
    assert "the expansion of <<c0>> passes 6 lines here" in stderr
    project.write({"pyproject.toml": PYPROJECT + "max_expansion_lines = 8\n"})
    assert project.loom("tangle").exit_code == 0


def test_a_chunk_too_large_that_makes_no_file_is_no_error(project: Project) -> None:
    """An incremental tangle may never expand it: a fresh one must not report it either."""
    project.write({"pyproject.toml": PYPROJECT + "max_expansion_lines = 6\n",
                   "literate/d.md": chunk(" {.python file=a.py}", "x = 1")
                   + doubling(4).replace(" {.python file=a.py}", " {.python #unused}")})
    assert project.loom("tangle").exit_code == 0


def test_a_limit_on_the_whole_tangle(project: Project) -> None:
    """Ten files of half a million lines each (in 1 KB): each fits the limit, all do not."""
    document = doubling(20).replace(" {.python file=a.py}", " {.python #big}")
    document += "".join(chunk(f" {{.python file=t{i}.py}}", "<<big>>") for i in range(10))
    project.write({"literate/d.md": document})
    stderr = refused(project, seconds=20)
    assert "the tangle's expansions pass 4,000,000 lines in all here" in stderr
    assert stderr.count("pass") == 1


def test_long_lines_count_against_the_budget() -> None:
    """A chain of chunks, each adding an indented line: the lines grow with the depth, and
    4,400 levels made 6 GB of them."""
    index = {f"c{i}": [Chunk("d.md", 3 * i + 1, name=f"c{i}", lines=("x = 1", f"    <<c{i + 1}>>"),
                             line_numbers=(3 * i + 2, 3 * i + 3))] for i in range(4400)}
    index["c4400"] = [Chunk("d.md", 20000, name="c4400", lines=("y",), line_numbers=(20001,))]
    start = time.perf_counter()
    expander = Expander(index)
    expander.expand("c0")
    assert time.perf_counter() - start < 5
    (problem,) = expander.problems
    assert "the tangle's expansions pass 4,000,000 lines in all here" in str(problem)


@pytest.mark.slow
def test_a_megabyte_line_indented_two_thousand_times_is_refused(project: Project) -> None:
    """Each level made a new copy of the line: 2 GB for a 1 MB document."""
    parts = [chunk(" {.python file=a.py}", "<<c0>>")]
    parts += [chunk(f" {{.python #c{i}}}", f"    <<c{i + 1}>>") for i in range(1999)]
    parts.append(chunk(" {.python #c1999}", "x = '" + "a" * 1_000_000 + "'"))
    project.write({"literate/d.md": "".join(parts)})
    assert "the tangle's expansions pass 4,000,000 lines" in refused(project, seconds=20)


def test_many_targets_using_many_chunks_count_against_the_budget() -> None:
    """Each target's trace records every key it used: 300 targets x 302 keys."""
    index = {"hub": [Chunk("d.md", 1, name="hub", lines=tuple(f"<<k{i}>>" for i in range(300)),
                           line_numbers=tuple(range(2, 302)))]}
    for i in range(300):
        index[f"k{i}"] = [Chunk("d.md", 400 + i, name=f"k{i}")]
        index[f"file:t{i}.py"] = [Chunk("d.md", 800 + 3 * i, target=f"t{i}.py", lines=("<<hub>>",),
                                        line_numbers=(801 + 3 * i,))]
    expander = Expander(index, budget=50_000)
    for i in range(300):
        expander.expand_target(f"file:t{i}.py")
        expander.uses(f"file:t{i}.py")
    (problem,) = expander.problems
    assert str(problem).startswith("d.md:")
    assert "the tangle's expansions pass 50,000 lines in all here" in str(problem)


@pytest.mark.parametrize("value", ["0", "-1", "'many'", "true", "1.5", "[1]"])
def test_a_bad_max_expansion_lines_is_located(project: Project, value: str) -> None:
    project.write({"pyproject.toml": PYPROJECT + f"max_expansion_lines = {value}\n",
                   "literate/d.md": chunk(" {.python file=a.py}", "x = 1")})
    before = project.snapshot()
    run = project.loom("tangle")
    assert run.exit_code == 2
    assert "pyproject.toml:5: [tool.litloom] 'max_expansion_lines' must be a positive" in run.stderr
    assert project.snapshot() == before


@pytest.mark.parametrize("reference", ["<<missing>>", "<<c0>>"])
def test_a_runbook_chunk_that_cannot_expand_is_located(project: Project, reference: str) -> None:
    """A runbook's chunks are expanded one by one: a reference that expands to nothing (to no
    chunk, or past the limit) made a cell that ran without it."""
    runbook = "---\nrunbook: true\n---\n\n" + chunk("python", 'print("start")', reference)
    project.write({"literate/r.md": runbook,
                   "literate/d.md": doubling(41).replace(" {.python file=a.py}", " {.python #x}")})
    before = project.snapshot()
    run = project.loom("run", "r", "--prepare-only")
    assert run.exit_code == 2, run.stderr[-2000:]
    line = "literate/r.md:7: " if reference == "<<missing>>" else "literate/d.md:"
    assert line in run.stderr and "internal error" not in run.stderr
    assert project.snapshot() == before


# --------------------------------------------------------------------------------------------
# The expander against a plain recursive one, on random reference graphs


def oracle(index: dict[str, list[Chunk]], key: str, memo: dict, limit: int) -> int | None:
    """The size of `key`'s expansion by plain recursion, None if it reaches a cycle; its lines
    go to memo[key] = (size, lines), the lines only if there are `limit` or fewer."""
    if key in memo:
        return memo[key][0]
    memo[key] = (None, None)  # on the chain
    lines: list = []
    size = 0
    for piece in index[key]:
        for text, number in zip(piece.lines, piece.line_numbers, strict=True):
            found = re.match(r"^([ \t]*)<<(\w+)>>$", text)
            if found is None:
                lines.append((text, piece.path, number, key))
                size += 1
            elif found[2] in index:
                inner = oracle(index, found[2], memo, limit)
                if inner is None:
                    return None  # a cycle: this key stays None
                size += inner
                if size <= limit:
                    lines += [(found[1] + t if t else t, p, n, k)
                              for t, p, n, k in memo[found[2]][1]]
    memo[key] = (size, lines if size <= limit else None)
    return size


KEYS = [f"k{i}" for i in range(7)]
CHUNK_LINES = st.lists(st.one_of(
    st.sampled_from(["x = 1", "", "  y", "def f():"]),
    st.builds("{}<<{}>>".format, st.sampled_from(["", "    ", "\t"]),
              st.sampled_from([*KEYS, "missing"])),
), max_size=4)


@st.composite
def reference_graphs(draw: st.DrawFn) -> dict[str, list[Chunk]]:
    """Up to seven keys of one or two chunks, whose lines use any key, or one that is not."""
    index: dict[str, list[Chunk]] = {}
    line = 1
    for name in KEYS[: draw(st.integers(1, len(KEYS)))]:
        for _ in range(draw(st.integers(1, 2))):
            texts = draw(CHUNK_LINES)
            index.setdefault(name, []).append(Chunk(
                "d.md", line, name=name, lines=tuple(texts),
                line_numbers=tuple(range(line + 1, line + 1 + len(texts)))))
            line += len(texts) + 2
    return index


def reachable(index: dict[str, list[Chunk]], key: str) -> set[str]:
    """`key` and every key it uses, directly or not."""
    seen, todo = {key}, [key]
    while todo:
        for piece in index[todo.pop()]:
            for text in piece.lines:
                name = text.strip()[2:-2]
                if text.strip().startswith("<<") and name in index and name not in seen:
                    seen.add(name)
                    todo.append(name)
    return seen


def expands_as_recursion_would(index: dict[str, list[Chunk]], limit: int) -> None:
    memo: dict = {}
    for key in index:
        oracle(index, key, memo, limit)
    expander = Expander(index, limit=limit)
    for key in sorted(index):
        expander.expand_target(key)  # as if every key rooted a file
    problems = [str(p) for p in expander.problems]
    for problem in problems:
        assert re.match(r"^d\.md:\d+: ", problem), problem
    cyclic = any(memo[key][0] is None for key in index)
    assert any("cyclic reference" in p for p in problems) == cyclic
    fits = {key for key in index if memo[key][1] is not None}
    if not cyclic:  # a key too large is reported, by itself or by a key it uses
        assert any("passes" in p for p in problems) == (fits != set(index))
    for key in fits:
        reach = reachable(index, key)
        if reach <= fits:
            assert list(expander.expand(key)) == memo[key][1], key
            assert expander.uses(key) == reach


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(index=reference_graphs(), limit=st.integers(1, 40))
def test_the_stack_expands_as_recursion_would(index: dict[str, list[Chunk]], limit: int) -> None:
    expands_as_recursion_would(index, limit)


@pytest.mark.slow
@settings(max_examples=3000, derandomize=True, database=None, deadline=None)
@given(index=reference_graphs(), limit=st.integers(1, 40))
def test_the_stack_expands_as_recursion_would_often(index: dict, limit: int) -> None:
    expands_as_recursion_would(index, limit)


def test_a_cycle_reads_the_same_from_any_of_its_keys() -> None:
    """An incremental tangle starts from the keys that changed, a fresh one from the first."""
    index = {name: [Chunk("d.md", 3 * i + 1, name=name, lines=(f"<<{following}>>",),
                          line_numbers=(3 * i + 2,))]
             for i, (name, following) in enumerate([("a", "b"), ("b", "c"), ("c", "a")])}
    reports = set()
    for start in "abc":
        expander = Expander(index)
        expander.expand(start)
        (problem,) = expander.problems
        reports.add(str(problem))
    assert reports == {"d.md:8: cyclic reference: a -> b -> c -> a"}


# --------------------------------------------------------------------------------------------
# The attribute parser (item 16): linear time, and a limit on an info string's length


def test_a_two_megabyte_info_string_is_refused_at_once(project: Project) -> None:
    project.write({"literate/d.md": "```python {" + "k=v " * 480_000 + "}\nx = 1\n```\n"})
    stderr = refused(project, seconds=5)
    assert "literate/d.md:1: an info string of 1,920,009 characters: at most 4,096" in stderr


@pytest.mark.parametrize("body", [
    "k=v " * 1000, "k='v w' " * 500, "#a " * 1300 + '"', ".a " * 1300 + "!",
    " " * 4000 + "!", "a" * 4000 + "=", "#" + "a" * 4000 + "=",
])
def test_the_attribute_parser_takes_linear_time(body: str) -> None:
    info = "python {" + body + "}"
    assert len(info) <= 4096
    start = time.perf_counter()
    for _ in range(20):
        parse_info(info)
    assert time.perf_counter() - start < 0.5  # quadratic: 2 to 5 s


def test_option_lines_take_linear_time() -> None:
    line = "#| caption: a" + " " * 200_000 + "b"
    start = time.perf_counter()
    count, options, problems = parse_options((line,), "#|")
    assert time.perf_counter() - start < 0.5  # quadratic: 90 s
    assert options == [("caption", "a" + " " * 200_000 + "b")] and not problems


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}#.='\" \t=_-:abc/|!<>\\`~\x00é")), max_size=200))
def test_any_info_string_parses_or_says_why(info: str) -> None:
    attributes, problem = parse_info(info)
    assert problem is None or problem.strip()
    count, _, _ = parse_options(tuple(info.split("\n")), "#|")
    assert count >= 0


# --------------------------------------------------------------------------------------------
# Front matter (item 12): bounded depth, no value that holds itself, no alias explosion


@pytest.mark.parametrize("yaml", [
    "k: " + "[" * 10_000 + "]" * 10_000,
    "k: " + "{a: " * 10_000 + "1" + "}" * 10_000,
    "".join(" " * i + f"k{i}:\n" for i in range(300)) + " " * 300 + "v: 1",
    "".join(" " * i + "- \n" for i in range(300)),
])
def test_front_matter_nested_too_deep_is_located(project: Project, yaml: str) -> None:
    project.write({"literate/d.md": f"---\n{yaml}\n---\n\n" + chunk(" {.python file=a.py}", "x")})
    stderr = refused(project, seconds=10)
    assert "malformed front matter: nested more than 100 levels deep" in stderr


def test_front_matter_nested_a_hundred_deep_is_read() -> None:
    yaml = "k: " + "[" * 98 + "1" + "]" * 98  # a mapping, 98 lists and a number: 100 levels
    document, problems = read_markdown("d.md", f"---\n{yaml}\n---\n")
    assert problems == [] and document.front_matter["k"][0][0][0] is not None


def test_a_front_matter_value_that_holds_itself_is_located(project: Project) -> None:
    project.write({"literate/d.md": "---\ntitle: &a [*a]\n---\n\n" + chunk(" {.python file=a.py}", "x")})
    stderr = refused(project)
    assert "literate/d.md:2: malformed front matter: *a stands inside the value it names" in stderr


def test_a_billion_laughs_in_front_matter_is_located(project: Project) -> None:
    """Ten levels of nine aliases each: 3.5 billion values, which the site's title expanded."""
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        this, last = "abcdefghij"[i], "abcdefghij"[i - 1]
        levels.append(f"{this}: &{this} [" + ", ".join([f"*{last}"] * 9) + "]")
    project.write({"literate/d.md": "---\n" + "\n".join(levels) + "\ntitle: *j\n---\n\n"
                   + chunk(" {.python file=a.py}", "x")})
    stderr = refused(project, "weave", seconds=10)
    assert "more than 100,000 values once its aliases are expanded" in stderr


def test_aliases_that_stay_small_are_read() -> None:
    text = "---\nbase: &b {x: 1}\nother: *b\nmerged:\n  <<: *b\n  y: 2\n---\n"
    document, problems = read_markdown("d.md", text)
    assert problems == []
    assert document.front_matter["merged"] == {"x": 1, "y": 2}


def test_an_unclosed_fence_of_300000_backticks_is_named_briefly(project: Project) -> None:
    project.write({"literate/d.md": "`" * 300_000 + "\n" + chunk(" {.python file=a.py}", "x")})
    stderr = refused(project)
    assert "literate/d.md:1: unclosed code fence of 300,000 backticks: end the code with a line" \
        in stderr
    assert len(stderr) < 1000


# --------------------------------------------------------------------------------------------
# Admonitions nested deep: each level was one more parse of the whole document


def nested_admonitions(depth: int) -> str:
    pad = "    " * depth
    return ("".join("    " * i + "!!! note\n\n" for i in range(depth))
            + f"{pad}```python {{file=a.py}}\n{pad}x = 1\n{pad}```\n")


def test_admonitions_nested_twenty_deep_are_read() -> None:
    document, problems = read_markdown("literate/d.md", nested_admonitions(20))
    assert problems == [] and document.chunks[0].lines == ("x = 1",)


def test_admonitions_nested_too_deep_are_located_quickly(project: Project) -> None:
    """300 levels (186 KB) took 3 s, and the time grew as the size to the power 1.5."""
    project.write({"literate/d.md": nested_admonitions(300)})
    stderr = refused(project, seconds=10)
    assert "literate/d.md:41: admonitions nested more than 20 deep" in stderr


# --------------------------------------------------------------------------------------------
# Random Markdown: any text reads, and any project tangles or says where it is wrong

MARKDOWN = st.lists(st.sampled_from(
    ["```", "~~~", "{", "}", "#", ".", "=", "file=", "a.py", "<<", ">>", "a", "b", "\n", " ",
     "    ", "\t", "> ", "- ", "1. ", "!!! note\n", "---\n", "#| ", "file: ", "chunk: ", ":",
     "\"", "'", "[", "]", "&a", "*a", "<div>", "\r", "\ufeff", "é", "\x00", "python", "=== \"t\"\n"]
), max_size=80).map("".join)


def tangle_in(root: Path) -> tuple[str, tuple]:
    try:
        writes = Transaction()
        pipeline.tangle(open_project(root), writes)
        writes.commit()
    except UserError as error:
        return "error", error.diagnostics
    return "ok", ()


@settings(max_examples=200, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(text=MARKDOWN)
def test_random_markdown_reads_and_tangles_or_is_located(text: str) -> None:
    document, problems = read_markdown("literate/d.md", text)
    for problem in problems:
        assert problem.location.path == "literate/d.md" and problem.message.strip()
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        (root / "pyproject.toml").write_text(PYPROJECT)
        (root / "literate").mkdir()
        (root / "literate/d.md").write_text(text, encoding="utf-8", newline="")
        outcome, diagnostics = tangle_in(root)
        if outcome == "error":
            assert diagnostics
            for diagnostic in diagnostics:
                assert diagnostic.location.path.startswith(("literate/d.md", "tangled_src")), \
                    diagnostic


def test_expand_all_reports_every_problem_once() -> None:
    index = {
        "a": [Chunk("d.md", 1, name="a", lines=("<<b>>", "<<nope>>"), line_numbers=(2, 3))],
        "b": [Chunk("d.md", 5, name="b", lines=("<<a>>",), line_numbers=(6,))],
    }
    _, problems = expand_all(index)
    assert sorted(map(str, problems)) == [
        "d.md:3: undefined reference <<nope>>",
        "d.md:6: cyclic reference: a -> b -> a",
    ]
