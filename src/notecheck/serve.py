"""`notecheck serve`: the checker as an HTTP service (FastAPI on uvicorn).

    POST /v1/check          one note  {"id"?, "text", "codes"?, "service_date"?} -> one record
    POST /v1/check/batch    {"notes": [note, ...]} (at most --max-batch)         -> one record per note
    GET  /v1/codes          the supported codes
    GET  /v1/codes/{code}   a code's requirements, from the rule pack
    GET  /healthz           liveness and the rule-pack version (never needs the token)
    GET  /openapi.json, /docs

A record is the output contract of ``models.to_record``, the same as ``notecheck scan`` writes.
A body that does not fit the schema (not JSON, a missing or unknown field, a wrong type) is a 422
that names the field and never echoes a value. A note that cannot be checked (empty, over
``max_note_bytes``, undecodable, bad billed codes) is an error record, with the kind and message
the readers give a bad export row (``readers.records.build_note``, "request item N").
Limits: body size (413), notes per batch (422), time per request (503); with a token, every path
but /healthz needs ``Authorization: Bearer <token>`` (401, the same body whatever was wrong).

Privacy: no note text in logs or error bodies. uvicorn's access log is off; this module logs
method, a path with no query string (a path that is not a known route is logged as ``<other>``),
status and time. An exception in a request is logged by its type only.

Checking is CPU-bound and a spaCy pipeline is not safe to share between threads, so one Checker
runs on one worker thread (under a lock) while the event loop keeps answering; scale out with
more processes behind a load balancer. fastapi and uvicorn are imported only when the app is built
(and so this module has no ``from __future__ import annotations``: FastAPI reads the annotations of
the handlers defined inside ``create_app``).
"""

import asyncio
import hmac
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from notecheck import quiet  # noqa: F401  (no library may log note text)
from notecheck.errors import ServeError, UnknownCodeError
from notecheck.models import NoteInput, ReadError, to_record
from notecheck.readers.columns import ColumnMap
from notecheck.readers.records import ReadOptions, build_note

log = logging.getLogger("notecheck.serve")

LABEL = "request"  # records of the service are "request:N", as an export's are "FILE:ROW"
COLUMNS = ColumnMap(text="text", id="id", code="codes", date="service_date")
MAX_CONCURRENCY = 64  # open connections and tasks; uvicorn answers 503 beyond it
CHECK_CHUNK = 8  # notes per pipeline call, between deadline checks
_ROUTES = {"/healthz", "/v1/check", "/v1/check/batch", "/v1/codes", "/openapi.json", "/docs", "/docs/oauth2-redirect"}
_CODE_PATH = re.compile(r"/v1/codes/\+?[0-9]{4}[0-9A-Za-z]")
_CODE = re.compile(r"\+?[0-9]{4}[0-9A-Z]")
_SAFE_LOC = re.compile(r"[A-Za-z_][A-Za-z0-9_\[\]]{0,39}")  # a field name; "list[str]" for a union member




@dataclass(frozen=True)
class ServeSettings:
    token: str | None = None
    max_body_bytes: int = 5_000_000
    max_batch: int = 100
    timeout: float = 30.0  # seconds per request, reading the body included
    max_note_bytes: int = 1_000_000
    rules_dir: str | None = None
    date_format: str | None = None  # strptime format tried first on dates of service
    profile: str | None = None  # the payer profile every request is scored with (default: strict)


# --------------------------------------------------------------------------- request and response bodies


class NoteIn(BaseModel):
    """One note."""

    model_config = ConfigDict(extra="forbid")

    id: str | int | None = Field(None, description="Your id for the note (default: the record's source).")
    text: str = Field(..., description="The note text.")
    codes: str | list[str] | None = Field(
        None, description="Billed codes, e.g. \"64640-LT x2\" or [\"64640-LT\"]; without them, codes in the text are used.")
    service_date: str | None = Field(
        None, description="Date of service (2025-06-01, 06/01/2025, 20250601, with or without a time): picks the rules "
        "in force. An unreadable date is a bad_service_date warning in the record.")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notes: list[Any] = Field(
        ...,
        description="Notes as for POST /v1/check. An item that does not fit that schema gives an error record "
        "(kind malformed_row) naming the field; the other items are checked.",
        json_schema_extra={"items": {"$ref": "#/components/schemas/NoteIn"}},
    )


class EvidenceOut(BaseModel):
    start: int
    end: int
    section: str | None
    value: str | None
    text: str | None = None
    reason: str | None = None


class FindingOut(BaseModel):
    present: bool
    values: list[str]
    evidence: list[EvidenceOut]
    excluded: list[EvidenceOut]


class FlagOut(BaseModel):
    kind: str
    message: str
    suggested_codes: list[str]
    check: str | None = None  # policy flags only


class CodeOut(BaseModel):
    code: str
    title: str
    modifiers: list[str]
    units: int
    source: str
    status: str
    score: int
    missing: list[str]
    flags: list[FlagOut]
    reason: str | None
    rule_version: str | None


class ErrorOut(BaseModel):
    kind: str
    message: str


class WarningOut(BaseModel):
    kind: str
    message: str


class RecordOut(BaseModel):
    """The output contract: the record `notecheck scan` writes for a note."""

    id: str
    source: str
    status: str
    score: int | None
    elements: dict[str, FindingOut]
    codes: list[CodeOut]
    procedure_documented: bool  # does the note document a procedure done in this encounter (a consult does not)
    unsupported_codes: list[str]
    rules_version: str
    profile: str = ""
    patient: str | None = None
    service_date: str | None = None
    error: ErrorOut | None
    service_date: str | None = Field(None, description="The date (ISO) that picked the rules; null: the newest rules.")
    service_date_source: str = Field("none", description="column (the note's date), none (no date) or unreadable.")
    warnings: list[WarningOut] = []
    columns: dict[str, str | None] = {}


# --------------------------------------------------------------------------- notes in


def note_item(number: int, raw: Any, options: ReadOptions) -> NoteInput | ReadError:
    """Item ``number`` (1-based) of a request as the readers turn an export row into a note."""
    source = f"{LABEL}:{number}"
    if isinstance(raw, NoteIn):
        note = raw
    elif not isinstance(raw, dict):
        return ReadError(source, source, "malformed_row", f"{LABEL} item {number}: not a JSON object")
    else:
        try:
            note = NoteIn.model_validate(raw)
        except ValidationError as exc:
            named = raw.get("id")
            note_id = str(named).strip() if isinstance(named, (str, int)) and str(named).strip() else source
            problems = "; ".join(f"field '{_loc(e['loc'])}': {e['msg']}" for e in exc.errors()[:3])
            return ReadError(note_id, source, "malformed_row", f"{LABEL} item {number}: {problems}")
    fields = {"id": note.id, "text": note.text, "code": note.codes, "date": note.service_date}
    return build_note(LABEL, number, fields, COLUMNS, options, unit="item")


def _loc(loc) -> str:
    """A pydantic location as a dotted name; a part that looks like data is withheld."""
    parts = []
    for part in loc:
        text = str(part)
        parts.append(text if isinstance(part, int) or _SAFE_LOC.fullmatch(text) else "<withheld>")
    return ".".join(parts)


# --------------------------------------------------------------------------- checking off the event loop


class _TooLate(Exception):
    pass


class _Runner:
    """One Checker on one worker thread; the event loop waits with the request's deadline."""

    def __init__(self, checker):
        self.checker = checker
        self.lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notecheck-check")

    async def check(self, items: list, deadline: float) -> list[dict]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _TooLate
        future = asyncio.get_running_loop().run_in_executor(self.executor, self._check, items, deadline)
        try:
            return await asyncio.wait_for(future, remaining)
        except asyncio.TimeoutError:
            raise _TooLate from None

    def _check(self, items: list, deadline: float) -> list[dict]:
        out = []
        with self.lock:
            for start in range(0, len(items), CHECK_CHUNK):
                if time.monotonic() > deadline:  # the request has been answered 503 already
                    raise _TooLate
                out += [to_record(r) for r in self.checker.check_many(items[start:start + CHECK_CHUNK])]
        return out

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


# --------------------------------------------------------------------------- the app


def create_app(settings: ServeSettings = ServeSettings(), checker=None):
    """The FastAPI app. Builds the Checker now (raises RuleFileError for a broken pack)."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response

    from notecheck.check import Checker

    checker = checker or Checker(settings.rules_dir, date_format=settings.date_format, profile=settings.profile)
    runner = _Runner(checker)
    rules = checker.rules
    options = ReadOptions(max_note_bytes=settings.max_note_bytes)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        runner.close()

    app = FastAPI(
        title="notecheck",
        version=rules.version,
        description="Checks procedure notes for the documentation each billed CPT code needs. "
        "Records follow the output contract of `notecheck scan`.",
        lifespan=lifespan,
    )

    def as_json(data: Any, status: int = 200) -> Response:
        return Response(orjson.dumps(data), status_code=status, media_type="application/json")

    async def run(request: Request, items: list, one: bool = False) -> Response:
        try:
            records = await runner.check(items, request.state.deadline)
            return as_json(records[0] if one else records)
        except _TooLate:
            return as_json({"detail": f"the request took longer than {settings.timeout:g} s; send fewer or shorter notes"}, 503)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError):
        # FastAPI's own handler puts each offending value ("input") in the body: never note text here
        detail = [{"loc": [p if isinstance(p, int) else _loc([p]) for p in e.get("loc", ())],
                   "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok", "rules_version": rules.version}

    @app.post("/v1/check", response_model=None, responses={200: {"model": RecordOut}})
    async def check(note: NoteIn, request: Request) -> Response:
        """Check one note; a note that cannot be checked gives an error record (status "error")."""
        return await run(request, [note_item(1, note, options)], one=True)

    @app.post("/v1/check/batch", response_model=None, responses={200: {"model": list[RecordOut]}})
    async def check_batch(batch: BatchIn, request: Request) -> Response:
        """Check up to the configured number of notes; one record per note, in order."""
        if len(batch.notes) > settings.max_batch:
            detail = [{"loc": ["body", "notes"], "type": "too_many_notes",
                       "msg": f"at most {settings.max_batch} notes per request, got {len(batch.notes)}; split the batch"}]
            return as_json({"detail": detail}, 422)
        return await run(request, [note_item(i, raw, options) for i, raw in enumerate(batch.notes, start=1)])

    @app.get("/v1/codes")
    async def codes() -> dict:
        """The codes the rule pack supports (their newest rules)."""
        listed = []
        for code, versions in rules.codes.items():
            rule = versions[-1]
            listed.append({"code": code, "title": rule.title, "family": rule.family, "unit": rule.unit,
                           "addon": rule.addon, "effective_from": str(rule.effective_from),
                           "effective_to": None if rule.effective_to is None else str(rule.effective_to)})
        return {"rules_version": rules.version, "codes": listed}

    @app.get("/v1/codes/{code}")
    async def code_requirements(code: str) -> Response:
        """A code's requirements: its newest rule file, the elements it names, and the dates of every version."""
        wanted = code.strip().lstrip("+")
        try:
            rule = rules.code_rule(wanted)
        except UnknownCodeError:
            shown = f"code {wanted}" if _CODE.fullmatch(wanted) else "that code"
            return as_json({"detail": f"no rule file for {shown}; GET /v1/codes lists the supported codes"}, 404)
        named = [*rule.required, *(c.element for c in rule.conditional), *rule.recommended]
        body = {
            **rule.model_dump(mode="json"),
            "elements": {name: rules.elements[name].description for name in dict.fromkeys(named)},
            "versions": [{"effective_from": str(v.effective_from),
                          "effective_to": None if v.effective_to is None else str(v.effective_to)}
                         for v in rules.codes[rule.code]],
            "rules_version": rules.version,
        }
        return as_json(body)

    app.add_middleware(_Guard, settings=settings)
    return app


# --------------------------------------------------------------------------- auth, limits, logging


class _Guard:
    """Pure ASGI middleware: token, body size, deadline, access log, and no exception escapes."""

    def __init__(self, app, settings: ServeSettings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        deadline = started + self.settings.timeout
        status: list[int] = []

        async def send_logged(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        try:
            if self.settings.token and scope["path"] != "/healthz" and not self._authorized(scope):
                await _respond(send_logged, 401, {"detail": "unauthorized"}, [(b"www-authenticate", b"Bearer")])
            elif scope["method"] in ("POST", "PUT", "PATCH"):
                await self._with_body(scope, receive, send_logged, deadline)
            else:
                scope.setdefault("state", {})["deadline"] = deadline
                await self.app(scope, receive, send_logged)
        except Exception as exc:  # noqa: BLE001 - never crash, never let a traceback (and its values) reach a log
            log.error("request failed: %s", type(exc).__name__)
            if not status:
                await _respond(send_logged, 500, {"detail": "internal error"})
        finally:
            log.info("%s %s %s %.0fms", scope["method"], _log_path(scope["path"]),
                     status[0] if status else "-", 1000 * (time.monotonic() - started))

    def _authorized(self, scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, given = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.settings.token.encode())
        return False

    async def _with_body(self, scope, receive, send, deadline: float) -> None:
        limit = self.settings.max_body_bytes
        too_large = {"detail": f"the request body is over {limit} bytes; send fewer or shorter notes"}
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                await _respond(send, 413, too_large)
                return
        try:
            body = await asyncio.wait_for(_read_body(receive, limit), max(0.0, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            await _respond(send, 503, {"detail": f"the request body did not arrive within {self.settings.timeout:g} s"})
            return
        if body is None:  # the client went away
            return
        if len(body) > limit:
            await _respond(send, 413, too_large)
            return
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        scope.setdefault("state", {})["deadline"] = deadline
        # every body is read as JSON, whatever Content-Type says (curl -d sends a form type)
        headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
        scope["headers"] = [*headers, (b"content-type", b"application/json")]
        await self.app(scope, replay, send)


async def _read_body(receive, limit: int) -> bytes | None:
    """The whole body, or the first ``limit + 1`` bytes of a larger one; None on disconnect."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit or not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(send, status: int, body: dict, headers: list | None = None) -> None:
    data = orjson.dumps(body)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": data})


def _log_path(path: str) -> str:
    if path in _ROUTES or _CODE_PATH.fullmatch(path):
        return path
    return "<other>"


# --------------------------------------------------------------------------- running


def read_token(path: str | Path) -> str:
    """The bearer token: the first line of ``path``, which must not be empty."""
    try:
        token = Path(path).read_text(encoding="utf-8").strip().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise ServeError(f"cannot read the token file {path}: {reason}. Give a readable file holding one token.") from None
    if not token or not token[0].strip():
        raise ServeError(f"the token file {path} is empty. Put one token on its first line.")
    return token[0].strip()


def run(settings: ServeSettings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve until interrupted. Raises ServeError when fastapi/uvicorn are missing or the port cannot be bound."""
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError:
        raise ServeError("the service needs fastapi and uvicorn. Install them with: pip install 'notecheck[serve]'") from None
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.token:
        log.warning("serving on %s without a token: anyone who can reach it can use it; pass --token-file", host)
    log.setLevel(logging.INFO)
    app = create_app(settings)
    config = uvicorn.Config(app, host=host, port=port, access_log=False, server_header=False,
                            limit_concurrency=MAX_CONCURRENCY, timeout_keep_alive=5, log_level="info")
    server = uvicorn.Server(config)
    try:
        server.run()
    except SystemExit:
        pass
    if not server.started:
        raise ServeError(f"could not listen on {host}:{port} (in use, or not an address of this machine). Pick another --port.")
