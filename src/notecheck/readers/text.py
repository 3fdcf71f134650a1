"""One note per file: plain text, Markdown and RTF, and walking a folder of such files."""

from __future__ import annotations

import errno
import os
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from notecheck.models import NoteInput, ReadError
from notecheck.readers.decode import decode_bytes
from notecheck.readers.records import ReadOptions
from notecheck.readers.rtf import rtf_to_text
from notecheck.readers.source import STREAM_ERRORS, ReadProblem, describe_mode, open_binary, problem_from

TEXT_SUFFIXES = (".txt", ".text", ".md", ".rtf")


def read_text_file(path: Path, label: str, note_id: str, options: ReadOptions) -> NoteInput | ReadError:
    """Read a whole file as one note. Never reads more than ``max_note_bytes + 1`` bytes."""
    try:
        with open_binary(path) as handle:
            return read_text_stream(handle, label, note_id, options, rtf=_is_rtf(path))
    except ReadProblem as problem:
        return ReadError(id=note_id, source=label, kind=problem.kind, message=problem.message)
    except STREAM_ERRORS as exc:
        problem = problem_from(exc, label)
        return ReadError(id=note_id, source=label, kind=problem.kind, message=problem.message)


def read_text_stream(handle: BinaryIO, label: str, note_id: str, options: ReadOptions, rtf: bool = False) -> NoteInput:
    """A byte stream as one note. Raises ReadProblem (``too_large``, ``empty``, ``binary``, ``encoding``...)."""
    try:
        data = handle.read(options.max_note_bytes + 1)
    except STREAM_ERRORS as exc:
        raise problem_from(exc, label) from None
    if len(data) > options.max_note_bytes:
        raise ReadProblem("too_large", f"{label}: file is over the {options.max_note_bytes}-byte limit")
    if not data:
        raise ReadProblem("empty", f"{label}: file is empty")
    text = decode_bytes(data, label)
    if rtf:
        text = rtf_to_text(text)
    if not text.strip():
        raise ReadProblem("empty", f"{label}: file has no text")
    return NoteInput(id=note_id, source=label, text=text, default_codes=options.default_code,
                     columns=tuple((name, None) for name in options.keep_cols))


def _is_rtf(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".rtf", ".rtf.gz"))


MAX_DEPTH = 100  # folders nested deeper than this are reported, not entered


@dataclass(frozen=True, slots=True)
class Found:
    """A file met in a walk. ``special`` says what it is when it is not a regular file (a named pipe...)."""

    path: Path
    relative: str
    special: str | None = None


def walk(root: Path, skipped: Counter | None = None) -> Iterator[Found | ReadError]:
    """Yield every file under ``root`` (with its path relative to root), in sorted order.

    Iterative, never recursive. Hidden files and folders (name starting with ``.``) are left out and
    counted in ``skipped["hidden"]``. Symbolic links are followed, but a folder is never entered twice
    and a file never yielded twice; a link back to a folder being walked gives one ``symlink_loop``
    error, and a folder more than ``MAX_DEPTH`` levels down one ``too_deep`` error.
    """
    seen_files: set[tuple[int, int]] = set()
    seen_dirs: set[tuple[int, int]] = set()
    skipped = skipped if skipped is not None else Counter()
    # one frame per open folder: (its entries still to visit, its prefix, the inodes of it and its parents)
    stack: list[tuple[Iterator, str, frozenset]] = []
    opened = _open_dir(root, "", frozenset(), seen_dirs)
    if isinstance(opened, ReadError):
        yield opened
        return
    stack.append(opened)
    while stack:
        entries, prefix, ancestors = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            skipped["hidden"] += 1
            continue
        path = Path(entry.path)
        relative = prefix + entry.name
        try:
            status = os.stat(entry.path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                yield _loop(relative, path, "symbolic link loop")
            else:
                yield Found(path, relative)  # a dangling link: reading it reports not_found
            continue
        inode = (status.st_dev, status.st_ino)
        if stat.S_ISDIR(status.st_mode):
            if inode in ancestors:
                yield _loop(relative, path, "link back to a folder being walked")
            elif len(stack) >= MAX_DEPTH:
                yield ReadError(id=relative, source=str(path), kind="too_deep",
                                message=f"{path}: folder is more than {MAX_DEPTH} levels down; not read")
            elif inode not in seen_dirs:
                opened = _open_dir(path, relative + "/", ancestors, seen_dirs)
                if isinstance(opened, ReadError):
                    yield opened
                else:
                    stack.append(opened)
        elif inode not in seen_files:
            seen_files.add(inode)
            yield Found(path, relative, None if stat.S_ISREG(status.st_mode) else describe_mode(status.st_mode))


def _open_dir(folder: Path, prefix: str, ancestors: frozenset, seen_dirs: set):
    label = str(folder)
    try:
        info = folder.stat()
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        return problem_from(exc, label).to_error(label)
    key = (info.st_dev, info.st_ino)
    seen_dirs.add(key)
    return iter(entries), prefix, ancestors | {key}


def _loop(relative: str, path: Path, what: str) -> ReadError:
    return ReadError(id=relative, source=str(path), kind="symlink_loop", message=f"{path}: {what}")
