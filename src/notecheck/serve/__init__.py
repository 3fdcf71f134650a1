"""`notecheck serve`: the checker as an HTTP service (FastAPI on uvicorn).

    POST /v1/check          one note  {"id"?, "text", "codes"?, "service_date"?} -> one record
    POST /v1/check/batch    {"notes": [note, ...]} (at most --max-batch)         -> one record per note
    GET  /v1/codes          the supported codes
    GET  /v1/codes/{code}   a code's requirements, from the rule pack
    GET  /healthz           liveness and the rule-pack version (never needs the token)
    GET  /openapi.json, and /docs with ``docs`` (off by default: Swagger UI loads its scripts from a CDN)

A record is the output contract of ``models.to_record``, the same as ``notecheck scan`` writes.
A body that does not fit the schema (not JSON, a missing or unknown field, a wrong type) is a 422
that names the field and never echoes a value. A note that cannot be checked (empty, over
``max_note_bytes``, undecodable, bad billed codes) is an error record, with the kind and message
the readers give a bad export row (``readers.records.build_note``, "request item N").
Requests are refused, in this order, before any note is read:
- a Host header that names neither the address the server is bound to nor an ``--allow-host`` name
  (400: a web page must not reach a local server through DNS rebinding);
- with a token, every path but /healthz needs ``Authorization: Bearer <token>`` (401, the same body
  whatever was wrong);
- a body that is not ``Content-Type: application/json`` (415: a web page can post a form or text/plain
  across origins without asking; it cannot post JSON);
- a body over ``max_body_bytes`` (413, counted as the bytes arrive, chunked bodies too; the answer
  closes the connection so that the client stops sending and can read it);
- more than ``queue_depth`` requests of this worker already waiting or being checked (503 with
  ``Retry-After``).
A request still unanswered after ``timeout`` seconds gets 503; its remaining notes are not checked
(the note being checked at that moment runs to its end: one note's time is bounded by ``max_note_bytes``).

Privacy: no note text in logs or error bodies. uvicorn's access log is off; this module logs
method, a path with no query string (a path that is not a known route is logged as ``<other>``),
status and time. An exception in a request is logged by its type only.

Processes: ``workers`` server processes (``notecheck.serve.workers``: on Linux each listens on a socket
of its own on the port, so that the kernel spreads connections over them; a worker that dies is
replaced), each building its own Checker once. Checking is CPU-bound and a spaCy pipeline is not safe
to share between threads, so in each worker one Checker runs on one thread while the event loop keeps
answering. fastapi and uvicorn are imported only when the app is built (and so this module has no
``from __future__ import annotations``: FastAPI reads the annotations of the handlers defined inside
``create_app``).
"""

import asyncio
import hmac
import logging
import os
import re
import socket
import stat
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
QUEUE_DEPTH = 256  # requests per worker reading their body, waiting or being checked; 503 beyond it
RETRY_AFTER = 1  # seconds, in a 503's Retry-After
MAX_CONNECTIONS = 2000  # open connections per worker; uvicorn answers 503 beyond it (a guard for file handles)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_BODY_PARSE_FAILED = "There was an error parsing the body"  # FastAPI's 400 for a body json.loads cannot read
_ROUTES = {"/healthz", "/v1/check", "/v1/check/batch", "/v1/codes", "/openapi.json", "/docs", "/docs/oauth2-redirect"}
_CODE_PATH = re.compile(r"/v1/codes/\+?[0-9]{4}[0-9A-Za-z]")
_CODE = re.compile(r"\+?[0-9]{4}[0-9A-Z]")
_SAFE_LOC = re.compile(r"[A-Za-z_][A-Za-z0-9_\[\]]{0,39}")  # a field name; "list[str]" for a union member
_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON can escape one ("\\ud800"): not text

@dataclass(frozen=True)
class ServeSettings:
    token: str | None = None
    max_body_bytes: int = 5_000_000
    max_batch: int = 100
    timeout: float = 30.0  # seconds per request, reading the body included
    max_note_bytes: int = 1_000_000
    rules_dir: str | None = None
    queue_depth: int = QUEUE_DEPTH
    hosts: frozenset | None = frozenset(LOOPBACK)  # names a Host header may give; None: any
    docs: bool = False  # /docs (Swagger UI, which loads its scripts from a CDN)
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
    procedure_documented: bool | None  # does the note document a procedure done in this encounter (a consult does not); null: an error record
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
            if _SURROGATE.search(note_id):
                note_id = source
            problems = "; ".join(f"field '{_loc(e['loc'])}': {e['msg']}" for e in exc.errors()[:3])
            return ReadError(note_id, source, "malformed_row", f"{LABEL} item {number}: {problems}")
    fields = {"id": note.id, "text": note.text, "code": note.codes, "date": note.service_date}
    for role, value in fields.items():
        if any(isinstance(v, str) and _SURROGATE.search(v) for v in (value if isinstance(value, list) else [value])):
            named = "" if note.id is None or _SURROGATE.search(str(note.id)) else str(note.id).strip()
            field = {"code": "codes", "date": "service_date"}.get(role, role)
            return ReadError(named or source, source, "encoding",
                             f"{LABEL} item {number}: field '{field}' holds a lone surrogate (a \\uD800-\\uDFFF escape "
                             "that is half of a character); send whole characters")
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
    """One Checker on one thread; the event loop waits with the request's deadline.

    ``pending`` counts the requests this worker has admitted (reading their body, waiting for the
    checker or being checked); the guard answers 503 when it reaches ``queue_depth``.
    """

    def __init__(self, checker):
        self.checker = checker
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notecheck-check")
        self.pending = 0

    async def check(self, items: list, deadline: float) -> list[dict]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _TooLate
        # a request that times out before its turn is cancelled in the executor's queue: it never runs
        future = asyncio.get_running_loop().run_in_executor(self.executor, self._check, items, deadline)
        try:
            return await asyncio.wait_for(future, remaining)
        except asyncio.TimeoutError:
            raise _TooLate from None

    def _check(self, items: list, deadline: float) -> list[dict]:
        out = []
        results = self.checker.check_many(items, batch_size=1)  # lazy: one note per step
        for done in range(len(items)):
            if time.monotonic() > deadline:  # the request has been answered 503: stop its work here
                log.info("a request past its deadline stopped after %d of %d notes", done, len(items))
                raise _TooLate
            out.append(to_record(next(results)))
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
    from starlette.exceptions import HTTPException as StarletteHTTPException

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
        docs_url="/docs" if settings.docs else None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url="/docs/oauth2-redirect" if settings.docs else None,
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

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and exc.detail == _BODY_PARSE_FAILED:  # not UTF-8, or nested too deep
            detail = [{"loc": ["body"], "msg": "the body is not JSON text (UTF-8)", "type": "json_invalid"}]
            return JSONResponse({"detail": detail}, status_code=422)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

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

    app.add_middleware(_Guard, settings=settings, runner=runner)
    return app


# --------------------------------------------------------------------------- auth, limits, logging


class _Guard:
    """Pure ASGI middleware: host, token, body type and size, queue depth, deadline, access log;
    no exception escapes."""

    def __init__(self, app, settings: ServeSettings, runner: _Runner):
        self.app = app
        self.settings = settings
        self.runner = runner

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
            headers = dict(scope["headers"])  # h11 gives names in lower case
            if not self._host_allowed(headers.get(b"host")):
                await _respond(send_logged, 400, {"detail": "the Host header names neither this server's address nor an "
                                                            "--allow-host name"})
            elif self.settings.token and scope["path"] != "/healthz" and not self._authorized(headers):
                await _respond(send_logged, 401, {"detail": "unauthorized"}, [(b"www-authenticate", b"Bearer")])
            elif scope["method"] in ("POST", "PUT", "PATCH"):
                await self._with_body(scope, headers, receive, send_logged, deadline)
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

    def _host_allowed(self, value: bytes | None) -> bool:
        if self.settings.hosts is None:
            return True
        if not value:
            return False
        host = value.decode("latin-1").strip().lower()
        if host.startswith("["):
            host = host[1:].partition("]")[0]
        elif host.count(":") == 1:
            host = host.partition(":")[0]
        return host.rstrip(".") in self.settings.hosts

    def _authorized(self, headers: dict) -> bool:
        scheme, _, given = headers.get(b"authorization", b"").partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.settings.token.encode())

    async def _with_body(self, scope, headers: dict, receive, send, deadline: float) -> None:
        media = headers.get(b"content-type", b"").partition(b";")[0].strip().lower()
        if media != b"application/json":
            await _respond(send, 415, {"detail": "send the body as JSON, with Content-Type: application/json"}, _CLOSE)
            return
        limit = self.settings.max_body_bytes
        too_large = {"detail": f"the request body is over {limit} bytes; send fewer or shorter notes"}
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _respond(send, 413, too_large, _CLOSE)
            return
        runner = self.runner
        if runner.pending >= self.settings.queue_depth:
            await _respond(send, 503, {"detail": f"busy: {runner.pending} requests are already waiting in this worker "
                                                 f"(--queue-depth {self.settings.queue_depth}); retry in {RETRY_AFTER} s"},
                           [*_CLOSE, (b"retry-after", str(RETRY_AFTER).encode())])
            return
        runner.pending += 1
        try:
            try:
                body = await asyncio.wait_for(_read_body(receive, limit), max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                await _respond(send, 503, {"detail": f"the request body did not arrive within {self.settings.timeout:g} s"},
                               _CLOSE)
                return
            if body is None:  # the client went away
                return
            if len(body) > limit:  # a chunked body: reading stopped at the limit
                await _respond(send, 413, too_large, _CLOSE)
                return
            replayed = False

            async def replay():
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            scope.setdefault("state", {})["deadline"] = deadline
            await self.app(scope, replay, send)
        finally:
            runner.pending -= 1


# An answer sent before the body is read asks uvicorn to close the connection: the client's next write
# fails, so it stops sending and reads the answer (httpx, curl and browsers do), instead of the server
# reading the rest of the body to keep the connection alive.
_CLOSE = [(b"connection", b"close")]


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
    """The bearer token: the first line of ``path``, which must not be empty, nor readable or writable by
    users other than its owner and group (a readable-by-group file gets a warning)."""
    try:
        mode = os.stat(path).st_mode
        token = Path(path).read_text(encoding="utf-8").strip().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise ServeError(f"cannot read the token file {path}: {reason}. Give a readable file holding one token.") from None
    if mode & (stat.S_IROTH | stat.S_IWOTH):
        raise ServeError(f"the token file {path} can be read or written by every user of this machine. "
                         f"Restrict it with: chmod 600 {path}")
    if mode & (stat.S_IRGRP | stat.S_IWGRP):
        log.warning("the token file %s can be read by its group; chmod 600 keeps it to its owner", path)
    if not token or not token[0].strip():
        raise ServeError(f"the token file {path} is empty. Put one token on its first line.")
    return token[0].strip()


def accepted_hosts(host: str, allow: tuple[str, ...] = ()) -> frozenset | None:
    """The names a Host header may give for a server bound to ``host``; None (any name) for an
    all-addresses bind without ``allow``."""
    extra = {name.strip().lower().strip("[]").rstrip(".") for name in allow if name.strip()}
    if host in ("0.0.0.0", "::", ""):
        return frozenset(extra | set(LOOPBACK)) if extra else None
    bound = host.strip("[]").lower()
    if bound in LOOPBACK or bound.startswith("127."):
        return frozenset({*LOOPBACK, bound, *extra})
    return frozenset({bound, *extra})


@dataclass(frozen=True)
class _AppFactory:
    """Builds the app in a worker process (pickled to each one); sets the worker's logging."""

    settings: ServeSettings
    log_level: int

    def __call__(self):
        from notecheck.quiet import silence_libraries

        logging.basicConfig(level=self.log_level, format="notecheck: %(message)s")
        silence_libraries()
        log.setLevel(logging.INFO)
        return create_app(self.settings)


def _config(app, **options):
    import uvicorn

    from notecheck.serve.linger import LingeringH11Protocol

    return uvicorn.Config(app, http=LingeringH11Protocol, access_log=False, server_header=False,
                          limit_concurrency=MAX_CONNECTIONS, timeout_keep_alive=5, log_level="info", **options)


def _serve(app, sock: socket.socket) -> bool:
    """Serve ``app`` on ``sock`` until stopped; False if it never started."""
    import uvicorn

    server = uvicorn.Server(_config(app))
    try:
        server.run(sockets=[sock])
    except SystemExit:
        pass
    return server.started


@dataclass(frozen=True)
class _Worker:
    """One worker process of ``--workers N`` (notecheck.serve.workers): builds its app, serves on its socket."""

    factory: _AppFactory

    def __call__(self, sock: socket.socket) -> None:
        from notecheck.serve.workers import STARTUP_FAILURE

        try:
            app = self.factory()
        except Exception as exc:  # noqa: BLE001  (its type only: never a note's text)
            log.error("a worker could not build the checker (%s)", type(exc).__name__)
            raise SystemExit(STARTUP_FAILURE) from None
        if not _serve(app, sock):
            raise SystemExit(STARTUP_FAILURE)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def run(settings: ServeSettings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Serve until interrupted, with ``workers`` processes (each builds its Checker once).
    Raises ServeError when fastapi/uvicorn are missing, the port cannot be bound or a worker cannot start."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise ServeError("the service needs fastapi and uvicorn. Install them with: pip install 'notecheck[serve]'") from None
    from notecheck.serve import workers as pool

    if host not in LOOPBACK and not settings.token:
        log.warning("serving on %s without a token: anyone who can reach it can use it; pass --token-file", host)
    log.setLevel(logging.INFO)
    if workers == 1:
        app = create_app(settings)  # a broken rule pack raises here, before the port is taken
    else:
        from notecheck.rules import load_rules

        load_rules(settings.rules_dir)  # the same check once, here, rather than a failure in every worker
        factory = _AppFactory(settings, logging.getLogger().getEffectiveLevel())
    balanced = workers > 1 and pool.balanced()
    try:
        sock = pool.bind(host, port, reuse_port=balanced)
    except OSError:
        raise ServeError(f"could not listen on {host}:{port} (in use, or not an address of this machine). "
                         "Pick another --port.") from None
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    log.info("listening on http://%s:%d with %d worker%s", shown, port, workers, "s" * (workers > 1))
    try:
        if workers == 1:
            if not _serve(app, sock):
                raise ServeError(f"the service could not start on {host}:{port}; see the lines above.")
        elif balanced:  # the supervisor keeps the port bound; each worker listens on a socket of its own
            if not pool.supervise(_Worker(factory), host, port, workers):
                raise ServeError("a worker could not start; see the lines above.")
        else:  # one socket shared by uvicorn's workers
            from uvicorn.config import STARTUP_FAILURE
            from uvicorn.supervisors import Multiprocess

            sock.set_inheritable(True)
            supervisor = Multiprocess(_config(factory, factory=True, workers=workers), sockets=[sock])
            supervisor.run()
            if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes):
                raise ServeError("a worker could not start; see the lines above.")
    finally:
        sock.close()
