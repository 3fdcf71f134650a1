"""A batch scan: readers -> Checker -> renderer, with the run's accounting and --resume.

Every input note yields exactly one result (an error result when it cannot be read or checked).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from .check import Checker
from .errors import InputError, InternalError, NotecheckError, ResumeFileError
from .models import STATUS_RANK, NoteInput, NoteResult, ReadError, escape_surrogates, is_flagged
from .patients import Ledger
from .readers import kind_of, read_notes


@dataclass
class Summary:
    read: int = 0
    complete: int = 0
    incomplete: int = 0
    no_code: int = 0
    errors: int = 0
    flagged: int = 0
    skipped: int = 0  # already in the output when resuming
    by_status: dict = field(default_factory=dict)

    def add(self, result: NoteResult) -> None:
        self.count(result.status, is_flagged(result))

    def count(self, status: str, flagged: bool) -> None:
        self.read += 1
        if status == "complete":
            self.complete += 1
        elif status == "incomplete":
            self.incomplete += 1
        elif status == "no_code":
            self.no_code += 1
        else:
            self.errors += 1
        if flagged:
            self.flagged += 1

    @property
    def all_complete(self) -> bool:
        return self.read > 0 and self.complete == self.read and self.flagged == 0

    def line(self) -> str:
        text = (f"{self.read} {'note' if self.read == 1 else 'notes'} read: {self.complete} complete, "
                f"{self.incomplete} incomplete, {self.no_code} without a code, "
                f"{self.errors} {'error' if self.errors == 1 else 'errors'}, {self.flagged} flagged")
        return text + (f" ({self.skipped} already done, skipped)" if self.skipped else "")


RESUME_MAX_LINE = 32 * 1024 * 1024  # longest record line --resume reads; a longer line is not our output
_RECORD_START = b'{"id":"'  # how every record line this tool writes begins (orjson, id first)
_RECORD_KEYS = ("id", "source", "status", "rules_version")


def resume_records(path: Path) -> Iterator[dict]:
    """The whole records of a JSONL output, for priming the patient ledger on --resume (after resume_done
    has checked the file and cut a torn last line). One line at a time."""
    if not path.exists():
        return
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)


def resume_done(path: Path) -> set[str]:
    """Sources already written to a JSONL output of this tool, for ``--resume``.

    The whole file is checked before anything is changed: a file that is not notecheck's JSONL (not a
    regular file, a line that is not one of its records, a line longer than RESUME_MAX_LINE) raises
    ResumeFileError and is left as it was. Only then is a torn last line (a killed run) cut off, so that
    its note is checked again. Reads one line at a time: memory stays bounded whatever the file holds.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return set()
    except OSError as exc:
        raise ResumeFileError(f"cannot read the --resume file {path}: {exc.strerror}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise ResumeFileError(f"the --resume file {path} is not a regular file. Name a JSONL output of notecheck.")
    done: set[str] = set()
    torn_at = None
    with open(path, "rb") as fh:
        offset, number = 0, 0
        while line := fh.readline(RESUME_MAX_LINE + 1):
            number += 1
            if not line.endswith(b"\n"):
                if len(line) > RESUME_MAX_LINE:
                    raise _not_ours(path, number, "is too long")
                if not line.startswith(_RECORD_START[: len(line)]):
                    raise _not_ours(path, number, "is not a notecheck record")
                torn_at = offset  # the last line, cut short
                break
            source = _record_source(line)
            if source is None:
                raise _not_ours(path, number, "is not a notecheck record")
            done.add(source)
            offset += len(line)
    if torn_at is not None:
        with open(path, "rb+") as fh:
            fh.truncate(torn_at)
    return done


def _record_source(line: bytes) -> str | None:
    if not line.startswith(_RECORD_START):
        return None
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict) or any(k not in record for k in _RECORD_KEYS) or record["status"] not in STATUS_RANK:
        return None
    return record["source"] if isinstance(record["source"], str) else None


def _not_ours(path: Path, number: int, why: str) -> ResumeFileError:
    return ResumeFileError(f"the --resume file {path}: line {number} {why}, so it is not a JSONL output of notecheck; "
                           "it was left untouched. Name the output of an earlier `notecheck scan -f jsonl` run.")


def check_paths(paths: Sequence[str | Path], outputs: Sequence[Path] = ()) -> None:
    """Refuse, before anything is read or written: an input path that does not exist, an output that is one
    of the inputs, and an output inside a scanned folder that a scan of that folder would read as notes.
    Paths are compared after resolving symbolic links. Raises InputError."""
    inputs = [Path(p) for p in paths if str(p) != "-"]
    for path in inputs:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder. Check the path.")
    for out in outputs:
        real_out = Path(os.path.realpath(out))
        for path in inputs:
            real_in = Path(os.path.realpath(path))
            if real_out == real_in:
                raise InputError(f"{out} is also an input: writing the report there would destroy it. Write the output elsewhere.")
            if real_in.is_dir() and real_in in real_out.parents and kind_of(real_out) not in (None, "unsupported"):
                raise InputError(f"{out} is inside the scanned folder {path}, where a scan would read it as notes. "
                                 "Write the output outside that folder.")


def _skip_done(items: Iterable[NoteInput | ReadError], done: set[str], summary: Summary) -> Iterator:
    for item in items:
        if escape_surrogates(item.source) in done:  # the output holds sources as printable() wrote them
            summary.skipped += 1
            continue
        yield item


def scan(
    paths: Sequence[str | Path],
    renderer,
    *,
    checker: Checker,
    jobs: int = 1,
    done: set[str] | None = None,
    on_result: Callable[[NoteResult], None] | None = None,
    prior: Iterable[dict] = (),
    **read_options,
) -> Summary:
    """Check every note under ``paths`` and hand each result to ``renderer`` in input order. ``prior`` are the
    records of an earlier run (--resume): the checks across a patient's notes remember them first.

    With worker processes, a renderer that writes JSON records (``write_line``) and a profile without checks
    across notes (then the parent changes no result), the workers send each record as its JSON text
    (``Checker.check_lines``) instead of the NoteResult: the same bytes, with less work in this process."""
    summary = Summary()
    last = [str(paths[0]) if paths else "the input"]  # the source of the last note read, to name on failure
    items: Iterable = _tracked(read_notes(paths, **read_options), last)
    if done:
        items = _skip_done(items, done, summary)
    ledger = Ledger(checker.profile)
    for record in prior:
        ledger.prime(record)
    write_line = getattr(renderer, "write_line", None)
    try:
        if jobs > 1 and write_line is not None and on_result is None and not ledger.active:
            for line, status, flagged in checker.check_lines(items, renderer.include_text, jobs=jobs):
                write_line(line)
                summary.count(status, flagged)
        else:
            for result in checker.check_many(items, jobs=jobs, ledger=ledger):
                renderer.write(result)
                summary.add(result)
                if on_result is not None:
                    on_result(result)
        renderer.close()
    except (NotecheckError, OSError):
        raise
    except Exception as exc:  # a bug in notecheck: name the file and the exception type, never its message
        raise InternalError(f"notecheck failed ({type(exc).__name__}) while checking {last[0]} or the note after it. "
                            "Rerun with --debug for the traceback, and report it.") from exc
    return summary


def _tracked(items: Iterable[NoteInput | ReadError], last: list[str]) -> Iterator[NoteInput | ReadError]:
    for item in items:
        last[0] = item.source
        yield item


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
