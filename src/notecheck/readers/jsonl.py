"""JSON lines: one JSON object per line; ``-`` reads standard input.

Columns are chosen from the keys of the first object. Blank lines are skipped; line numbers
count every physical line. A line longer than the limit is skipped without being held in
memory and reported as ``too_large``.
"""

from __future__ import annotations

import json
import sys
from typing import BinaryIO, Iterator, TextIO

from notecheck.models import NoteInput, ReadError
from notecheck.readers.columns import ColumnMap, resolve
from notecheck.readers.decode import open_text
from notecheck.readers.records import ReadOptions, build_note
from notecheck.readers.source import STREAM_ERRORS, ReadProblem, problem_from

STDIN_LABEL = "<stdin>"
LINE_LIMIT_FACTOR = 4
MIN_LINE_LIMIT = 1 << 20


def read_jsonl(binary: BinaryIO, label: str, options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    """Yield one item per non-blank line of a JSON-lines byte stream."""
    return read_jsonl_text(open_text(binary, label), label, options)


def read_stdin(options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    """JSON lines from standard input (its byte buffer when it has one)."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is not None:
        return read_jsonl(buffer, STDIN_LABEL, options)
    return read_jsonl_text(sys.stdin, STDIN_LABEL, options)


def read_jsonl_text(stream: TextIO, label: str, options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    """Yield one item per non-blank line of a JSON-lines text stream."""
    limit = max(LINE_LIMIT_FACTOR * options.max_note_bytes, MIN_LINE_LIMIT)
    columns: ColumnMap | None = None
    number = 0
    try:
        for number, line in enumerate(_lines(stream, limit), start=1):
            if line is None:
                yield _line_error(label, number, "too_large", f"line is over {limit} characters")
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if not isinstance(record, dict):
                yield _line_error(label, number, "malformed_row", "not a JSON object")
                continue
            if columns is None:
                columns = resolve(list(record), label, options.explicit_columns())
            fields = {role: record[name] for role, name in columns.roles().items() if name in record}
            yield build_note(label, number, fields, columns, options, unit="line")
    except STREAM_ERRORS as exc:
        raise problem_from(exc, label, number + 1, unit="line") from None
    if number == 0:
        raise ReadProblem("empty", f"{label}: no input")


def _lines(stream: TextIO, limit: int) -> Iterator[str | None]:
    """Lines of ``stream``; None stands for a line longer than ``limit``, which is skipped."""
    while True:
        line = stream.readline(limit)
        if not line:
            return
        if len(line) < limit or line.endswith(("\n", "\r")):
            yield line
            continue
        while line and not line.endswith(("\n", "\r")):
            line = stream.readline(limit)
        yield None


def _line_error(label: str, line: int, kind: str, what: str) -> ReadError:
    where = f"{label}:{line}"
    return ReadError(id=where, source=where, kind=kind, message=f"{label} line {line}: {what}")
