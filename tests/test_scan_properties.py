"""Property tests: generated exports (JSONL, CSV, folders of text files) with arbitrary ids, codes and text
(all of Unicode, lone surrogates and NULs included, empty and long fields, broken rows). Whatever the
input, a scan ends normally, writes one record per note or row, gives the same records with two worker
processes, and prints nothing to stderr (no traceback, no note text). The example count is bounded so
that CI stays quick."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notecheck.renderers import RENDERERS
from notecheck.scan import scan

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])
NOTE = "Left obturator nerve phenol neurolysis under ultrasound, 5 mL of 6% phenol. "

anything = st.text(st.characters(blacklist_categories=()), max_size=40)  # surrogates and NULs too
long_text = st.builds(lambda s, n: s * n, anything, st.integers(0, 3000))
note_text = st.one_of(anything, long_text, st.builds(lambda s: NOTE + s, anything))
code = st.one_of(st.none(), anything, st.sampled_from(["64640-LT", "64640 x2", "64642-RT, 64643-LT", "9999"]))
row = st.fixed_dictionaries({"id": st.one_of(st.none(), anything), "text": note_text, "cpt": code})


def check_scan(checker, paths, capfd, **options) -> list[dict]:
    """Scan with one and with two worker processes; both must give the same records, quietly."""
    outputs = []
    for jobs in (1, 2):
        stream = io.StringIO()
        summary = scan([str(p) for p in paths], RENDERERS["jsonl"](stream), checker=checker, jobs=jobs, **options)
        text = stream.getvalue()
        text.encode("utf-8")  # strictly writable
        records = [json.loads(line) for line in text.splitlines()]
        assert summary.read == len(records)
        outputs.append(records)
    assert outputs[0] == outputs[1]
    captured = capfd.readouterr()
    assert captured.err == "", captured.err[-2000:]
    return outputs[0]


@SETTINGS
@given(rows=st.lists(st.one_of(row, st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)), max_size=8))
def test_scan_properties_jsonl(checker, capfd, rows):
    lines = [json.dumps(r) if isinstance(r, dict) else r for r in rows]  # strings are broken rows
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.jsonl"
        path.write_text("".join(line + "\n" for line in lines), encoding="ascii")
        records = check_scan(checker, [path], capfd, max_note_bytes=20_000)
    assert len(records) == max(1, sum(1 for line in lines if line.strip()))


csv_field = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\r\t,\""), max_size=40)
csv_row = st.tuples(csv_field, st.one_of(csv_field, st.builds(lambda s: NOTE + s, csv_field)), csv_field)
broken_line = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"'), min_size=1, max_size=30)


@SETTINGS
@given(rows=st.lists(st.one_of(csv_row, broken_line), max_size=8), quoting=st.sampled_from([csv.QUOTE_ALL, csv.QUOTE_MINIMAL]))
def test_scan_properties_csv(checker, capfd, rows, quoting):
    out = io.StringIO()
    writer = csv.writer(out, quoting=quoting)  # lineterminator \r\n: a field holding \r or \n is quoted
    writer.writerow(["id", "text", "cpt"])
    for r in rows:
        if isinstance(r, tuple):
            writer.writerow(r)
        else:
            out.write(r + "\r\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.csv"
        path.write_text(out.getvalue(), encoding="utf-8", newline="")
        records = check_scan(checker, [path], capfd, max_note_bytes=20_000)
    assert len(records) == max(1, len(rows))


@SETTINGS
@given(files=st.dictionaries(st.from_regex(r"[a-z0-9_]{1,12}\.(txt|md|rtf|text)", fullmatch=True),
                             st.one_of(st.binary(max_size=300), anything.map(lambda s: s.encode("utf-8", "surrogatepass")),
                                       note_text.map(lambda s: s.encode("utf-8", "surrogatepass"))),
                             max_size=6))
def test_scan_properties_folder(checker, capfd, files):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "notes"
        folder.mkdir()
        for name, content in files.items():
            (folder / name).write_bytes(content)
        records = check_scan(checker, [folder], capfd, max_note_bytes=20_000)
    assert len(records) == max(1, len(files))
    assert sorted(r["id"] for r in records) == (sorted(files) if files else [str(folder)])
