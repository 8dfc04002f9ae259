"""One benchmark's section of results.md, between its markers: replaced in place, or added."""

from __future__ import annotations

from pathlib import Path


def put_section(results: Path, text: str, start: str, end: str) -> None:
    """Put `text` (which begins with `start` and ends with `end`) into `results`, keeping the rest."""
    old = results.read_text(encoding="utf-8") if results.exists() else ""
    if start in old and end in old:
        head, rest = old.split(start, 1)
        new = head + text + rest.split(end, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    results.write_text(new, encoding="utf-8")
