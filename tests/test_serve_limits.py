"""`notecheck serve` limits and auth over real HTTP: token (401), body size (413), notes per batch (422),
time per request (503); the server keeps answering after each. Start-up errors exit 2."""

from __future__ import annotations

import re
import socket
import time

import pytest

httpx = pytest.importorskip("httpx", reason="the service needs notecheck[serve] (fastapi, uvicorn, httpx)")
pytest.importorskip("fastapi", reason="the service needs notecheck[serve]")
pytest.importorskip("uvicorn", reason="the service needs notecheck[serve]")

from typer.testing import CliRunner  # noqa: E402

from notecheck.cli import app  # noqa: E402
from serve_helpers import serving  # noqa: E402

TOKEN = "t0ken-for-tests-7f3a9c"
NOTE = "The left obturator nerve was injected with 5 mL of 6% phenol under ultrasound guidance. CPT 64640-LT"
SLOW_NOTE = ("INDICATION: spasticity. CONSENT: obtained. The left obturator nerve was injected with 5 mL of 6% phenol "
             "under ultrasound guidance. ") * 200  # about 26 kB; 100 of them take seconds to check
MAX_BODY = 40_000
MAX_BATCH = 3


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve-limits")
    (tmp / "token").write_text(TOKEN + "\n")
    (tmp / "token").chmod(0o600)
    args = ["--token-file", str(tmp / "token"), "--max-body-bytes", str(MAX_BODY), "--max-batch", str(MAX_BATCH),
            "--docs", "--allow-host", "notecheck.internal"]
    with serving(tmp, *args) as (running, _out, _err):
        yield running


AUTH = {"authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize("method, path, headers, status", [
    ("GET", "/healthz", {}, 200),
    ("GET", "/v1/codes", {}, 401),
    ("GET", "/v1/codes", {"authorization": "Bearer wrong"}, 401),
    ("GET", "/v1/codes", {"authorization": f"Basic {TOKEN}"}, 401),
    ("GET", "/v1/codes", {"authorization": f"Bearer {TOKEN}x"}, 401),
    ("GET", "/v1/codes", AUTH, 200),
    ("GET", "/v1/codes", {"authorization": f"bearer {TOKEN}"}, 200),
    ("GET", "/v1/codes/64640", {}, 401),
    ("GET", "/openapi.json", {}, 401),
    ("GET", "/docs", {}, 401),
    ("GET", "/docs", AUTH, 200),  # --docs
    ("GET", "/no/such/path", {}, 401),
    ("GET", "/no/such/path", AUTH, 404),
    ("POST", "/v1/check", {}, 401),
    ("POST", "/v1/check", AUTH, 200),
])
def test_serve_token_required_except_healthz(client, method, path, headers, status):
    response = client.request(method, path, headers=headers, json={"text": NOTE} if method == "POST" else None)
    assert response.status_code == status
    if status == 401:
        assert response.json() == {"detail": "unauthorized"}  # the same whatever was wrong
        assert TOKEN not in response.text


def test_serve_auth_comes_before_reading_the_body(client):
    response = client.post("/v1/check", content=b"x" * (MAX_BODY * 2))
    assert response.status_code == 401


JSON = {**AUTH, "content-type": "application/json"}


@pytest.mark.parametrize("chunked", [False, True])
def test_serve_body_over_limit_is_413(client, chunked):
    body = b'{"text": "' + b"a" * MAX_BODY + b'"}'
    content = iter([body[:1000], body[1000:]]) if chunked else body
    response = client.post("/v1/check", content=content, headers=JSON)
    assert response.status_code == 413
    assert str(MAX_BODY) in response.json()["detail"]
    assert client.post("/v1/check", json={"text": NOTE}, headers=AUTH).status_code == 200


SENT_MB = 64


@pytest.mark.parametrize("chunked", [False, True])
def test_serve_large_body_gets_413_early_and_readable(client, chunked):
    """The server stops reading at the limit and closes: the client's writes fail and it reads the 413
    (httpx sends the whole body before it reads; it reads the answer once a write fails)."""
    sent = []

    def body():
        yield b'{"text": "'
        for _ in range(SENT_MB * 16):
            sent.append(65536)
            yield b"a" * 65536

    if chunked:
        responses = [client.post("/v1/check", content=body(), headers=JSON)]
        assert sum(sent) < SENT_MB * 2**20 / 4  # what the socket buffers took, not the whole body
    else:
        # closing with unread bytes resets the connection, which now and then drops the answer
        # (about 1 in 30 here without the lingering close): try it many times
        whole = b"".join(body())[: 16 * 2**20]
        responses = [client.post("/v1/check", content=whole, headers=JSON) for _ in range(30)]
    for response in responses:
        assert response.status_code == 413 and str(MAX_BODY) in response.json()["detail"]
        assert response.headers["connection"] == "close"
    assert client.post("/v1/check", json={"text": NOTE}, headers=AUTH).status_code == 200


@pytest.mark.parametrize("host, status", [("notecheck.internal", 200), ("notecheck.internal:443", 200), ("other.internal", 400)])
def test_serve_allow_host_adds_names(client, host, status):
    assert client.get("/v1/codes", headers={**AUTH, "host": host}).status_code == status


@pytest.mark.parametrize("count, status", [(MAX_BATCH, 200), (MAX_BATCH + 1, 422)])
def test_serve_batch_size_limit(client, count, status):
    response = client.post("/v1/check/batch", json={"notes": [{"text": NOTE}] * count}, headers=AUTH)
    assert response.status_code == status
    if status == 422:
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", "notes"] and f"at most {MAX_BATCH} notes" in error["msg"]
    else:
        assert len(response.json()) == count


def test_serve_timeout_is_503_and_stops_the_abandoned_work(tmp_path):
    """After the 503, the notes of the batch that were not started are not checked: the worker's one
    checker is free again once the note it was on is done, and the next request is answered in time."""
    big = SLOW_NOTE * 4  # about 105 kB: half a second or more each; 30 of them, far over the timeout
    with serving(tmp_path, "--timeout", "4") as (slow, out, err):
        response = slow.post("/v1/check/batch", json={"notes": [{"text": big}] * 30})
        assert response.status_code == 503 and "4 s" in response.json()["detail"]
        assert "obturator" not in response.text
        assert slow.get("/healthz").status_code == 200  # the event loop was never blocked
        assert slow.post("/v1/check", json={"text": NOTE}).status_code == 200  # within its own 4 s
        time.sleep(0.5)
        stopped = re.search(r"stopped after (\d+) of 30 notes", out.read_text() + err.read_text())
        assert stopped and int(stopped.group(1)) < 30


runner = CliRunner()


def test_serve_bad_token_file_exits_2(tmp_path):
    (tmp_path / "empty").write_text("\n")
    (tmp_path / "empty").chmod(0o600)
    (tmp_path / "shared").write_text(TOKEN + "\n")
    (tmp_path / "shared").chmod(0o644)
    for path, message in [(tmp_path / "missing", "cannot read the token file"), (tmp_path / "empty", "is empty"),
                          (tmp_path / "shared", "chmod 600")]:
        result = runner.invoke(app, ["serve", "--token-file", str(path)])
        assert result.exit_code == 2 and message in result.output
        assert TOKEN not in result.output


def test_serve_port_in_use_exits_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = runner.invoke(app, ["serve", "--port", str(taken.getsockname()[1])])
    assert result.exit_code == 2 and "could not listen" in result.output


def test_serve_help():
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert all(option in result.output for option in ("--token-file", "--max-body-bytes", "--max-batch", "--timeout",
                                                      "--workers", "--queue-depth", "--allow-host", "--docs"))
