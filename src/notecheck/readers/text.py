"""One note per file: plain text, Markdown and RTF, and walking a folder of such files."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Iterator

from striprtf.striprtf import rtf_to_text

from notecheck.models import NoteInput, ReadError
from notecheck.readers.decode import decode_bytes
from notecheck.readers.records import ReadOptions
from notecheck.readers.source import STREAM_ERRORS, ReadProblem, open_binary, problem_from

TEXT_SUFFIXES = (".txt", ".text", ".md", ".rtf")


def read_text_file(path: Path, label: str, note_id: str, options: ReadOptions) -> NoteInput | ReadError:
    """Read a whole file as one note. Never reads more than ``max_note_bytes + 1`` bytes."""
    try:
        return _note(path, label, note_id, options)
    except ReadProblem as problem:
        return ReadError(id=note_id, source=label, kind=problem.kind, message=problem.message)


def _note(path: Path, label: str, note_id: str, options: ReadOptions) -> NoteInput:
    try:
        with open_binary(path) as handle:
            data = handle.read(options.max_note_bytes + 1)
    except STREAM_ERRORS as exc:
        raise problem_from(exc, label) from None
    if len(data) > options.max_note_bytes:
        raise ReadProblem("too_large", f"{label}: file is over the {options.max_note_bytes}-byte limit")
    if not data:
        raise ReadProblem("empty", f"{label}: file is empty")
    text = decode_bytes(data, label)
    if _is_rtf(path):
        try:
            text = rtf_to_text(text)
        except UnicodeError:
            raise ReadProblem("encoding", f"{label}: RTF text cannot be decoded") from None
    if not text.strip():
        raise ReadProblem("empty", f"{label}: file has no text")
    return NoteInput(id=note_id, source=label, text=text, default_codes=options.default_code,
                     columns=tuple((name, None) for name in options.keep_cols))


def _is_rtf(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(".rtf") or name.endswith(".rtf.gz")


def walk(root: Path) -> Iterator[tuple[Path, str] | ReadError]:
    """Yield ``(path, path relative to root)`` for every file under ``root``, in sorted order.

    Hidden files and folders (name starting with ``.``) are left out. Symbolic links are
    followed, but a folder is never entered twice and a file never yielded twice; a link
    back to a folder being walked gives one ``symlink_loop`` error.
    """
    seen_files: set[tuple[int, int]] = set()
    seen_dirs: set[tuple[int, int]] = set()
    yield from _walk_dir(root, "", (), seen_dirs, seen_files)


def _walk_dir(folder: Path, prefix: str, ancestors: tuple, seen_dirs: set, seen_files: set):
    label = str(folder)
    try:
        info = folder.stat()
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:
        yield problem_from(exc, label).to_error(label)
        return
    key = (info.st_dev, info.st_ino)
    seen_dirs.add(key)
    ancestors = ancestors + (key,)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = folder / entry.name
        relative = prefix + entry.name
        try:
            status = os.stat(entry.path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                yield _loop(relative, path, "symbolic link loop")
            else:
                yield path, relative  # a dangling link: reading it reports not_found
            continue
        inode = (status.st_dev, status.st_ino)
        if entry.is_dir():
            if inode in ancestors:
                yield _loop(relative, path, "link back to a folder being walked")
            elif inode not in seen_dirs:
                yield from _walk_dir(path, relative + "/", ancestors, seen_dirs, seen_files)
        elif inode not in seen_files:
            seen_files.add(inode)
            yield path, relative


def _loop(relative: str, path: Path, what: str) -> ReadError:
    return ReadError(id=relative, source=str(path), kind="symlink_loop", message=f"{path}: {what}")
