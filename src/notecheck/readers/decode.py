"""Bytes to text: pick one encoding per file.

Order: UTF-8 with BOM, UTF-16 with BOM, plain UTF-8, else legacy Windows-1252 (Latin-1 when
a byte is undefined in Windows-1252). A file with NUL bytes and no UTF-16 BOM, or whose
sample is mostly control bytes, is binary; an export is binary only when NULs are more than a trace
of its sample (UTF-16 without a BOM is half NULs), so that one stray NUL costs only the row holding it.

Whole files (text notes) are decoded in one go with ``decode_bytes``. Exports are streamed
with ``open_text``, which decides from the first ``SAMPLE_BYTES`` and decodes the rest with
``surrogateescape``: a later byte that does not fit the chosen encoding becomes a lone
surrogate, and the row holding it is reported by ``has_undecodable`` instead of stopping
the whole file.
"""

from __future__ import annotations

import codecs
import io
import re
from typing import BinaryIO, TextIO

from notecheck.models import SURROGATE
from notecheck.readers.source import STREAM_ERRORS, ReadProblem, problem_from

SAMPLE_BYTES = 64 * 1024
BINARY_CONTROL_SHARE = 0.10
EXPORT_NUL_SHARE = 0.10  # NULs in an export's sample past this share: a binary file (UTF-16 without a BOM is half NULs)

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def detect(sample: bytes, label: str, complete: bool = True, export: bool = False) -> str:
    """Return the codec name for a file starting with ``sample``; raise if it is binary.

    ``complete`` says ``sample`` is the whole file (else a multi-byte character may be cut
    at its end). In an ``export`` a few NUL bytes are let through: the rows holding them are
    reported by ``has_undecodable``.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    nuls = sample.count(b"\x00")
    if nuls and (not export or nuls > EXPORT_NUL_SHARE * len(sample)):
        raise ReadProblem("binary", f"{label}: binary file (NUL bytes, no UTF-16 byte order mark)")
    if sample and len(_CONTROL.findall(sample)) / len(sample) > BINARY_CONTROL_SHARE:
        raise ReadProblem("binary", f"{label}: binary file (mostly non-text bytes)")
    if _decodes(sample, "utf-8", complete):
        return "utf-8"
    if _decodes(sample, "cp1252", complete):
        return "cp1252"
    return "latin-1"


def _decodes(sample: bytes, encoding: str, complete: bool) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
    except UnicodeDecodeError:
        return False
    return True


def decode_bytes(data: bytes, label: str) -> str:
    """Decode a whole file. Raises ReadProblem ``binary`` or ``encoding``."""
    encoding = detect(data, label)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise problem_from(exc, label) from None


def open_text(binary: BinaryIO, label: str) -> TextIO:
    """Wrap a byte stream as text (``newline=''``, as the csv module wants) without reading it all.

    Raises ReadProblem ``empty`` for an empty or blank file, ``binary`` for a binary one.
    """
    head, failure = _read_head(binary)
    if not head and failure is not None:
        raise problem_from(failure, label)
    encoding = detect(head, label, complete=failure is not None or len(head) < SAMPLE_BYTES, export=True)
    if len(head) < SAMPLE_BYTES and not head.decode(encoding, "replace").strip():
        if failure is not None:
            raise problem_from(failure, label)
        raise ReadProblem("empty", f"{label}: file is empty")
    stream = io.BufferedReader(_HeadThenRest(head, binary, failure))
    return io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape", newline="")


def _read_head(binary: BinaryIO) -> tuple[bytes, BaseException | None]:
    """Read up to SAMPLE_BYTES; a failure part-way is kept to be raised after the head."""
    parts: list[bytes] = []
    size = 0
    read = getattr(binary, "read1", binary.read)  # read1 keeps what came before a failure
    try:
        while size < SAMPLE_BYTES:
            chunk = read(SAMPLE_BYTES - size)
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    except STREAM_ERRORS as exc:
        return b"".join(parts), exc
    return b"".join(parts), None


def has_undecodable(value: str) -> bool:
    """True if ``value`` holds bytes that did not fit the file's encoding, or any other lone surrogate
    (a JSON ``"\\ud800"`` escape): no UTF-8 writer can write them; or a NUL, which no note holds."""
    return "\x00" in value or SURROGATE.search(value) is not None


class _HeadThenRest(io.RawIOBase):
    """A raw stream that gives back the already-read head, then the rest of the source."""

    def __init__(self, head: bytes, rest: BinaryIO, failure: BaseException | None):
        self._head = memoryview(head)
        self._read = getattr(rest, "read1", rest.read)
        self._failure = failure

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        if self._failure is not None:
            raise self._failure
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
