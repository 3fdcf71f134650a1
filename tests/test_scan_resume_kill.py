"""A scan killed with SIGKILL and resumed gives exactly the records of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

NOTECHECK = Path(sys.executable).parent / "notecheck"
NOTE = ("PROCEDURE: {side} obturator nerve phenol neurolysis. Indication: spasticity number {i}. "
        "Consent signed. Under ultrasound, after negative aspiration, {n} mL of 6% phenol was injected. "
        "Tolerated well. Follow up in 2 weeks.\n")


@pytest.mark.skipif(not NOTECHECK.exists(), reason="the notecheck script is not installed next to this Python")
@pytest.mark.parametrize("kill_after_lines", [1, 40])
def test_scan_resume_kill_equals_uninterrupted_run(tmp_path, kill_after_lines):
    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(400):
        (notes / f"n{i:04d}.txt").write_text(NOTE.format(side="left" if i % 2 else "right", i=i, n=1 + i % 9))
    whole = tmp_path / "whole.jsonl"
    subprocess.run([NOTECHECK, "scan", notes, "-f", "jsonl", "-o", whole, "-j", "1", "-q"], check=False, timeout=600)

    out = tmp_path / "killed.jsonl"
    proc = subprocess.Popen([NOTECHECK, "scan", notes, "-f", "jsonl", "-o", out, "-j", "1", "-q"])
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= kill_after_lines:
            break
        time.sleep(0.01)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_lines = out.read_bytes().count(b"\n")
    assert killed_lines < 400  # the run really was cut short

    subprocess.run([NOTECHECK, "scan", notes, "--resume", out, "-j", "1", "-q"], check=False, timeout=600)
    assert out.read_bytes() == whole.read_bytes()
