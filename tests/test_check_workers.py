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
        if note.id.startswith("kill") and os.getpid() != parent and (note.id == "kill" or not flag.exists()):
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


@pytest.mark.skipif(os.name != "posix", reason="forked workers inherit the patched checker")
def test_check_workers_lines_are_the_records_and_survive_a_dead_worker(killing_checker):
    """``check_lines`` (workers send each record as JSON text): the very lines of ``check_many``'s results, in
    order, also when a worker dies and its chunk becomes error records."""
    from notecheck.models import is_flagged
    from notecheck.renderers.jsonl import json_line

    notes = _notes(20)
    notes[7] = NoteInput(id="kill", source="victim", text=NOTE.format(i=7), codes="64640-LT")
    want = [(json_line(r, False), r.status, is_flagged(r)) for r in killing_checker.check_many(notes, batch_size=2, jobs=2)]
    got = list(killing_checker.check_lines(notes, include_text=False, batch_size=2, jobs=2))
    assert got == want
    assert [s for _, s, _ in got].count("error") == 2


def test_check_workers_worker_sends_lines_not_results(checker, monkeypatch):
    """What a worker returns for the JSON writers is plain strings, which pickle as one object each."""
    from notecheck import check

    monkeypatch.setattr(check, "_WORKER", checker)
    lines = check._work(_notes(3), True)
    assert [type(x) for line in lines for x in line] == [str, str, bool] * 3
    assert all(line[0].startswith('{"id":"n') for line in lines)
    assert all(isinstance(r, check.NoteResult) for r in check._work(_notes(3)))


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="finds the workers through /proc")
def test_check_workers_scan_survives_a_worker_killed_from_outside(tmp_path):
    """`notecheck scan -j 2` whose worker gets SIGKILL (the OOM killer, say) still ends with every note."""
    import json
    import subprocess
    import sys
    import time
    from pathlib import Path

    notecheck = Path(sys.executable).parent / "notecheck"
    if not notecheck.exists():
        pytest.skip("the notecheck script is not installed next to this Python")
    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(300):
        (notes / f"n{i:04d}.txt").write_text(NOTE.format(i=i) + "\n")
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([notecheck, "scan", notes, "-o", out, "-j", "2", "-q", "--code", "64640-LT"])
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        if len(workers) >= 2 and out.exists() and out.stat().st_size > 0:
            killed = workers[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.01)
    assert proc.wait(timeout=300) in (0, 1)
    assert killed is not None
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["source"] for r in records) == sorted(str(p) for p in notes.iterdir())
    assert all(r["error"] is None for r in records)  # the lost chunks were checked again


def test_check_workers_a_pool_broken_between_results_loses_the_chunk_not_the_scan(monkeypatch):
    """A worker can die after the last result was read and before the next chunk is sent: the submit then
    raised BrokenProcessPool out of the scan (seen once in CI); it is a lost chunk like the others."""
    from concurrent.futures.process import BrokenProcessPool

    from notecheck import Checker
    from notecheck.check import _Pool

    pool = _Pool(Checker(), 1)
    try:
        def broken(*_args, **_kwargs):
            raise BrokenProcessPool("a child process terminated abruptly")
        monkeypatch.setattr(pool.executor, "submit", broken)
        future = pool.submit(_notes(1))
        with pytest.raises(BrokenProcessPool):
            future.result()
    finally:
        pool.close(wait=False)
