"""A batch scan: readers -> Checker -> renderer, with the run's accounting and --resume.

Every input note yields exactly one result (an error result when it cannot be read or checked).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from .check import Checker
from .models import NoteInput, NoteResult, ReadError
from .patients import Ledger
from .readers import read_notes


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
        self.read += 1
        if result.status == "complete":
            self.complete += 1
        elif result.status == "incomplete":
            self.incomplete += 1
        elif result.status == "no_code":
            self.no_code += 1
        else:
            self.errors += 1
        if any(f.kind != "policy_note" for c in result.codes for f in c.flags):
            self.flagged += 1  # a policy note (a payer's coverage stance) is no failure

    @property
    def all_complete(self) -> bool:
        return self.read > 0 and self.complete == self.read and self.flagged == 0

    def line(self) -> str:
        text = (f"{self.read} notes read: {self.complete} complete, {self.incomplete} incomplete, "
                f"{self.no_code} without a code, {self.errors} errors, {self.flagged} flagged")
        return text + (f" ({self.skipped} already done, skipped)" if self.skipped else "")


def resume_records(path: Path) -> Iterator[dict]:
    """The whole records of a JSONL output, for priming the patient ledger on --resume (after resume_done
    has cut a torn last line)."""
    if not path.exists():
        return
    with open(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)


def resume_done(path: Path) -> set[str]:
    """Sources already written to a JSONL output. A torn last line (a killed run) is cut off first."""
    if not path.exists():
        return set()
    with open(path, "rb+") as fh:
        data = fh.read()
        end = data.rfind(b"\n") + 1
        if end != len(data):
            fh.truncate(end)
    done = set()
    for line in data[:end].splitlines():
        if line.strip():
            done.add(orjson.loads(line)["source"])
    return done


def _skip_done(items: Iterable[NoteInput | ReadError], done: set[str], summary: Summary) -> Iterator:
    for item in items:
        if item.source in done:
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
    records of an earlier run (--resume): the checks across a patient's notes remember them first."""
    summary = Summary()
    items: Iterable = read_notes(paths, **read_options)
    if done:
        items = _skip_done(items, done, summary)
    ledger = Ledger(checker.profile)
    for record in prior:
        ledger.prime(record)
    for result in checker.check_many(items, jobs=jobs, ledger=ledger):
        renderer.write(result)
        summary.add(result)
        if on_result is not None:
            on_result(result)
    renderer.close()
    return summary


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
