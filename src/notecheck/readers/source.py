"""Opening input files, and turning I/O failures into a ``ReadProblem``.

A ``ReadProblem`` is how a reader says "this file (or the rest of it) cannot be read".
``read_notes`` turns it into one ``ReadError`` record. Messages name the file, the row or
line and the column only: never any content of the file.
"""

from __future__ import annotations

import errno
import gzip
import os
import stat
import zlib
from pathlib import Path
from typing import BinaryIO, NamedTuple

from notecheck.errors import InputError
from notecheck.models import ReadError

# Failures that can happen part-way through reading a stream.
STREAM_ERRORS = (OSError, EOFError, UnicodeDecodeError, zlib.error)


class RowProblem(NamedTuple):
    """One row or line that cannot be read, yielded in its place (not raised): its ReadError kind and why."""

    kind: str
    what: str


class ReadProblem(InputError):
    """A file, or the rest of a file from ``row`` on, cannot be read.

    ``kind`` is the ReadError kind (``not_found``, ``truncated``, ...). ``row`` is None
    when the whole file is affected, else the first row (or line) that was not read.
    """

    def __init__(self, kind: str, message: str, row: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.row = row

    def to_error(self, label: str) -> ReadError:
        where = label if self.row is None else f"{label}:{self.row}"
        return ReadError(id=where, source=where, kind=self.kind, message=self.message)


def open_binary(path: Path) -> BinaryIO:
    """Open ``path`` for reading bytes, through gzip when the name ends in ``.gz``.

    Only a regular file is opened: it is opened without blocking (a named pipe would wait for a
    writer forever) and checked, and anything else raises ReadProblem ``not_a_file``.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ReadProblem("not_a_file", f"{path}: not a regular file ({describe_mode(mode)}); not read")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        handle = open(fd, "rb", closefd=True)  # noqa: SIM115 - returned to the caller, who closes it
    except BaseException:
        os.close(fd)
        raise
    if path.name.lower().endswith(".gz"):
        unzipped = gzip.GzipFile(fileobj=handle, mode="rb")
        unzipped.myfileobj = handle  # GzipFile closes its myfileobj when it is closed
        return unzipped
    return handle


def describe_mode(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def problem_from(exc: BaseException, label: str, row: int | None = None, unit: str = "row") -> ReadProblem:
    """Describe an I/O or decoding failure without quoting anything read from the file."""
    if isinstance(exc, EOFError):
        kind, what = "truncated", "compressed data ends early (truncated gzip)"
    elif isinstance(exc, (gzip.BadGzipFile, zlib.error)):
        kind, what = "unreadable", "gzip data is corrupt"
    elif isinstance(exc, UnicodeDecodeError):
        kind, what = "encoding", f"bytes that cannot be decoded as {exc.encoding}"
    elif isinstance(exc, FileNotFoundError):
        kind, what = "not_found", "no such file"
    elif isinstance(exc, PermissionError):
        kind, what = "unreadable", "permission denied"
    elif isinstance(exc, OSError) and exc.errno == errno.ELOOP:
        kind, what = "symlink_loop", "symbolic link loop"
    elif isinstance(exc, OSError):
        kind, what = "unreadable", exc.strerror or type(exc).__name__
    else:
        kind, what = "unreadable", type(exc).__name__
    if row is None:
        return ReadProblem(kind, f"{label}: {what}")
    return ReadProblem(kind, f"{label} {unit} {row}: {what}; the rest of the file was not read", row)
