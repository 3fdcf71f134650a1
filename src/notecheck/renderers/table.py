"""The terminal table: one row per note, coloured by status, fitted to the width.

Cells are wrapped here, not by rich: at spaces first, then after the separators inside ids, paths and
element names (``_ - . / ,``), so that ``placement_confirmation`` or a note id is never cut mid-word
while a word fits the column. Cells are plain ``Text``: an id holding ``[/bold]`` is shown as written.
"""

from __future__ import annotations

import re
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..models import NoteResult
from .csv_queue import NO_RULE_FLAG, missing_labels

STYLE = {"complete": "green", "incomplete": "yellow", "no_code": "cyan", "error": "bold red"}
HEADERS = ("note", "status", "score", "codes", "missing / flags")
_PIECES = re.compile(r"[^_\-./,]*[_\-./,]+|[^_\-./,]+")  # a word split after each separator run


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters. Breaks at spaces, else after a separator; a piece with no
    separator that is longer than the width is the only thing ever cut."""
    width = max(1, width)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            for i, piece in enumerate(_pieces(word, width) if len(word) > width else [word]):
                joined = f"{line} {piece}" if line and i == 0 else line + piece
                if len(joined) <= width:
                    line = joined
                else:
                    if line:
                        lines.append(line)
                    line = piece
        lines.append(line)
    return lines


def _pieces(word: str, width: int) -> list[str]:
    """A word longer than the width, broken after its separators (cut hard only where a piece has none)."""
    out = []
    for piece in _PIECES.findall(word):
        while len(piece) > width:
            out.append(piece[:width])
            piece = piece[width:]
        out.append(piece)
    return out


class TableRenderer:
    def __init__(self, stream: TextIO, include_text: bool = True):
        self.console = Console(file=stream, highlight=False, soft_wrap=False)
        self.rows: list[tuple[str, str, str, str, str]] = []

    def write(self, result: NoteResult) -> None:
        codes = ", ".join(c.code + "".join(f"-{m}" for m in c.modifiers) + (f" x{c.units}" if c.units > 1 else "")
                          for c in result.codes)
        codes = ", ".join(filter(None, [codes, *result.unsupported_codes]))
        score = "" if result.score is None else str(result.score)
        self.rows.append((result.id, result.status, score, codes, self._detail(result)))

    @staticmethod
    def _detail(result: NoteResult) -> str:
        if result.error is not None:
            return f"{result.error.kind}: {result.error.message}"
        parts = []
        for c in result.codes:
            if c.missing:
                parts.append(f"{c.code} missing: {', '.join(missing_labels(result, c))}")
            parts.extend(f"{c.code} {f.kind}" for f in c.flags)
        parts.extend(f"{code} {NO_RULE_FLAG}" for code in result.unsupported_codes)
        parts.extend(w.kind for w in result.warnings)
        return "; ".join(parts)

    def close(self) -> None:
        widths = self._widths()
        table = Table(show_lines=False, expand=False)
        for header, width in zip(HEADERS, widths):
            table.add_column(header, width=width, no_wrap=True, overflow="crop", justify="right" if header == "score" else "left")
        for row in self.rows:
            cells = [Text("\n".join(wrap(cell, w))) for cell, w in zip(row, widths)]
            cells[1].stylize(STYLE.get(row[1], ""))
            table.add_row(*cells)
        self.console.print(table)  # the counts are the scan's summary line (cli.py), not repeated here

    def _widths(self) -> list[int]:
        """Column widths that fit the console: each column's natural width if all fit, else the note id and
        the detail share what is left, the detail keeping room for its longest word where it can."""
        natural = [max([len(h)] + [max((len(x) for x in r[i].split("\n")), default=0) for r in self.rows])
                   for i, h in enumerate(HEADERS)]
        room = self.console.width - (3 * len(HEADERS) + 1)  # borders and one space of padding each side
        if sum(natural) <= room:
            return natural
        note, status, score, codes, detail = natural
        codes = min(codes, max([9] + [len(c) for r in self.rows for c in r[3].split(", ")]))  # one claim a line
        left = max(room - status - score - codes, 20)
        longest_word = max((len(w) for r in self.rows for w in r[4].split()), default=0)
        detail_w = min(detail, max(left // 2, min(longest_word, left - 12)))
        note_w = min(note, left - detail_w)
        detail_w = min(detail, left - note_w)
        return [max(note_w, 4), status, score, codes, max(detail_w, 8)]

