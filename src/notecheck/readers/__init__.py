"""Read clinical notes from files, folders, exports and standard input.

``read_notes`` streams: it yields exactly one ``NoteInput`` or ``ReadError`` per note, in
input order, and one ``ReadError`` for a file that cannot be read at all. A file that fails
part-way (say a truncated gzip) gives its notes up to that point, then one ``ReadError``
for the rest. Nothing is read before it is asked for, and no file is read whole unless it
is one note.

Input kinds, by file name (case-insensitive; ``.gz`` forms are read through gzip):

* ``.txt .text .md .rtf`` (and ``.txt.gz``): one note per file
* ``.csv .tsv`` (and ``.gz``): export with a header row, one note per row
  (the delimiter is sniffed from the header row: ``,`` ``;`` tab or ``|``, unless given)
* ``.jsonl .ndjson`` (and ``.gz``): one JSON object per line
* ``.json`` (and ``.gz``): a list of note objects, or one object
* ``.parquet``: export, one note per row
* ``-``: standard input; ``stdin_format`` says ``jsonl`` or ``text`` (one note), and by default
  it is detected: JSON lines when the first character is ``{``, a JSON list for ``[``, else one note
* a ``.txt`` file in UTF-16 whose first line is a tab-separated header naming a text column
  (Excel's "Unicode text" export) is read as a TSV export, not as one note
* a folder: every file of a kind above, recursively, in sorted order; hidden files and
  folders and files of other kinds are skipped. A folder in which nothing can be read gives one
  ``empty`` error naming what was skipped; a named pipe, socket or device in it is ``not_a_file``
* any other file named explicitly is read as text, except kinds known not to be text
  (``.xlsx .docx .pdf .zip`` ...), which give an ``unsupported`` error. Named explicitly, a path
  that is neither a folder nor a regular file (a named pipe, a device) is an ``InputError``

Error messages name the file, row or line, and column: never any note text.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
import sys
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator, Sequence

from notecheck.errors import InputError
from notecheck.models import NoteInput, ReadError
from notecheck.readers.columns import resolve
from notecheck.readers.decode import SAMPLE_BYTES, _HeadThenRest, _read_head
from notecheck.readers.delimited import read_delimited
from notecheck.readers.jsonl import read_json, read_jsonl
from notecheck.readers.parquet import read_parquet
from notecheck.readers.records import ReadOptions
from notecheck.readers.source import STREAM_ERRORS, ReadProblem, describe_mode, open_binary, problem_from
from notecheck.readers.text import TEXT_SUFFIXES, read_text_file, read_text_stream, walk

__all__ = ["read_notes", "kind_of", "ReadOptions", "STDIN_LABEL", "STDIN_FORMATS"]

STDIN_LABEL = "<stdin>"
STDIN_FORMATS = ("jsonl", "text")

_KINDS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
    ".parquet": "parquet", ".pq": "parquet",
    **{suffix: "text" for suffix in TEXT_SUFFIXES},
}
_GZIP_KINDS = {"csv", "tsv", "jsonl", "json", "text"}
_NOT_TEXT = {
    ".xml", ".xlsx", ".xls", ".ods", ".docx", ".doc", ".odt", ".pdf", ".zip", ".7z",
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
    delimiter: str | None = None,
    stdin_format: str | None = None,
    patient_col: str | None = None,
) -> Iterator[NoteInput | ReadError]:
    """Stream the notes in ``paths`` (files, folders, or ``-`` for standard input).

    ``*_col`` name export columns explicitly (otherwise they are detected);
    ``default_code`` is billed for notes that name no code (neither in a code column nor in their
    text); a note over ``max_note_bytes`` (UTF-8) is a ``too_large`` error; ``keep_cols`` are
    export columns carried into each note as they are (a file without one is ``missing_column``);
    ``delimiter`` is the CSV field separator (sniffed when None); ``stdin_format`` is ``jsonl`` or
    ``text`` (detected when None). Raises InputError for bad options and for a path named here that
    is neither a folder nor a regular file.
    """
    if max_note_bytes < 1:
        raise InputError(f"max_note_bytes must be at least 1, got {max_note_bytes}")
    if delimiter is not None and len(delimiter) != 1:
        raise InputError(f"the delimiter must be one character, got {len(delimiter)}")
    if stdin_format is not None and stdin_format not in STDIN_FORMATS:
        raise InputError(f"stdin format must be one of {', '.join(STDIN_FORMATS)}, got '{stdin_format}'")
    for raw in paths:
        _check_named(raw)
    options = ReadOptions(id_col, text_col, code_col, date_col, default_code, max_note_bytes, tuple(keep_cols), delimiter,
                          patient_col)
    return _read_all(list(paths), options, stdin_format)


def _check_named(raw: str | Path) -> None:
    """A path named on the command line must be ``-``, a folder, a regular file, or missing (which
    gives a ``not_found`` record): opening anything else could block forever."""
    if str(raw) == "-":
        return
    try:
        mode = os.stat(raw).st_mode
    except (OSError, ValueError):
        return
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise InputError(f"{os.fsdecode(raw)!a}: {describe_mode(mode)}, not a file or folder; "
                         "name a file, a folder, or - for standard input")


def kind_of(path: Path) -> str | None:
    """``csv``, ``tsv``, ``jsonl``, ``json``, ``parquet``, ``text``, ``unsupported``, or None if unknown."""
    name = path.name.lower()
    gzipped = name.endswith(".gz")
    inner = Path(name[:-3]) if gzipped else Path(name)
    kind = _KINDS.get(inner.suffix)
    if kind is not None and (not gzipped or kind in _GZIP_KINDS):
        return kind
    if gzipped or inner.suffix in _NOT_TEXT:
        return "unsupported"
    return None


def _read_all(paths: list[str | Path], options: ReadOptions, stdin_format: str | None) -> Iterator[NoteInput | ReadError]:
    for raw in paths:
        if str(raw) == "-":
            yield from _guarded(STDIN_LABEL, lambda: _read_stdin(options, stdin_format))
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
    skipped: Counter = Counter()
    count = 0
    for found in walk(path, skipped):
        if isinstance(found, ReadError):
            count += 1
            yield found
            continue
        kind = kind_of(found.path)
        if kind is None or kind == "unsupported":
            skipped[_suffix(found.path)] += 1
            continue
        count += 1
        if found.special is not None:
            where = str(found.path)
            yield ReadError(id=found.relative, source=where, kind="not_a_file",
                            message=f"{where}: {found.special}, not a regular file; not read")
        else:
            yield from _read_file(found.path, str(found.path), kind, found.relative, options)
    if count == 0:
        yield ReadError(id=label, source=label, kind="empty", message=f"{label}: no file notecheck reads ({_reads()}); "
                        f"skipped: {_skipped(skipped)}")


def _suffix(path: Path) -> str:
    suffix = "".join(path.suffixes[-2:]) if path.name.lower().endswith(".gz") else path.suffix
    return suffix.lower() if suffix and suffix.isascii() and len(suffix) <= 12 else "no or other extension"


def _reads() -> str:
    return " ".join(sorted(_KINDS)) + ", and their .gz forms"


def _skipped(skipped: Counter) -> str:
    if not skipped:
        return "nothing (the folder is empty)"
    return ", ".join(f"{n} {what}" for what, n in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0])))


def _read_file(path: Path, label: str, kind: str, note_id: str, options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    if kind == "unsupported":
        yield ReadError(id=label, source=label, kind="unsupported", message=f"{label}: unsupported file type")
    elif kind == "text":
        export = _utf16_export(path, label, options)
        if export:
            yield from _guarded(label, lambda: _read_export(path, label, "tsv", options))
        else:
            yield read_text_file(path, label, note_id, options)
    elif kind == "parquet":
        yield from _guarded(label, lambda: read_parquet(path, label, options))
    else:
        yield from _guarded(label, lambda: _read_export(path, label, kind, options))


def _read_export(path: Path, label: str, kind: str, options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    with open_binary(path) as binary:
        yield from _read_binary(binary, label, kind, options)


def _read_binary(binary, label: str, kind: str, options: ReadOptions) -> Iterator[NoteInput | ReadError]:
    if kind == "jsonl":
        yield from read_jsonl(binary, label, options)
    elif kind == "json":
        yield from read_json(binary, label, options)
    else:
        yield from read_delimited(binary, label, "\t" if kind == "tsv" else options.delimiter, options)


def _utf16_export(path: Path, label: str, options: ReadOptions) -> bool:
    """A ``.txt`` in UTF-16 (with its byte order mark) whose first line is a tab-separated header
    that names a text column: Excel's "Unicode text" export of a sheet."""
    if not path.name.lower().endswith(".txt"):
        return False
    try:
        with open_binary(path) as handle:
            head = handle.read(4096)
    except (STREAM_ERRORS + (ReadProblem,)):
        return False  # reading it as a note reports the problem
    if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    first = head.decode("utf-16", "replace").split("\n", 1)[0].strip("\r\ufeff")
    if "\t" not in first:
        return False
    try:
        resolve(first.split("\t"), label, options.explicit_columns())
    except ReadProblem:
        return False
    return True


def _read_stdin(options: ReadOptions, stdin_format: str | None) -> Iterator[NoteInput | ReadError]:
    """Standard input as JSON lines, a JSON list, or one note (see the module's docstring)."""
    binary = getattr(sys.stdin, "buffer", None)
    if binary is None:  # a text stream (tests, embedding): its text as UTF-8
        binary = io.BytesIO(sys.stdin.read().encode("utf-8", "surrogateescape"))
    head, failure = _read_head(binary)
    stream = io.BufferedReader(_HeadThenRest(head, binary, failure))
    kind = stdin_format or _sniff_stdin(head)
    if kind == "text":
        yield read_text_stream(stream, STDIN_LABEL, STDIN_LABEL, options)
    else:
        yield from _read_binary(stream, STDIN_LABEL, kind, options)


def _sniff_stdin(head: bytes) -> str:
    text = head[:SAMPLE_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "jsonl"
    if text.startswith(b"["):
        return "json"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        decoded = head.decode("utf-16", "replace").lstrip("\ufeff \t\r\n")
        return "jsonl" if decoded.startswith("{") else "json" if decoded.startswith("[") else "text"
    return "text" if text else "jsonl"  # nothing at all: the JSON-lines reader says "no input"


def _guarded(label: str, start: Callable[[], Iterator[NoteInput | ReadError]]) -> Iterator[NoteInput | ReadError]:
    """Run the reader that ``start()`` returns; a ReadProblem it raises becomes the last item."""
    try:
        yield from start()
    except ReadProblem as problem:
        yield problem.to_error(label)
    except STREAM_ERRORS as exc:  # opening the file
        yield problem_from(exc, label).to_error(label)
