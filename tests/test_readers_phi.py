"""No note text (or other cell content) ever reaches an error message, warning or log line."""

from __future__ import annotations

import gzip
import json
import logging
import warnings

from notecheck.models import ReadError
from notecheck.readers import read_notes

CANARY = "ZEBRA7731"
NOTE = f"Patient {CANARY} reports burning pain after the {CANARY} procedure"


def build_inputs(tmp_path):
    """Files that each give at least one ReadError while holding the canary."""
    files = {
        "too_large.txt": NOTE.encode(),
        "too_large.csv": f"id,text\n1,{NOTE}\n".encode(),
        "binary.txt": CANARY.encode() + b"\x00",  # short: under the size limit
        "encoding.txt": b"\xef\xbb\xbf" + CANARY.encode() + b"\xff",
        "encoding.csv": f"id,text\n1,{NOTE}".encode() + b"\x81\n",
        "malformed.csv": f'id,text\n1,"{NOTE}"x\n2,{NOTE},{CANARY}\n'.encode(),
        "malformed.jsonl": f'{{"text": "{NOTE}"}}\n{{"text": "{NOTE}\n[{json.dumps(NOTE)}]\n'.encode(),
        "headerless.csv": f"1001,{NOTE},64633\n1002,{NOTE},64634\n".encode(),
        "missing.jsonl": json.dumps({"id": 1, "body_of": NOTE}).encode() + b"\n",
        "empty_code.csv": f"id,text,cpt\n1,   ,{CANARY}\n".encode(),
        "truncated.csv.gz": gzip.compress(f"id,text\n1,{NOTE}\n".encode())[:-8],
        "export.json": json.dumps([NOTE]).encode(),
        "export.xlsx": NOTE.encode(),
    }
    paths = []
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        paths.append(tmp_path / name)
    return paths


def test_canary_never_in_error_messages_logs_or_warnings(tmp_path, caplog):
    paths = build_inputs(tmp_path)
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        items = list(read_notes(paths, max_note_bytes=40))
    errors = [i for i in items if isinstance(i, ReadError)]
    kinds = {e.kind for e in errors}
    assert kinds >= {"too_large", "binary", "encoding", "malformed_row", "missing_column", "empty",
                     "truncated", "unsupported"}
    for error in errors:
        assert CANARY not in error.message, error
        assert CANARY not in error.id and CANARY not in error.source
    assert CANARY not in caplog.text
    assert all(CANARY not in str(w.message) for w in caught)


def test_headerless_export_does_not_echo_its_first_row(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text(f"1001,{NOTE},64633\n")
    [error] = read_notes([path])
    assert error.kind == "missing_column"
    assert CANARY not in error.message
    assert "1001, <column 2: name withheld>, 64633" in error.message
