"""The worker pool (``check_many(jobs=N)``): a worker that dies costs only its own notes, never the run."""

from __future__ import annotations

import os
import signal

import pytest

from notecheck import Checker, NoteInput

NOTE = "Left obturator nerve neurolysis with 5 mL of 6% phenol under ultrasound. Consent signed. Note {i}."


def _notes(n: int) -> list[NoteInput]:
    return [NoteInput(id=f"n{i}", source=f"s{i}", text=NOTE.format(i=i), codes="64640-LT") for i in range(n)]


@pytest.fixture()
def killing_checker(tmp_path):
    """A Checker whose forked workers SIGKILL themselves on the note with id ``kill``; with ``once``
    they do so only the first time (a worker killed from outside, say by the OOM killer)."""
    checker = Checker()
    parent = os.getpid()
    real = checker._result
    flag = tmp_path / "killed-once"

    def result(note, doc):
        if note.id.startswith("kill") and os.getpid() != parent:
            if note.id == "kill" or not flag.exists():
                flag.touch()
                os.kill(os.getpid(), signal.SIGKILL)
        return real(note, doc)

    checker._result = result
    return checker


@pytest.mark.skipif(os.name != "posix", reason="forked workers inherit the patched checker")
@pytest.mark.parametrize("victim, died", [("kill", 2), ("kill-once", 0)])
def test_check_workers_dead_worker_fails_only_its_chunk(killing_checker, victim, died):
    notes = _notes(20)
    notes[7] = NoteInput(id=victim, source="victim", text=NOTE.format(i=7), codes="64640-LT")
    results = list(killing_checker.check_many(notes, batch_size=2, jobs=2))
    assert [r.source for r in results] == [n.source for n in notes]  # every note once, in order
    dead = [r for r in results if r.status == "error"]
    assert len(dead) == died
    assert all(r.error.kind == "worker_died" for r in dead)
    if died:
        assert {r.id for r in dead} == {"n6", victim}  # the victim's chunk only
