"""Read clinical notes from files, folders, exports and standard input.

``read_notes`` streams: it yields exactly one ``NoteInput`` or ``ReadError`` per note, in
input order, and one ``ReadError`` for a file that cannot be read at all. A file that fails
part-way (say a truncated gzip) gives its notes up to that point, then one ``ReadError``
for the rest. Nothing is read before it is asked for, and no file is read whole unless it
is one note.

Input kinds, by file name (case-insensitive; ``.gz`` forms are read through gzip):

* ``.txt .text .md .rtf`` (and ``.txt.gz``): one note per file
* ``.csv .tsv`` (and ``.gz``): export with a header row, one note per row
* ``.jsonl .ndjson`` (and ``.gz``), or ``-`` for standard input: one JSON object per line
* ``.parquet``: export, one note per row
* a folder: every file of a kind above, recursively, in sorted order; hidden files and
  folders and files of other kinds are skipped
* any other file named explicitly is read as text, except kinds known not to be text
  (``.json .xlsx .docx .pdf .zip`` ...), which give an ``unsupported`` error

Error messages name the file, row or line, and column: never any note text.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Callable, Iterator, Sequence

from notecheck.errors import InputError
from notecheck.models import NoteInput, ReadError
from notecheck.readers.delimited import read_delimited
from notecheck.readers.jsonl import STDIN_LABEL, read_jsonl, read_stdin
from notecheck.readers.parquet import read_parquet
from notecheck.readers.records import ReadOptions
from notecheck.readers.source import STREAM_ERRORS, ReadProblem, open_binary, problem_from
from notecheck.readers.text import TEXT_SUFFIXES, read_text_file, walk

__all__ = ["read_notes", "kind_of", "ReadOptions"]

_KINDS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".jsonl": "jsonl", ".ndjson": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
    **{suffix: "text" for suffix in TEXT_SUFFIXES},
}
_GZIP_KINDS = {"csv", "tsv", "jsonl", "text"}
_NOT_TEXT = {
    ".json", ".xml", ".xlsx", ".xls", ".ods", ".docx", ".doc", ".odt", ".pdf", ".zip", ".7z",
    ".tar", ".tgz", ".bz2", ".xz", ".zst", ".gz", ".sas7bdat", ".feather", ".avro", ".orc",
    ".png", ".jpg", ".jpeg", ".gif", ".tif", ".tiff", ".dcm",
}


def read_notes(
    paths: Sequence[str | Path],
    *,
    id_col: str | None = None,
    text_col: str | None = None,
    code_col: str | None = None,
    date_col: str | None = None,
    default_code: str | None = None,
    max_note_bytes: int = 1_000_000,
    keep_cols: Sequence[str] = (),
    patient_col: str | None = None,
) -> Iterator[NoteInput | ReadError]:
    """Stream the notes in ``paths`` (files, folders, or ``-`` for JSON lines on stdin).

    ``*_col`` name export columns explicitly (otherwise they are detected);
    ``default_code`` is billed for notes that name no code (neither in a code column nor in their
    text); a note over ``max_note_bytes`` (UTF-8) is a ``too_large`` error; ``keep_cols`` are
    export columns carried into each note as they are (a file without one is ``missing_column``).
    Raises InputError for bad options only.
    """
    if max_note_bytes < 1:
        raise InputError(f"max_note_bytes must be at least 1, got {max_note_bytes}")
    options = ReadOptions(id_col, text_col, code_col, date_col, default_code, max_note_bytes, tuple(keep_cols),
                          patient_col)
    return _read_all(list(paths), options)


def kind_of(path: Path) -> str | None:
    """``csv``, ``tsv``, ``jsonl``, ``parquet``, ``text``, ``unsupported``, or None if unknown."""
    name = path.name.lower()
    gzipped = name.endswith(".gz")
    inner = Path(name[:-3]) if gzipped else Path(name)
    kind = _KINDS.get(inner.suffix)
    if kind is not None and (not gzipped or kind in _GZIP_KINDS):
        return kind
    if gzipped or inner.suffix in _NOT_TEXT:
        return "unsupported"
    return None


def _read_all(paths: list[str | Path], options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    for raw in paths:
        if str(raw) == "-":
            yield from _guarded(STDIN_LABEL, lambda: read_stdin(options))
        else:
            yield from _read_path(Path(raw), str(raw), options)


def _read_path(path: Path, label: str, options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    try:
        status = path.stat()
    except OSError as exc:
        yield problem_from(exc, label).to_error(label)
        return
    if not stat.S_ISDIR(status.st_mode):
        kind = kind_of(path) or "text"  # named explicitly: an unknown kind is read as text
        yield from _read_file(path, label, kind, label, options)
        return
    for found in walk(path):
        if isinstance(found, ReadError):
            yield found
            continue
        file_path, relative = found
        kind = kind_of(file_path)
        if kind is not None and kind != "unsupported":
            yield from _read_file(file_path, str(file_path), kind, relative, options)


def _read_file(path: Path, label: str, kind: str, note_id: str, options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    if kind == "unsupported":
        yield ReadError(id=label, source=label, kind="unsupported", message=f"{label}: unsupported file type")
    elif kind == "text":
        yield read_text_file(path, label, note_id, options)
    elif kind == "parquet":
        yield from _guarded(label, lambda: read_parquet(path, label, options))
    else:
        yield from _guarded(label, lambda: _read_export(path, label, kind, options))


def _read_export(path: Path, label: str, kind: str, options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    with open_binary(path) as binary:
        if kind == "jsonl":
            yield from read_jsonl(binary, label, options)
        else:
            yield from read_delimited(binary, label, "\t" if kind == "tsv" else ",", options)


def _guarded(label: str, start: Callable[[], Iterator[NoteInput | ReadError]]) -> Iterator[NoteInput | ReadError]:
    """Run the reader that ``start()`` returns; a ReadProblem it raises becomes the last item."""
    try:
        yield from start()
    except ReadProblem as problem:
        yield problem.to_error(label)
    except STREAM_ERRORS as exc:  # opening the file
        yield problem_from(exc, label).to_error(label)
