"""CSV and TSV exports: a header row, then one note per row.

Quoted fields may span lines. Rows are read one at a time; a row with bad quoting, or whose
field count differs from the header's, is a ``malformed_row``. A single field longer than the parser limit
(``FIELD_LIMIT_FACTOR`` x ``max_note_bytes`` characters) means the quoting has run away:
the rest of the file is reported once as ``too_large`` rather than guessed at.
"""

from __future__ import annotations

import csv
from typing import BinaryIO, Iterator

from notecheck.models import NoteInput, ReadError
from notecheck.readers.columns import resolve
from notecheck.readers.decode import open_text
from notecheck.readers.records import ReadOptions, build_note
from notecheck.readers.source import STREAM_ERRORS, ReadProblem, problem_from

FIELD_LIMIT_FACTOR = 4
MIN_FIELD_LIMIT = 1 << 20


def read_delimited(binary: BinaryIO, label: str, delimiter: str, options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    """Yield one item per data row of a CSV (``delimiter=","``) or TSV (``"\\t"``) stream."""
    limit = max(FIELD_LIMIT_FACTOR * options.max_note_bytes, MIN_FIELD_LIMIT)
    if csv.field_size_limit() < limit:
        csv.field_size_limit(limit)
    reader = csv.reader(open_text(binary, label), delimiter=delimiter, strict=True)
    header = _header(reader, label)
    columns = resolve(header, label, options.explicit_columns())
    index = {role: header.index(name) for role, name in columns.roles().items()}
    row = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row += 1
            if "field limit" in str(exc):
                raise ReadProblem(
                    "too_large",
                    f"{label} row {row}: a field is over {csv.field_size_limit()} characters "
                    "(unbalanced quotes?); the rest of the file was not read",
                    row,
                ) from None
            yield _malformed(label, row, "bad quoting")
            continue
        except STREAM_ERRORS as exc:
            raise problem_from(exc, label, row + 1) from None
        if not record:
            continue  # blank line
        row += 1
        if len(record) != len(header):
            yield _malformed(label, row, f"{len(record)} fields, the header has {len(header)}")
        else:
            yield build_note(label, row, {role: record[i] for role, i in index.items()}, columns, options)


def _header(reader, label: str) -> list[str]:
    try:
        for record in reader:
            if record:
                return record
    except csv.Error:
        raise ReadProblem("malformed_row", f"{label}: the header row cannot be parsed") from None
    except STREAM_ERRORS as exc:
        raise problem_from(exc, label) from None
    raise ReadProblem("empty", f"{label}: file is empty")


def _malformed(label: str, row: int, what: str) -> ReadError:
    where = f"{label}:{row}"
    return ReadError(id=where, source=where, kind="malformed_row", message=f"{label} row {row}: {what}")
