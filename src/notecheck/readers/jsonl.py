"""JSON lines (one JSON object per line) and JSON lists of objects.

Columns are chosen from each object's own keys, so a line without a text field is an error for that
line only. Blank lines are skipped; line numbers count every physical line. A line longer than the
limit is skipped without being held in memory and reported as ``too_large``; a value nested too deep
to decode is ``too_deep``.
"""

from __future__ import annotations

import json
import re
from typing import BinaryIO, Iterator, TextIO

from notecheck.models import NoteInput, ReadError
from notecheck.readers.columns import ColumnMap, resolve
from notecheck.readers.decode import open_text
from notecheck.readers.records import ReadOptions, build_note
from notecheck.readers.source import STREAM_ERRORS, ReadProblem, RowProblem, problem_from

_SPACE = re.compile(r"[ \t\r\n]*")
_RESULT_KEYS = {"status", "elements", "codes", "rules_version"}  # a record notecheck wrote
LINE_LIMIT_FACTOR = 4
MIN_LINE_LIMIT = 1 << 20


def read_jsonl(binary: BinaryIO, label: str, options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    """Yield one item per non-blank line of a JSON-lines byte stream."""
    return read_jsonl_text(open_text(binary, label), label, options)


def read_jsonl_text(stream: TextIO, label: str, options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    """Yield one item per non-blank line of a JSON-lines text stream."""
    limit = max(LINE_LIMIT_FACTOR * options.max_note_bytes, MIN_LINE_LIMIT)
    columns = _Columns(label, options)
    number = objects = 0
    try:
        for number, line in enumerate(_lines(stream, limit), start=1):
            if line is None:
                yield _line_error(label, number, "too_large", f"line is over {limit} characters")
                continue
            if not line.strip():
                continue
            objects += 1
            yield _item(parse_object(line), label, number, columns, options, "line")
    except STREAM_ERRORS as exc:
        raise problem_from(exc, label, number + 1, unit="line") from None
    if objects == 0:
        raise ReadProblem("empty", f"{label}: no JSON objects (blank)")


def read_json(binary: BinaryIO, label: str, options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    """A JSON document: a list of note objects (as ``notecheck scan -f json`` writes records), or one
    object. The list is read one element at a time; an element longer than the limit is ``too_large``
    and, as its end cannot be found without holding it, ends the file."""
    stream = open_text(binary, label)
    limit = max(LINE_LIMIT_FACTOR * options.max_note_bytes, MIN_LINE_LIMIT)
    columns = _Columns(label, options)
    elements = _Elements(stream, label, limit)
    count = 0
    try:
        for count, element in enumerate(elements, start=1):
            yield _item(element, label, count, columns, options, "item")
    except STREAM_ERRORS as exc:
        raise problem_from(exc, label, count + 1, unit="item") from None
    if count == 0 and elements.was_list:
        raise ReadProblem("empty", f"{label}: an empty list")


class _Elements:
    """The elements of a top-level JSON list, decoded one at a time from a growing window of text.

    Yields each decoded value, or a ``RowProblem`` for an element that cannot be decoded."""

    def __init__(self, stream: TextIO, label: str, limit: int):
        self.stream, self.label, self.limit = stream, label, limit
        self.was_list = False

    def __iter__(self):
        decoder = json.JSONDecoder()
        buffer, eof = "", False

        def fill() -> None:
            """Read more: as much again as is held, so an element is decoded O(log n) times at most."""
            nonlocal buffer, eof
            if not eof:
                chunk = self.stream.read(max(65536, len(buffer)))
                eof = not chunk
                buffer += chunk

        fill()
        buffer = buffer.lstrip()
        if not buffer.startswith("["):  # one object
            while not eof and len(buffer) <= self.limit:
                fill()
            if len(buffer) > self.limit:
                yield RowProblem("too_large", f"over {self.limit} characters")
            else:
                yield parse_object(buffer)
            return
        self.was_list = True
        pos = 1  # where the next element (or , or ]) starts; the buffer is cut only when more is read
        while True:
            pos = _SPACE.match(buffer, pos).end()
            if pos == len(buffer):
                if eof:
                    return
                buffer, pos = "", 0
                fill()
                continue
            if buffer[pos] == "]":
                return
            if buffer[pos] == ",":
                pos += 1
                continue
            try:
                value, end = decoder.raw_decode(buffer, pos)
            except RecursionError:
                yield RowProblem("too_deep", "nested too deep to decode")
                return
            except ValueError:
                if eof:
                    yield RowProblem("malformed_row", "not valid JSON; the rest of the file was not read")
                    return
                if len(buffer) - pos > self.limit:
                    yield RowProblem("too_large", f"over {self.limit} characters; the rest of the file was not read")
                    return
                buffer, pos = buffer[pos:], 0
                fill()  # the element may go on in what comes next
                continue
            if end == len(buffer) and not eof and isinstance(value, (int, float)):
                buffer, pos = buffer[pos:], 0
                fill()  # a number may go on in what comes next
                continue
            pos = end
            yield value



def parse_object(text: str):
    """A JSON value, or a ``RowProblem`` saying why it cannot be decoded."""
    try:
        return json.loads(text)
    except RecursionError:
        return RowProblem("too_deep", "nested too deep to decode")
    except ValueError:
        return RowProblem("malformed_row", "not a JSON object")


class _Columns:
    """Columns chosen from each object's own keys (objects in one file may differ), cached per key set."""

    def __init__(self, label: str, options: ReadOptions):
        self.label, self.options = label, options
        self.cache: dict[tuple, ColumnMap | ReadProblem] = {}

    def __call__(self, record: dict) -> ColumnMap | ReadProblem:
        keys = tuple(record)
        found = self.cache.get(keys)
        if found is None:
            try:
                found = resolve(list(keys), self.label, self.options.explicit_columns())
            except ReadProblem as problem:
                found = problem
            if len(self.cache) < 1024:
                self.cache[keys] = found
        return found


def _item(value, label: str, number: int, columns: _Columns, options: ReadOptions, unit: str) -> NoteInput | ReadError:
    if isinstance(value, RowProblem):
        return _line_error(label, number, value.kind, value.what, unit)
    if not isinstance(value, dict):
        return _line_error(label, number, "malformed_row", "not a JSON object", unit)
    found = columns(value)
    if isinstance(found, ReadProblem):
        if _RESULT_KEYS <= value.keys():
            return _line_error(label, number, "missing_column", "a notecheck result, which holds no note text: "
                               "scan the notes it came from", unit)
        return _line_error(label, number, found.kind, found.message.removeprefix(f"{label}: "), unit)
    fields = {role: value[name] for role, name in found.roles().items() if name in value}
    return build_note(label, number, fields, found, options, unit=unit)


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


def _line_error(label: str, line: int, kind: str, what: str, unit: str = "line") -> ReadError:
    where = f"{label}:{line}"
    return ReadError(id=where, source=where, kind=kind, message=f"{label} {unit} {line}: {what}")
