"""bench/RESULTS.md is written in sections, one per script, each between `<!-- name:start -->` and
`<!-- name:end -->`: a script replaces its own section and keeps the others."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
ORDER = ("throughput", "memory", "spark", "serve")  # where a new section goes, top to bottom


def write_section(name: str, text: str, path: Path = RESULTS) -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else "# notecheck benchmark results\n"
    sections = {n: _between(old, n) for n in ORDER if _between(old, n) is not None}
    sections[name] = text.strip("\n")
    body = "\n\n".join(f"<!-- {n}:start -->\n{sections[n]}\n<!-- {n}:end -->" for n in ORDER if n in sections)
    path.write_text("# notecheck benchmark results\n\n" + body + "\n", encoding="utf-8")


def _between(text: str, name: str) -> str | None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        return None
    return text[text.index(start) + len(start): text.index(end)].strip("\n")
