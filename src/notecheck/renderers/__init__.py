"""One renderer per output format, chosen from ``RENDERERS``, and ``open_output`` for where they write.

A renderer is built with the output stream and ``include_text`` (False for --no-text), takes
results one at a time with ``write`` and finishes with ``close``. JSONL streams; the others
need the whole run (sorting, a summary) and keep only what they print.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TextIO

from ..errors import OutputError


class _Renderers(Mapping):
    """Format name -> renderer class, each module imported when its format is first used (the table needs
    rich, the HTML report jinja2: a JSONL scan imports neither)."""

    _WHERE = {"jsonl": ("jsonl", "JsonLinesRenderer"), "json": ("jsonl", "JsonRenderer"),
              "csv": ("csv_queue", "CsvRenderer"), "table": ("table", "TableRenderer"), "html": ("html", "HtmlRenderer")}

    def __getitem__(self, name: str):
        module, cls = self._WHERE[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), cls)

    def __iter__(self):
        return iter(self._WHERE)

    def __len__(self) -> int:
        return len(self._WHERE)


RENDERERS = _Renderers()


def _cannot_write(path: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {exc.strerror or type(exc).__name__}. Check that its folder exists and is writable.")


@contextlib.contextmanager
def open_output(path: Path | None, mode: str = "atomic") -> Iterator[TextIO]:
    """Where a report goes: stdout, or ``path`` in one of three modes. ``append`` (``--resume``) and
    ``stream`` (JSONL, so that a killed run can be resumed) write as results come, one write per record;
    ``atomic`` writes a hidden temporary file next to ``path`` and renames it over ``path`` only when the
    run ends well, so a failed or interrupted run leaves ``path`` as it was. Raises OutputError."""
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    if mode in ("append", "stream"):
        try:
            fh = open(path, "a" if mode == "append" else "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise _cannot_write(path, exc) from None
        with fh:
            yield fh
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent if str(path.parent) else ".")
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    fh = open(fd, "w", encoding="utf-8", newline="")
    try:
        yield fh
    except BaseException:
        fh.close()
        _unlink(tmp)
        raise
    try:
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except OSError as exc:
        fh.close()
        _unlink(tmp)
        raise _cannot_write(path, exc) from None


def _mode_for(path: Path) -> int:
    """The mode the file would have been created with: an existing file's, else 0o666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _unlink(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


__all__ = ["RENDERERS", "open_output"]
