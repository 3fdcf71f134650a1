"""`notecheck scan` as a person runs it: in a pseudo-terminal (pexpect), 80 columns wide.

The progress bar, the table and the summary line only appear on a terminal, so CliRunner cannot see them;
these tests run the real command in a pty and read everything it draws.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pexpect
import pytest

from notecheck.models import ELEMENTS

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "corpora" / "demo"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")
SEPARATORS = "_-./,"


def run_in_terminal(args: list[str], cwd: Path = ROOT, timeout: int = 300, columns: int = 80) -> tuple[int, str, str]:
    """Run ``python -m notecheck ARGS`` in a pty; return (exit code, raw output, output without escapes)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR", "TERM")}
    env["TERM"] = "xterm-256color"
    child = pexpect.spawn(sys.executable, ["-m", "notecheck", *args], cwd=str(cwd), env=env,
                          dimensions=(40, columns), encoding="utf-8", codec_errors="replace", timeout=timeout)
    raw = child.read()
    child.close()
    assert child.exitstatus is not None, f"killed by signal {child.signalstatus}"
    return child.exitstatus, raw, ANSI.sub("", raw)


def table_rows(plain: str) -> list[list[str]]:
    """The table's rows, each a list of its cells with the cell's lines joined by newlines."""
    rows: list[list[list[str]]] = []
    for line in plain.splitlines():
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if cells[0] == "note":
            continue
        if cells[1] or not rows:  # the status cell opens a row
            rows.append([[c] for c in cells])
        else:
            for parts, c in zip(rows[-1], cells):
                parts.append(c)
    return [["\n".join(p for p in parts if p) for parts in row] for row in rows]


def assert_no_mid_word_breaks(rows: list[list[str]], ids: set[str]) -> None:
    for note, _status, _score, _codes, detail in rows:
        lines = note.split("\n")
        assert "".join(lines) in ids, f"note cell {lines!r} is no note id"
        for piece in lines[:-1]:
            assert piece[-1] in SEPARATORS, f"id broken mid-word: {lines!r}"
        words = set(detail.replace("\n", " ").replace(",", " ").replace(";", " ").split())
        for element in ELEMENTS:
            if element.split("_")[0] + "_" in detail.replace("\n", " ") and "_" in element:
                assert element in words, f"{element} broken across lines in {detail!r}"


def test_cli_terminal_scan_demo_draws_table_progress_and_summary():
    code, raw, plain = run_in_terminal(["scan", "corpora/demo"])
    names = sorted(p.name for p in DEMO.iterdir() if p.is_file())
    assert "Traceback" not in plain and "Error" not in plain, plain[-3000:]
    assert code == 1, plain[-2000:]  # the demo has incomplete notes: findings
    assert "notes/s" in plain  # the progress bar was drawn
    rows = table_rows(plain)
    assert len(rows) == len(names), plain[-3000:]
    assert_no_mid_word_breaks(rows, set(names))
    assert all(len(line) <= 80 for line in plain.splitlines() if line.startswith(("│", "┃", "┏", "└"))), "wider than the terminal"
    assert re.search(rf"^{len(names)} notes read: \d+ complete, \d+ incomplete", plain, re.M), plain[-1000:]
    assert len(re.findall(r"\d+ complete", plain)) == 1, plain[-1000:]  # one count line, not the table's as well
    assert "\x1b[" in raw  # coloured


def test_cli_terminal_scan_quiet_draws_no_progress_or_summary():
    code, _raw, plain = run_in_terminal(["scan", "corpora/demo", "-q"])
    assert code == 1 and "Traceback" not in plain
    assert "notes/s" not in plain and "notes read" not in plain
    assert len(table_rows(plain)) == len(list(DEMO.iterdir()))  # the report itself still comes


def test_cli_terminal_table_takes_markup_in_ids_as_text(tmp_path):
    """An id holding rich markup is shown as written; `[/bold]` once crashed the table."""
    (tmp_path / "notes.jsonl").write_text(
        '{"id": "[/bold]x[red]", "text": "Left obturator nerve phenol neurolysis.", "codes": "64640-LT"}\n'
        '{"id": "[link=http://e.x]y", "text": "Left obturator nerve phenol neurolysis.", "codes": "64640-LT"}\n',
        encoding="utf-8")
    code, _raw, plain = run_in_terminal(["scan", "notes.jsonl", "-j", "1"], cwd=tmp_path)
    assert code == 1 and "Traceback" not in plain and "MarkupError" not in plain, plain
    notes = {row[0].replace("\n", "") for row in table_rows(plain)}
    assert notes == {"[/bold]x[red]", "[link=http://e.x]y"}


def _bench_notes():
    spec = importlib.util.spec_from_file_location("bench_notes", ROOT / "bench" / "notes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def many_notes(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("many") / "notes.jsonl"
    _bench_notes().write_jsonl(path, 3000, seed=15)
    return path


def test_cli_terminal_scan_thousands_of_notes_shows_speed(many_notes, tmp_path):
    code, _raw, plain = run_in_terminal(["scan", str(many_notes), "-j", "2"], cwd=tmp_path, timeout=900)
    assert "Traceback" not in plain, plain[-3000:]
    assert code == 1, plain[-2000:]
    assert re.search(r"\b[1-9]\d* notes/s", plain), "no measured notes/s in the progress bar"
    assert re.search(r"^3000 notes read: ", plain, re.M), plain[-1000:]
    ids = {json.loads(line)["id"] for line in many_notes.read_text(encoding="utf-8").splitlines()}
    rows = table_rows(plain)
    assert len(rows) == 3000
    assert_no_mid_word_breaks(rows, ids)


def test_cli_terminal_rate_is_notes_since_the_start():
    """rich's own speed, over its last few updates, showed 46922 notes/s when a batch of results came at once."""
    from notecheck.progress import rate

    assert rate(100, 2.0) == "50 notes/s"
    assert rate(28, 0.1) == "- notes/s" and rate(0, None) == "- notes/s"
