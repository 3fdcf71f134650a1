"""Issue 19's table: each input that once ended a whole scan (a traceback, or a hang) now costs at most
its own record, in every output format. Runs the library scan (readers -> Checker -> renderer) with the
shared checker; the command-line cases run ``notecheck scan`` itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from notecheck.cli import app
from notecheck.readers import read_notes
from notecheck.renderers import RENDERERS
from notecheck.scan import scan
from notecheck.schema import record_schema

NOTE = "Left obturator nerve phenol neurolysis. Under ultrasound 5 mL of 6% phenol was injected. Consent signed."
FORMATS = sorted(RENDERERS)
NOTECHECK = Path(sys.executable).parent / "notecheck"


def run(checker, tmp_path: Path, paths, fmt: str = "jsonl", **options) -> tuple:
    out = tmp_path / f"out.{fmt}"
    with open(out, "w", encoding="utf-8", newline="") as stream:  # strict UTF-8, as the CLI opens -o
        summary = scan([str(p) for p in paths], RENDERERS[fmt](stream, include_text=True), checker=checker, jobs=1, **options)
    return summary, out.read_text(encoding="utf-8")


def jsonl(tmp_path: Path, *objects, raw: str = "") -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(o) + "\n" for o in objects) + raw, encoding="utf-8")
    return path


# ------------------------------------------------------------------ lone surrogates, in every writer

SURROGATE_CASES = {
    # case: (objects, expected per record: error kind, or "ok"; the id of the second record)
    "text": ([{"id": "a", "text": NOTE}, {"id": "b", "text": NOTE + " \ud800"}], ["ok", "encoding"], "b"),
    # an id that is not valid text may be note text: the row is an encoding error under its file and row
    "id": ([{"id": "a", "text": NOTE}, {"id": "b\udcff\ud800", "text": NOTE}], ["ok", "encoding"], "in.jsonl:2"),
    "code": ([{"id": "a", "text": NOTE}, {"id": "b", "text": NOTE, "cpt": "64640\udfff"}], ["ok", "encoding"], "b"),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", sorted(SURROGATE_CASES))
def test_scan_bad_input_lone_surrogates_are_written_escaped(checker, tmp_path, case, fmt):
    objects, expected, second_id = SURROGATE_CASES[case]
    path = jsonl(tmp_path, *objects)
    summary, text = run(checker, tmp_path, [path], fmt)
    assert summary.read == 2
    assert summary.errors == expected.count("encoding")
    assert (json.dumps(second_id)[1:-1] if fmt.startswith("json") else second_id) in text or fmt == "table"
    if fmt == "jsonl":
        records = [json.loads(line) for line in text.splitlines()]
        assert [r["error"]["kind"] if r["error"] else "ok" for r in records] == expected
        assert records[1]["id"].endswith(second_id)
        if case == "id":
            assert records[1]["id"].endswith("in.jsonl:2") and "column 'id'" in records[1]["error"]["message"]
        for record in records:  # the published schema knows warnings and these error kinds
            jsonschema.validate(record, record_schema())


@pytest.mark.parametrize("fmt", FORMATS)
def test_scan_bad_input_file_name_not_utf8_in_a_folder(checker, tmp_path, fmt):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text(NOTE)
    fd = os.open(os.fsencode(folder) + b"/bad\xff.txt", os.O_WRONLY | os.O_CREAT)
    os.write(fd, NOTE.encode())
    os.close(fd)
    summary, text = run(checker, tmp_path, [folder], fmt)
    assert (summary.read, summary.errors) == (2, 0)
    assert ("bad\\\\xff.txt" if fmt.startswith("json") else "bad\\xff.txt") in text
    if fmt == "jsonl":
        bad = json.loads(text.splitlines()[1])
        assert bad["id"] == "bad\\xff.txt" and bad["source"].endswith("/notes/bad\\xff.txt")
        [warning] = bad["warnings"]
        assert warning["kind"] == "escaped" and warning["message"].startswith("id, source written with backslash escapes")


# ------------------------------------------------------------------ the other rows of the table


def _nested(tmp_path):
    return [jsonl(tmp_path, raw='{"id": "deep", "text": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
                  + json.dumps({"id": "after", "text": NOTE}) + "\n")]


@pytest.fixture
def deep_folders():
    """Removes the deep folders a test made, bottom up (shutil.rmtree recurses, on Python 3.11)."""
    made: list[str] = []
    yield made
    for deepest in made:
        for name in os.listdir(deepest):
            os.remove(os.path.join(deepest, name))
        while deepest.endswith("/d"):
            os.rmdir(deepest)
            deepest = deepest[:-2]


def _deep_folder(tmp_path, made):
    root = tmp_path / "deep"
    (root / "a.txt").parent.mkdir()
    (root / "a.txt").write_text(NOTE)
    deepest = str(root)
    for _ in range(1001):  # os.makedirs itself recurses
        deepest += "/d"
        os.mkdir(deepest)
    made.append(deepest)
    (Path(deepest) / "z.txt").write_text(NOTE)
    return [root]


def _fifo(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.txt").write_text(NOTE)
    os.mkfifo(folder / "pipe.txt")
    (folder / "z.txt").write_text(NOTE)
    return [folder]


def _rtf(body: str):
    def build(tmp_path):
        path = tmp_path / "n.rtf"
        path.write_text(r"{\rtf1\ansi " + body + r"\par " + NOTE + r"\par}", encoding="latin-1")
        return [path]
    return build


BIG = {"max_note_bytes": 10_000_000}
TABLE = {
    # row: (build inputs, options, expected per record: error kind or "ok")
    "jsonl-nested-100000-deep": (_nested, {}, ["too_deep", "ok"]),
    "folder-1001-levels-deep": (_deep_folder, {}, ["ok", "too_deep"]),
    "fifo-in-a-folder": (_fifo, {}, ["ok", "not_a_file", "ok"]),
    "rtf-u-escape-out-of-range": (_rtf(r"\u99999999? \u1114112?"), {}, ["ok"]),
    "rtf-u-escape-negative": (_rtf(r"\u-5? \u-70000?"), {}, ["ok"]),
    "rtf-u-escape-surrogate": (_rtf(r"\u55296? \u-8704?"), {}, ["ok"]),
    "rtf-bin-without-length": (_rtf(r"{\pict\bin }"), {}, ["ok"]),
    "rtf-font-table-200000": (_rtf("{\\fonttbl" + "".join(f"{{\\f{i}\\fnil Font{i};}}" for i in range(200_000)) + "}"), BIG, ["ok"]),
    "rtf-hyperlinks-40000": (_rtf(r'{\field{\*\fldinst HYPERLINK "http://x.example"}{\fldrslt link}}' * 40_000), BIG, ["ok"]),
}


@pytest.mark.parametrize("row", sorted(TABLE))
def test_scan_bad_input_table(checker, tmp_path, deep_folders, row):
    build, options, expected = TABLE[row]
    paths = build(tmp_path, deep_folders) if build is _deep_folder else build(tmp_path)
    _, text = run(checker, tmp_path, paths, **options)
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["error"]["kind"] if r["error"] else "ok" for r in records] == expected


def test_scan_bad_input_note_longer_than_spacy_max_length(checker, tmp_path):
    """--max-note-bytes above spaCy's 1,000,000-character max_length: the note is checked (spaCy's E088 ended the batch)."""
    path = tmp_path / "long.txt"
    path.write_text(NOTE + " " * 1_000_000 + NOTE)
    _, text = run(checker, tmp_path, [path], max_note_bytes=3_000_000)
    [record] = [json.loads(line) for line in text.splitlines()]
    assert record["error"] is None and record["status"] in ("complete", "incomplete")


def test_scan_bad_input_the_rtf_stripper_keeps_the_text(tmp_path):
    path = tmp_path / "n.rtf"
    path.write_text(r"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}{\*\generator X;}\uc1 LEFT \u8212? knee\tab "
                    r"caf\'e9 {\field{\*\fldinst HYPERLINK \"u\"}{\fldrslt link}} \u-10179?\u-8704?\par}")
    [note] = read_notes([path])
    assert note.text == "LEFT \u2014 knee\tcaf\u00e9 link \U0001f600\n"


# ------------------------------------------------------------------ named on the command line


def test_scan_bad_input_fifo_named_on_the_command_line_is_a_usage_error(tmp_path):
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    result = CliRunner().invoke(app, ["scan", "-q", "-j", "1", str(fifo)])
    assert result.exit_code == 2
    assert "named pipe" in result.output and str(fifo) in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


@pytest.mark.skipif(not NOTECHECK.exists(), reason="the notecheck script is not installed next to this Python")
def test_scan_bad_input_sigterm_stops_workers_without_tracebacks(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(300):
        (notes / f"n{i:04d}.txt").write_text(f"{NOTE} Note {i}.\n")
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([NOTECHECK, "scan", notes, "-f", "jsonl", "-o", out, "-j", "2", "-q"],
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= 64:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    time.sleep(1)  # let the workers go
    assert b"Traceback" not in stderr and b"BrokenPipeError" not in stderr, stderr.decode(errors="replace")[-2000:]
    subprocess.run([NOTECHECK, "scan", notes, "--resume", out, "-j", "2", "-q"], check=False, timeout=600)
    sources = [json.loads(line)["source"] for line in out.read_text().splitlines()]
    assert sorted(sources) == sorted(str(p) for p in notes.iterdir())


def test_scan_bad_input_library_text_with_lone_surrogates_is_checked_and_writable(checker):
    import orjson

    from notecheck.models import to_record

    result = checker.check(NOTE + " \ud800 left \udcff", codes="64640-LT")
    assert result.status in ("complete", "incomplete")
    record = to_record(result)
    orjson.dumps(record)  # raised TypeError (str is not valid UTF-8) on the evidence text
    assert [w["kind"] for w in record["warnings"]] == ["invalid_unicode"]
