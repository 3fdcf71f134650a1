"""`notecheck serve` over real HTTP: records equal the library's, bad bodies are refused by field,
and a note's text never shows in an error body or in what the server prints."""

from __future__ import annotations

import json
import time

import pytest

httpx = pytest.importorskip("httpx", reason="the service needs notecheck[serve] (fastapi, uvicorn, httpx)")
pytest.importorskip("fastapi", reason="the service needs notecheck[serve]")
pytest.importorskip("uvicorn", reason="the service needs notecheck[serve]")

from notecheck.check import Checker  # noqa: E402
from notecheck.models import NoteInput, to_record  # noqa: E402
from notecheck.readers import read_notes  # noqa: E402
from notecheck.rules import load_rules  # noqa: E402
from serve_helpers import serving  # noqa: E402

COMPLETE = """INDICATION: Hip adductor spasticity after stroke limiting hygiene.
CONSENT: Risks and benefits were discussed and written informed consent was obtained.
PROCEDURE: Under ultrasound guidance the left obturator nerve was identified. Motor stimulation at 0.5 mA
produced adductor contraction. 5 mL of 6% phenol was injected after negative aspiration.
The patient tolerated the procedure well. Follow up in 4 weeks."""
PARTIAL = "The right genicular nerves were treated with thermal radiofrequency under fluoroscopy."
CANARY = "Zebrafinch Quillwort canary note seven"  # a note text that must never come back in an error or a log
MAX_NOTE_BYTES = 2_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("serve"), "-vv", "--max-note-bytes", str(MAX_NOTE_BYTES)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    return server[0]


@pytest.fixture(scope="module")
def checker():
    return Checker()


@pytest.mark.parametrize("body", [
    {"id": "a1", "text": COMPLETE, "codes": "64640-LT"},
    {"id": 17, "text": PARTIAL, "codes": ["64640-RT", "64624"]},
    {"text": COMPLETE + "\nCPT: 64640-LT", "service_date": "2019-05-01"},
    {"id": "a4", "text": PARTIAL},
])
def test_serve_check_equals_library(client, checker, body):
    response = client.post("/v1/check", json=body)
    assert response.status_code == 200
    codes = body.get("codes")
    note = NoteInput(id=str(body.get("id", "request:1")), source="request:1", text=body["text"],
                     codes=",".join(codes) if isinstance(codes, list) else codes, service_date=body.get("service_date"))
    assert response.json() == to_record(checker.check(note))


@pytest.mark.parametrize("written, used, version, warned", [
    ("06/01/2025", "2025-06-01", "64640@2000-01-01", False),
    ("2026-01-05T08:00:00Z", "2026-01-05", "64640@2026-01-01", False),
    ("32/13/2025", None, "64640@2026-01-01", True),
])
def test_serve_check_reads_dates_of_service_as_scan_does(client, written, used, version, warned):
    body = {"text": COMPLETE, "codes": "64640-LT", "service_date": written}
    record = client.post("/v1/check", json=body).json()
    assert record["service_date"] == used and record["codes"][0]["rule_version"] == version
    assert [w["kind"] for w in record["warnings"]] == (["bad_service_date"] if warned else [])


def test_serve_batch_equals_library_errors_included(client, checker, tmp_path):
    items = [
        {"id": "ok", "text": COMPLETE, "codes": "64640-LT"},
        {"id": "empty", "text": "   "},
        {"id": "big", "text": COMPLETE * 10, "codes": "64640-LT"},
        {"id": "claim", "text": COMPLETE, "codes": "64640-ZZZZ x"},
        ["not", "an", "object"],
        {"id": "typed", "text": 12},
        {"text": PARTIAL, "codes": "64640-RT"},
    ]
    response = client.post("/v1/check/batch", json={"notes": items})
    assert response.status_code == 200
    records = response.json()
    assert [r["source"] for r in records] == [f"request:{i}" for i in range(1, len(items) + 1)]
    for i in (0, 6):
        note = NoteInput(items[i].get("id", f"request:{i + 1}"), f"request:{i + 1}", items[i]["text"], items[i]["codes"])
        assert records[i] == to_record(checker.check(note))
    # the same items as a JSON-lines export: the readers give the same error kinds, row for row
    export = tmp_path / "items.jsonl"
    export.write_text("".join(json.dumps(item) + "\n" for item in items))
    scanned = [to_record(r) for r in checker.check_many(read_notes([export], max_note_bytes=MAX_NOTE_BYTES))]
    kinds = [r["error"]["kind"] if r["error"] else None for r in records]
    assert kinds == [r["error"]["kind"] if r["error"] else None for r in scanned]
    assert kinds == [None, "empty", "too_large", "bad_code", "malformed_row", "malformed_row", None]
    assert [r["id"] for r in records[:4]] == ["ok", "empty", "big", "claim"]
    assert records[1]["error"]["message"] == "request item 2: column 'text' is empty"
    assert "field 'text'" in records[5]["error"]["message"]


def test_serve_codes_come_from_the_rule_pack(client):
    pack = load_rules()
    listed = client.get("/v1/codes").json()
    assert [c["code"] for c in listed["codes"]] == list(pack.codes)
    assert listed["rules_version"] == pack.version
    rule = pack.code_rule("64640")
    detail = client.get("/v1/codes/64640").json()
    assert (detail["code"], detail["required"], detail["title"]) == ("64640", rule.required, rule.title)
    assert set(rule.required) <= set(detail["elements"])
    assert len(detail["versions"]) == len(pack.codes["64640"])


@pytest.mark.parametrize("path, status", [
    ("/v1/codes/99999", 404), ("/healthz", 200), ("/openapi.json", 200),
    ("/docs", 404), ("/redoc", 404),  # off unless --docs: Swagger UI loads its scripts from a CDN
])
def test_serve_get_routes(client, path, status):
    assert client.get(path).status_code == status


def test_serve_openapi_describes_the_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/check", "/v1/check/batch", "/v1/codes", "/v1/codes/{code}", "/healthz"} <= set(paths)


# body, the field the 422 must name (a loc entry)
BAD_BODIES = [
    (b'{"text": "' + CANARY.encode() + b'", ', 1),  # malformed JSON: names the position
    (json.dumps({"text": CANARY, "codez": "64640"}).encode(), "codez"),
    (json.dumps({"text": CANARY, "codes": 64640}).encode(), "codes"),
    (json.dumps({"txt": CANARY}).encode(), "text"),
    (json.dumps({"text": [CANARY]}).encode(), "text"),
    (json.dumps({"text": CANARY, "id": {"a": CANARY}}).encode(), "id"),
    (json.dumps({"text": CANARY, "service_date": 20240101}).encode(), "service_date"),
    (json.dumps([CANARY]).encode(), "body"),
    (json.dumps({"text": CANARY, CANARY: 1}).encode(), "<withheld>"),
    (b'{"text": "' + CANARY.encode() + b'\xff\xfe"}', "body"),  # not UTF-8: FastAPI says 400 by itself
    (b"[" * 100_000 + b"]" * 100_000, "body"),  # nested too deep for json.loads
]


@pytest.mark.parametrize("body, field", BAD_BODIES)
def test_serve_bad_body_is_422_naming_the_field(client, body, field):
    response = client.post("/v1/check", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    locs = [part for error in response.json()["detail"] for part in error["loc"]]
    assert field in locs or (isinstance(field, int) and any(isinstance(p, int) for p in locs))
    assert CANARY.split()[0] not in response.text and '"input"' not in response.text


@pytest.mark.parametrize("body, field", [({"notes": CANARY}, "notes"), ({"notes": [], "extra": CANARY}, "extra"), ({}, "notes")])
def test_serve_bad_batch_is_422(client, body, field):
    response = client.post("/v1/check/batch", json=body)
    assert response.status_code == 422
    assert field in [p for e in response.json()["detail"] for p in e["loc"]]
    assert CANARY.split()[0] not in response.text


def test_serve_canary_never_in_output_or_logs(server):
    client, out, err = server
    word = CANARY.split()[0]
    sent = [
        client.post("/v1/check", json={"text": CANARY, "codes": "64640-LT"}),
        client.post("/v1/check", json={"text": CANARY * 100}),  # over --max-note-bytes: an error record
        client.post("/v1/check/batch", json={"notes": [{"text": CANARY}, {"text": CANARY, "bad": 1}, CANARY]}),
        client.get("/v1/codes", params={"q": CANARY}),
        client.get(f"/v1/codes/{CANARY}"),
        client.get(f"/{CANARY}"),
        client.post(f"/v1/check?text={CANARY}", json={"text": "x"}),
    ]
    for response in sent[1:]:
        errors = [response.json()] if response.status_code >= 400 else []
        if response.status_code == 200 and "/batch" in str(response.request.url):
            errors = [r["error"] for r in response.json() if r["error"]]
        elif response.status_code == 200 and response.request.method == "POST":
            errors = [response.json()["error"]]
        assert all(word not in json.dumps(e) for e in errors)
    time.sleep(0.5)  # let the server's log lines land
    logs = out.read_text(errors="replace") + err.read_text(errors="replace")
    assert "POST /v1/check" in logs  # the access log is on, at -vv
    assert word not in logs


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None])
def test_serve_body_must_be_declared_json(client, content_type):
    """A web page can post text/plain or a form to any origin without asking first; it cannot post JSON."""
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/v1/check", content=json.dumps({"text": CANARY}).encode(), headers=headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["detail"] and CANARY.split()[0] not in response.text


def test_serve_json_with_charset_is_accepted(client):
    response = client.post("/v1/check", content=json.dumps({"text": PARTIAL}).encode(),
                           headers={"content-type": "Application/JSON; charset=utf-8"})
    assert response.status_code == 200 and response.json()["status"] != "error"


@pytest.mark.parametrize("host, status", [
    ("127.0.0.1", 200), ("localhost", 200), ("LOCALHOST.", 200), ("[::1]:8000", 200), ("localhost:1234", 200),
    ("evil.example", 400), ("evil.example:8000", 400), ("127.0.0.1.evil.example", 400), ("", 400),
])
def test_serve_host_must_name_the_bind(server, host, status):
    """DNS rebinding: a page on evil.example resolves its name to 127.0.0.1 and posts; its Host gives it away."""
    client = server[0]
    for path in ("/healthz", "/v1/codes"):
        response = client.get(path, headers={"host": host})
        assert response.status_code == status
        if status == 400:
            assert "Host" in response.json()["detail"] and (not host or host not in response.text)


SURROGATES = [
    ({"id": "s1", "text": COMPLETE + " \ud800 ", "codes": "64640-LT"}, "text", "s1"),
    ({"id": "s2\udfff", "text": COMPLETE}, "id", "request:3"),  # item 3: "fine" is item 1
    ({"id": "s3", "text": COMPLETE, "codes": ["64640-LT", "\udc80"]}, "codes", "s3"),
    ({"id": "s4", "text": COMPLETE, "service_date": "2024-01-0\ud83d"}, "service_date", "s4"),
]


def test_serve_lone_surrogate_is_an_error_record_not_a_failed_batch(client, checker):
    """JSON may escape half of a UTF-16 pair ("\\ud800"): valid JSON, but not text a record can carry."""
    items = ",".join(json.dumps(item) for item, _f, _i in SURROGATES)
    body = f'{{"notes": [{{"id": "fine", "text": {json.dumps(COMPLETE)}, "codes": "64640-LT"}}, {items}]}}'
    response = client.post("/v1/check/batch", content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 200
    records = response.json()
    note = NoteInput("fine", "request:1", COMPLETE, "64640-LT")
    assert records[0] == to_record(checker.check(note))
    for record, (_item, field, note_id) in zip(records[1:], SURROGATES):
        assert record["status"] == "error" and record["error"]["kind"] == "encoding"
        assert f"field '{field}'" in record["error"]["message"] and record["id"] == note_id
    single = client.post("/v1/check", content=json.dumps(SURROGATES[0][0]).encode(),
                         headers={"content-type": "application/json"})
    assert single.status_code == 200 and single.json()["error"]["kind"] == "encoding"
