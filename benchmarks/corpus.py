"""Generate a deterministic literate-Markdown corpus for the tangle benchmark.

Usage: python benchmarks/corpus.py N OUTDIR

OUTDIR gets a project that both litloom and Entangled (entangled-cli 2.x) can tangle:
`pyproject.toml` (`[tool.litloom]`), `entangled.toml`, `literate/shared.md` and N documents
`literate/doc_0001.md` ... in Entangled's fence syntax (``` {.python #name file=path}```).
Each document (about 4 KB) has eleven chunks: a root chunk for `out/mod_NNNN.py` made mostly
of `<<name>>` references (some indented inside a class or a def, some nested two deep), nine
named parts, a second chunk appending to one of them, and a reference to the shared chunk.
Document k is the same whatever N is: its random generator is seeded with k.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

SHARED_CHUNK = "shared-helpers"
EDIT_PATTERN = re.compile(r"^(THRESHOLD_\d+ = )(\d+)$", re.M)

PYPROJECT = """\
[project]
name = "loom-bench-corpus"
version = "0.0.0"

[tool.litloom]
source = "literate"
tangle_root = "."
"""

ENTANGLED_TOML = """\
version = "2.0"
watch_list = ["literate/**/*.md"]
"""

WORDS = (
    "the tangle reads every chunk and writes each target once while the weaver keeps "
    "prose and code together so that a reader follows the argument from the top and "
    "finds each definition where it is explained a reference names a chunk defined "
    "elsewhere in this or another document and the tool expands it with the "
    "indentation of the line that holds it records are small values with a name a "
    "weight and a list of samples the threshold decides which samples are kept and "
    "the scale turns raw counts into comparable numbers"
).split()
NOUNS = ("sample", "record", "weight", "window", "bucket", "signal", "score", "batch")
VERBS = ("scale", "filter", "merge", "smooth", "rank", "split", "count", "shift")

SHARED_DOC = """\
# Shared helpers

Every module of the corpus includes these helpers, so that each document refers to a
chunk defined in another document.

``` {.python #shared-helpers}
def clamp(value, low, high):
    \"\"\"Clamp `value` into the closed interval [low, high].\"\"\"
    return max(low, min(high, value))


def mean(values):
    \"\"\"The arithmetic mean of `values`, or 0.0 when there are none.\"\"\"
    values = list(values)
    return sum(values) / len(values) if values else 0.0
```

The helpers are deliberately plain: the benchmark measures the tangler, not the code.
"""


def sentence(rng: random.Random) -> str:
    """One pseudo-English sentence of 8 to 16 words."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, sentences: int) -> str:
    """A paragraph of `sentences` sentences, wrapped at about 88 characters."""
    text = " ".join(sentence(rng) for _ in range(sentences))
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + len(word) >= 88:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


def fence(body: str, *, name: str | None = None, file: str | None = None) -> str:
    """A chunk in Entangled's syntax."""
    attributes = ".python" + (f" #{name}" if name else "") + (f" file={file}" if file else "")
    return f"``` {{{attributes}}}\n{body.strip(chr(10))}\n```"


def root_body(k: int) -> str:
    """The root chunk: mostly references, some indented in a class and a def."""
    p = f"doc{k:04d}"
    return f'''
"""Module {k:04d}, generated for the tangle benchmark."""

<<{SHARED_CHUNK}>>

<<{p}-part1>>

<<{p}-part2>>

<<{p}-part8>>


class Record{k:04d}:
    """A record of module {k:04d}."""

    <<{p}-part3>>

    <<{p}-part4>>

    <<{p}-part9>>


def run_{k:04d}(values):
    """Run the pipeline of module {k:04d} over `values`."""
    <<{p}-part6>>
'''


def part_bodies(k: int, rng: random.Random) -> dict[str, str]:
    """The named parts of document k, by suffix (part1 ... part9, part2b appends)."""
    p, n = f"doc{k:04d}", f"{k:04d}"
    verb, noun = rng.choice(VERBS), rng.choice(NOUNS)
    a, b, c = rng.randint(2, 99), rng.randint(2, 99), rng.randint(2, 99)
    return {
        "part1": f"THRESHOLD_{n} = {a}\nSCALE_{n} = {b}\nLABEL_{n} = \"{noun}-{n}\"",
        "part2": f"def {verb}_{n}(value):\n"
                 f"    \"\"\"{verb.capitalize()} one {noun}.\"\"\"\n"
                 f"    return clamp(value * SCALE_{n}, 0, THRESHOLD_{n} * {c})",
        "part2b": f"def {verb}_all_{n}(values):\n"
                  f"    \"\"\"{verb.capitalize()} every {noun} of `values`.\"\"\"\n"
                  f"    return [{verb}_{n}(v) for v in values]",
        "part3": "def __init__(self, name, samples):\n"
                 "    self.name = name\n    self.samples = list(samples)",
        "part4": f"def summary(self):\n    \"\"\"Mean and count of the kept samples.\"\"\"\n"
                 f"    kept = []\n    for sample in self.samples:\n        <<{p}-part5>>\n"
                 f"    return mean(kept), len(kept)",
        "part5": f"if sample <= THRESHOLD_{n}:\n    kept.append({verb}_{n}(sample))",
        "part6": f"total = 0\nfor value in {verb}_all_{n}(values):\n    <<{p}-part7>>\n"
                 f"return Record{n}(LABEL_{n}, [total])",
        "part7": f"if valid_{n}(value):\n    total += value % {rng.randint(3, 97)}",
        "part8": f"def valid_{n}(value):\n    \"\"\"Whether `value` is a usable {noun}.\"\"\"\n"
                 f"    return 0 <= value <= THRESHOLD_{n} * {c}",
        "part9": f"def __repr__(self):\n"
                 f"    return f\"Record{n}({{self.name!r}}, {{len(self.samples)}} samples)\"",
    }


ORDER = ("part1", "part2", "part3", "part4", "part5", "part2b", "part6", "part7",
         "part8", "part9")


def document(k: int) -> str:
    """The text of literate/doc_kkkk.md."""
    rng = random.Random(f"litloom-bench-{k}")
    parts = part_bodies(k, rng)
    blocks = [f"# Module {k:04d}: {rng.choice(VERBS)} the {rng.choice(NOUNS)}s",
              paragraph(rng, 5),
              fence(root_body(k), file=f"out/mod_{k:04d}.py")]
    for suffix in ORDER:
        blocks.append(paragraph(rng, rng.randint(2, 3)))
        blocks.append(fence(parts[suffix], name=f"doc{k:04d}-{suffix.removesuffix('b')}"))
    blocks.append(paragraph(rng, 3))
    return "\n\n".join(blocks) + "\n"


def generate(count: int, outdir: Path) -> list[Path]:
    """Write the project with `count` documents into `outdir`; return the documents."""
    literate = outdir / "literate"
    literate.mkdir(parents=True, exist_ok=True)
    (outdir / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (outdir / "entangled.toml").write_text(ENTANGLED_TOML, encoding="utf-8")
    (literate / "shared.md").write_text(SHARED_DOC, encoding="utf-8")
    paths = [literate / f"doc_{k:04d}.md" for k in range(1, count + 1)]
    for k, path in enumerate(paths, start=1):
        path.write_text(document(k), encoding="utf-8")
    return paths


def edit_document(path: Path, value: int) -> None:
    """Change one line of one chunk of `path`: its THRESHOLD constant becomes `value`."""
    text = path.read_text(encoding="utf-8")
    new, count = EDIT_PATTERN.subn(rf"\g<1>{value}", text, count=1)
    if count != 1:
        raise ValueError(f"{path}: no THRESHOLD line to edit")
    path.write_text(new, encoding="utf-8")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0].isdigit():
        print("usage: python benchmarks/corpus.py N OUTDIR", file=sys.stderr)
        return 2
    paths = generate(int(argv[0]), Path(argv[1]))
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} documents ({size / 1e6:.2f} MB) to {argv[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
