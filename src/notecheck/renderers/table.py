"""The terminal table: one row per note, coloured by status, fitted to the width, a summary line last."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from rich.console import Console
from rich.table import Table

from ..models import NoteResult
from .csv_queue import NO_RULE_FLAG, missing_labels

STYLE = {"complete": "green", "incomplete": "yellow", "no_code": "cyan", "error": "bold red"}


class TableRenderer:
    def __init__(self, stream: TextIO, include_text: bool = True):
        self.console = Console(file=stream, highlight=False, soft_wrap=False)
        self.table = Table(show_lines=False, expand=False)
        for col, kw in (("note", {"overflow": "fold", "ratio": 2}), ("status", {}), ("score", {"justify": "right"}),
                        ("codes", {"overflow": "fold"}), ("missing / flags", {"overflow": "fold", "ratio": 3})):
            self.table.add_column(col, **kw)
        self.counts: Counter = Counter()

    def write(self, result: NoteResult) -> None:
        self.counts[result.status] += 1
        codes = ", ".join(c.code + "".join(f"-{m}" for m in c.modifiers) + (f" x{c.units}" if c.units > 1 else "")
                          for c in result.codes)
        codes = ", ".join(filter(None, [codes, *result.unsupported_codes]))
        if result.error is not None:
            detail = f"{result.error.kind}: {result.error.message}"
        else:
            parts = []
            for c in result.codes:
                if c.missing:
                    parts.append(f"{c.code} missing: {', '.join(missing_labels(result, c))}")
                parts.extend(f"{c.code} {f.kind}" for f in c.flags)
            parts.extend(f"{code} {NO_RULE_FLAG}" for code in result.unsupported_codes)
            parts.extend(w.kind for w in result.warnings)
            detail = "; ".join(parts)
        style = STYLE.get(result.status, "")
        self.table.add_row(result.id, f"[{style}]{result.status}[/]", "" if result.score is None else str(result.score),
                           codes, detail)

    def close(self) -> None:
        self.console.print(self.table)
        total = sum(self.counts.values())
        parts = ", ".join(f"[{STYLE[s]}]{self.counts[s]} {s}[/]" for s in STYLE if self.counts[s])
        self.console.print(f"{total} notes: {parts}" if total else "no notes")
