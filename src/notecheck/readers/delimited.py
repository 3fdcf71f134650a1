"""CSV and TSV exports: a header row, then one note per row.

The field delimiter is sniffed from the header row (``,`` ``;`` tab or ``|``, the most frequent
outside quotes) unless it is given. Quoted fields may span lines.

Rows are found before they are parsed, by a scanner that follows the quoting line by line in
linear time and never holds more than the limit (``FIELD_LIMIT_FACTOR`` x ``max_note_bytes``
characters, at least ``MIN_FIELD_LIMIT``), so one bad row costs only itself:

* a quote inside a quoted field that is not doubled (``"He said "ouch" loudly"``) does not end
  the field unless a delimiter or a line break follows it; a row whose quoting is still bad is one
  ``malformed_row``, and the rows after it are read as usual;
* a row longer than the limit (a huge field, a line of gigabytes) is one ``too_large`` and is
  skipped without being held in memory;
* a quote that is never closed makes its row ``malformed_row`` and reading starts again on the
  next line (the rows it swallowed are read, not lost), this time with quotes read strictly as
  RFC 4180 has them, so no line is read more than twice.

A row whose field count differs from the header's is a ``malformed_row``; a file with a header and
no rows gives one ``empty`` error.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from typing import BinaryIO, Iterator, TextIO

from notecheck.models import NoteInput, ReadError
from notecheck.readers.columns import resolve
from notecheck.readers.decode import open_text
from notecheck.readers.records import ReadOptions, build_note
from notecheck.readers.source import STREAM_ERRORS, ReadProblem, RowProblem, problem_from

FIELD_LIMIT_FACTOR = 4
MIN_FIELD_LIMIT = 1 << 20
DELIMITERS = (",", "\t", ";", "|")  # sniffed in this order of preference on a tie
_QUOTED_SPAN = re.compile(r'"[^"]*"')


def read_delimited(binary: BinaryIO, label: str, delimiter: str | None, options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    """Yield one item per data row of a delimited stream; ``delimiter`` None means sniff it."""
    limit = max(FIELD_LIMIT_FACTOR * options.max_note_bytes, MIN_FIELD_LIMIT)
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)
    stream = open_text(binary, label)
    rows = _Rows(stream, limit, delimiter)
    try:
        header = _header(rows, label)
    except STREAM_ERRORS as exc:
        raise problem_from(exc, label) from None
    columns = resolve(header, label, options.explicit_columns())
    index = {role: header.index(name) for role, name in columns.roles().items()}
    row = 0
    while True:
        try:
            found = next(rows, None)
        except STREAM_ERRORS as exc:
            raise problem_from(exc, label, row + 1) from None
        if found is None:
            break
        if isinstance(found, RowProblem):
            row += 1
            yield _error(label, row, found.kind, found.what)
            continue
        if "\x00" in found:  # a stray NUL (Python 3.10's csv module refuses the whole line)
            row += 1
            yield _error(label, row, "encoding", "the row holds a NUL byte")
            continue
        try:
            record = next(csv.reader((found,), delimiter=rows.delimiter, strict=True), [])
        except csv.Error:
            row += 1
            yield _error(label, row, "malformed_row", "bad quoting")
            continue
        if not record:
            continue  # blank line
        row += 1
        if len(record) != len(header):
            yield _error(label, row, "malformed_row", f"{len(record)} fields, the header has {len(header)}")
        else:
            yield build_note(label, row, {role: record[i] for role, i in index.items()}, columns, options)
    if row == 0:
        raise ReadProblem("empty", f"{label}: a header row and no data rows")


def sniff_delimiter(line: str) -> str:
    """The candidate delimiter seen most often in ``line`` outside quoted spans (``,`` if none is)."""
    bare = _QUOTED_SPAN.sub("", line)
    counts = {d: bare.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equal counts
    return best if counts[best] else ","


def _header(rows: _Rows, label: str) -> list[str]:
    for found in rows:
        if isinstance(found, RowProblem):
            raise ReadProblem("malformed_row", f"{label}: the header row cannot be read ({found.what})")
        try:
            record = next(csv.reader((found,), delimiter=rows.delimiter, strict=True), [])
        except csv.Error:
            raise ReadProblem("malformed_row", f"{label}: the header row cannot be parsed") from None
        if record:
            return record
    raise ReadProblem("empty", f"{label}: file is empty")


def _error(label: str, row: int, kind: str, what: str) -> ReadError:
    where = f"{label}:{row}"
    return ReadError(id=where, source=where, kind=kind, message=f"{label} row {row}: {what}")



# scanner states: at the start of a field, in an unquoted field, in a quoted one, just after a quote in one
START, BARE, QUOTED, AFTER_QUOTE, END = range(5)


class _Rows:
    """The rows of a delimited text stream, each as its text (line breaks included), or a ``RowProblem``.

    Physical lines are read with ``readline(limit)``, so no line is held whole beyond the limit.
    """

    def __init__(self, stream: TextIO, limit: int, delimiter: str | None):
        self.stream, self.limit = stream, limit
        self.first = stream.readline(limit)  # sniffed, then read as the first piece
        self.again: deque[str] = deque()  # lines to scan again (after a quote that never closed)
        self.delimiter = delimiter or sniff_delimiter(self.first)
        self.stops = re.compile(f"[{re.escape(self.delimiter)}\r\n]")

    def _piece(self) -> str:
        if self.first:
            piece, self.first = self.first, ""
            return piece
        return self.again.popleft() if self.again else self.stream.readline(self.limit)

    def __iter__(self):
        return self

    def __next__(self) -> str | RowProblem:
        lines: list[str] = []
        size, overflow, state = 0, False, START
        again = bool(self.again)  # a row read again: quotes follow RFC 4180 strictly, and it is never read a third time
        while True:
            piece = self._piece()
            if not piece:  # end of input
                if not lines and not overflow:
                    raise StopIteration
                if state != QUOTED:
                    break
                if overflow:
                    return RowProblem("too_large", f"a quoted field opened in this row is never closed and runs "
                                                 f"over {self.limit} characters; the rest of the file was not read")
                if again:
                    return RowProblem("malformed_row", "bad quoting (a quoted field opened in this row is never "
                                                     "closed); the rest of the file was not read")
                self.again.extend(lines[1:])  # the quote was a stray one: read the lines it swallowed again
                return RowProblem("malformed_row", "bad quoting (a quoted field opened in this row is never closed)")
            state = self._scan(piece, state, strict=again)
            size += len(piece)
            if size > self.limit:
                overflow = True
                lines.clear()
            else:
                lines.append(piece)
            if state == END:
                break
        if overflow:
            return RowProblem("too_large", f"the row is over {self.limit} characters")
        return "".join(lines)

    def _scan(self, piece: str, state: int, strict: bool = False) -> int:
        """The state after ``piece`` (one line or part of one). A quote closes a quoted field only
        when a delimiter, a line break or the end of input follows it (``strict``: always, and what
        follows up to the next delimiter is part of the field, as the csv module reads it); line breaks
        come only at the end of a piece."""
        pos, n, delimiter = 0, len(piece), self.delimiter
        while pos < n:
            if state == QUOTED:
                pos = piece.find('"', pos)
                if pos == -1:
                    return QUOTED
                pos += 1
                state = AFTER_QUOTE
            elif state == AFTER_QUOTE:
                c = piece[pos]
                if c == delimiter:
                    state, pos = START, pos + 1
                elif c in "\r\n":
                    return END
                elif c == '"':  # a doubled quote
                    state, pos = QUOTED, pos + 1
                else:  # a quote that is part of the text: still inside the field (strict: the field ends)
                    state = BARE if strict else QUOTED
            elif state == START and piece[pos] == '"':
                state, pos = QUOTED, pos + 1
            else:
                m = self.stops.search(piece, pos)
                if m is None:
                    return BARE
                if m.group() != delimiter:
                    return END
                state, pos = START, m.end()
        return state
