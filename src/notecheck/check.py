"""The library entry point: notes in, NoteResults out.

    checker = Checker()
    result = checker.check("Left obturator nerve ... 5 mL of 6% phenol ...", codes="64640-LT")
    for result in checker.check_many(read_notes(["notes/"]), jobs=2): ...
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing as mp
import os
import signal
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from functools import lru_cache
from itertools import chain, islice
from pathlib import Path

from .audit import audit
from .claims import claims_in_text, parse_claims
from .dates import DateError, check_date_format, parse_service_date
from .edits import load_edits
from .errors import ClaimSyntaxError, InputError
from .extract import Extractor
from .lazy import gc_paused
from .models import STATUS_RANK, SURROGATE, NoteError, NoteInput, NoteResult, NoteWarning, ReadError, is_flagged, printable
from .patients import Ledger
from .pipeline import build_pipeline, sentence_starts
from .policy import note_checks
from .profiles import load_profile
from .renderers.jsonl import json_line
from .rules import RulePack, load_rules

FINDING = "finding"  # the label context_of gives a span: every cue reaches it but those kept for our elements
# new strings in spaCy's vocabulary (record numbers, dates, times ...) after which the pipeline is rebuilt: about a
# kilobyte each with the tokenizer's cache, so about 15 MB; a rebuild takes half a second (see _renew_pipeline)
RENEW_STRINGS = 15_000


class Checker:
    """Builds the pipeline once; checks one note or a stream of them.

    Building it ends with ``gc.freeze()`` (see ``_freeze``): the garbage collector then no longer walks
    the pipeline's hundred thousand objects, which makes checking about a quarter faster.
    """

    def __init__(self, rules_dir: str | Path | None = None, keep_text: bool = False, date_format: str | None = None,
                 edits_dir: str | Path | None = None, profile: str | None = None):
        """``date_format`` (a strptime format) is tried first on every date of service (see ``dates``);
        ``edits_dir`` holds CMS's MUE and PTP tables (see ``edits``); ``profile`` names a payer profile."""
        with gc_paused():  # everything built here stays alive: no collection while it is built
            self.date_format = check_date_format(date_format) if date_format else None
            self.rules: RulePack = load_rules(rules_dir)
            self.edits_dir = str(edits_dir) if edits_dir else None
            self.edits = load_edits(edits_dir) if edits_dir else None  # CMS MUE/PTP tables (--edits)
            self.rules_dir = str(self.rules.root)
            self.profile = load_profile(self.rules, profile)  # its adjusted code rules score the notes
            self.nlp = _unbounded(build_pipeline(self.rules))
            self._strings_built = len(self.nlp.vocab.strings)
            self.extractor = Extractor(self.rules)
            self.keep_text = keep_text
        _freeze()

    def check(self, note: NoteInput | str, codes: str | None = None, service_date: str | None = None) -> NoteResult:
        if isinstance(note, str):
            note = NoteInput(id="note", source="<text>", text=note, codes=codes, service_date=service_date)
        return next(self.check_many([note]))

    def context_of(self, text: str, spans: Iterable[tuple[int, int]]) -> list[frozenset[str]]:
        """For each ``(start, end)`` character span of ``text``, the context reasons that apply to it as a
        clinical finding: a subset of ``negated``, ``historical``, ``hypothetical``, ``planned``,
        ``other_experiencer`` (empty: affirmed, current, the patient's). See ``notecheck.context_of``."""
        spans = list(spans)
        doc = self.nlp.get_pipe("notecheck_sentences")(self.nlp.make_doc(text))
        targets: list[tuple[int, int, str] | None] = []
        for n, (start, end) in enumerate(spans):
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
                raise InputError(f"span {n} ({start!r}, {end!r}) is not a (start, end) character range inside "
                                 f"the text of {len(text)} characters. Give 0 <= start < end <= len(text).")
            span = doc.char_span(start, end, alignment_mode="expand")
            targets.append((span.start, span.end, FINDING) if span is not None and len(span) else None)
        links = self.nlp.get_pipe("notecheck_context").engine.link(doc, [t for t in targets if t is not None],
                                                                   sentence_starts(doc))
        return self.extractor.finding_reasons(doc, targets, links)

    def check_many(
        self, items: Iterable[NoteInput | ReadError], batch_size: int = 64, jobs: int = 1, ledger: Ledger | None = None
    ) -> Iterator[NoteResult]:
        """One NoteResult per item, in input order; read errors pass through as error results.

        The checks that read a patient's earlier notes run here, in the parent and in input order, after the
        workers return (``patients.Ledger``): the same answers with any number of jobs."""
        ledger = ledger if ledger is not None else Ledger(self.profile)
        if jobs > 1:
            results = _parallel(self, items, batch_size, jobs)
        else:
            it = iter(items)
            results = (r for chunk in iter(lambda: list(islice(it, batch_size)), []) for r in self._check_chunk(chunk))
        for result in results:
            yield ledger.apply(result)

    def check_lines(self, items: Iterable[NoteInput | ReadError], include_text: bool = True, batch_size: int = 64,
                    jobs: int = 1) -> Iterator[Line]:
        """For the JSON writers: ``(record as JSON text, status, flagged)`` per item, in input order. Worker
        processes send these rather than NoteResults: a line is one string to pickle where a NoteResult is a
        tree of objects, and this process, which writes every record, has no NoteResult to turn into one.

        The checks across a patient's notes are not run: use it only when the profile has none
        (``Ledger.active`` is false; ``check_many`` would then return the same records)."""
        if jobs > 1:
            yield from _parallel(self, items, batch_size, jobs, include_text)
        else:
            for chunk in _chunks(items, batch_size):
                yield from _lines(self._check_chunk(chunk), include_text)

    def _check_chunk(self, chunk: list[NoteInput | ReadError]) -> list[NoteResult]:
        chunk, replaced = _valid_texts(chunk)
        notes = [x for x in chunk if isinstance(x, NoteInput)]
        self._renew_pipeline()
        try:
            docs = list(self.nlp.pipe(n.text for n in notes))
        except Exception:  # noqa: BLE001 - one note broke the pipeline: run them one by one to find it
            docs = [self._doc(n) for n in notes]
        docs_iter = iter(docs)
        out = []
        for position, item in enumerate(chunk):
            if isinstance(item, ReadError):
                out.append(self.error_result(item.id, item.source, item.kind, item.message))
                continue
            doc = next(docs_iter)
            try:
                if isinstance(doc, Exception):
                    raise doc
                result = self._result(item, doc)
                if position in replaced:
                    result = replace(result, warnings=result.warnings + (REPLACED_WARNING,))
                out.append(printable(result))
            except Exception as exc:  # noqa: BLE001 - one bad note must not end the batch
                out.append(self._failed(item, exc))
        return out

    def _doc(self, note: NoteInput):
        try:
            return self.nlp(note.text)
        except Exception as exc:  # noqa: BLE001 - becomes this note's error record
            return exc

    def _failed(self, item: NoteInput, exc: Exception) -> NoteResult:
        # the message names the exception type only: its text could quote the note
        return self.error_result(item.id, item.source, "internal",
                                 f"{item.source}: notecheck failed on this note ({type(exc).__name__})")

    def _renew_pipeline(self) -> None:
        """spaCy keeps every new string it meets (ids, dates, times) in the pipeline's vocabulary, and its
        tokenizer caches their words, for the pipeline's life. Once the vocabulary has RENEW_STRINGS more
        strings than when the pipeline was built, the pipeline is built afresh: memory stays flat over millions
        of notes, in every worker process (each counts its own), however many notes it takes to get there.
        A rebuilt pipeline checks every note as the first did."""
        if len(self.nlp.vocab.strings) - self._strings_built > RENEW_STRINGS:
            self.nlp = None
            _release()  # the old pipeline is freed before the new one is built: one pipeline in memory at a time
            with gc_paused():
                self.nlp = _unbounded(build_pipeline(self.rules))
            self._strings_built = len(self.nlp.vocab.strings)
            gc.freeze()

    def error_result(self, note_id: str, source: str, kind: str, message: str, columns: tuple = (), **read) -> NoteResult:
        """The record of a note that could not be checked; ``read``: what was read of it all the same
        (``patient``, ``service_date``, ``service_date_source``, ``warnings``)."""
        return printable(NoteResult(
            id=note_id, source=source, status="error", score=None, rules_version=self.rules.version,
            error=NoteError(kind, message), columns=columns, profile=self.profile.name, procedure_documented=None,
            **read,
        ))

    def _result(self, note: NoteInput, doc) -> NoteResult:
        findings, documented = self.extractor(doc)
        day, day_source, warnings = self._service_date(note)
        try:
            claims = parse_claims(note.codes) if note.codes else claims_in_text(note.text)
            if not claims and note.default_codes:
                claims = parse_claims(note.default_codes)
        except ClaimSyntaxError as exc:
            return self.error_result(note.id, note.source, "bad_code", f"{note.source}: billed codes: {exc.message}",
                                     note.columns, patient=note.patient, warnings=warnings, service_date_source=day_source,
                                     service_date=None if day is None else day.isoformat())
        codes, unsupported = audit(claims, findings, self.profile.scoring, day, note.text, self.edits)
        codes = note_checks(self.profile, codes, findings, note.text)
        if codes:
            status = max((c.status for c in codes), key=STATUS_RANK.__getitem__)
            score = min(c.score for c in codes)
        else:
            status, score = "no_code", None
        return NoteResult(
            id=note.id,
            source=note.source,
            status=status,
            score=score,
            elements=findings,
            codes=codes,
            rules_version=self.rules.version,
            unsupported_codes=unsupported,
            text=note.text if self.keep_text else None,
            procedure_documented=documented,
            service_date=None if day is None else day.isoformat(),
            service_date_source=day_source,
            warnings=warnings,
            columns=note.columns,
            profile=self.profile.name,
            patient=note.patient,
        )

    def _service_date(self, note: NoteInput) -> tuple[dt.date | None, str, tuple[NoteWarning, ...]]:
        """The date that picks the rules, where it came from, and a warning when the given one is unreadable
        (then no date is used: the newest rules of each code, as for a note without a date)."""
        if not note.service_date or not note.service_date.strip():
            return None, "none", ()
        day = _parse_date(note.service_date, self.date_format)
        if isinstance(day, dt.date):
            return day, "column", ()
        return None, "unreadable", (NoteWarning(
            "bad_service_date", f"{note.source}: date of service: {day}; the newest rules of each code were used"),)


Line = tuple[str, str, bool]  # a record as JSON text, its status, whether it is flagged (Checker.check_lines)


def _lines(results: Iterable[NoteResult], include_text: bool) -> list[Line]:
    return [(json_line(r, include_text), r.status, is_flagged(r)) for r in results]


REPLACED_WARNING = NoteWarning("invalid_unicode", "text held characters that are not valid Unicode (lone surrogates): "
                                                  "each was read as U+FFFD")


def _valid_texts(chunk: list) -> tuple[list, set[int]]:
    """Lone surrogates in a note's text (possible in text handed to the library directly; the readers
    make them an ``encoding`` error) become U+FFFD, one for one, so that offsets still fit and every
    writer can write the evidence. Returns the chunk and the positions of the notes changed."""
    replaced = {i for i, x in enumerate(chunk) if isinstance(x, NoteInput) and SURROGATE.search(x.text)}
    if not replaced:
        return chunk, replaced
    return [replace(x, text=SURROGATE.sub("\ufffd", x.text)) if i in replaced else x for i, x in enumerate(chunk)], replaced


def _unbounded(nlp):
    """Lift spaCy's own length limit (``max_length``, 1,000,000 characters): it guards the memory of parsers
    this pipeline does not have. The readers' ``max_note_bytes`` is the one limit on a note's size
    (a UTF-8 byte limit, so it also bounds the characters)."""
    nlp.max_length = sys.maxsize
    return nlp


_PIPELINE_FROZEN = False  # whether a Checker froze a pipeline in this process


def _freeze() -> None:
    """Move every object alive into the permanent generation, which collections skip. Frozen objects are never
    freed, so this runs only when a pipeline has just been built, and first frees what is garbage (``_release``)
    if a pipeline was frozen before (another Checker's, maybe gone now): at the first build none was (only the
    modules notecheck's import froze, ``lazy.gc_paused``), and the collection (a tenth of a second of a
    one-note scan's start-up) is left out."""
    global _PIPELINE_FROZEN
    if _PIPELINE_FROZEN:
        _release()
    _PIPELINE_FROZEN = True
    gc.freeze()


def _release() -> None:
    """Unfreeze what ``_freeze`` froze and collect what is garbage now (a pipeline that was replaced, say)."""
    gc.unfreeze()
    gc.collect()


@lru_cache(maxsize=4096)
def _parse_date(value: str, date_format: str | None) -> dt.date | str:
    """The date, or why it is not one (exports repeat the same few dates: parsed once each)."""
    try:
        return parse_service_date(value, date_format)
    except DateError as exc:
        return exc.message


# ---------------------------------------------------------------------- processes

_WORKER: Checker | None = None
_PARENT: Checker | None = None  # set while a pool forks: its workers inherit the parent's Checker
IN_FLIGHT_PER_JOB = 4  # chunks handed to the pool per worker ahead of the one being written


def _init_worker(rules_dir: str, keep_text: bool, date_format: str | None, edits_dir: str | None = None,
                 profile: str | None = None) -> None:
    global _WORKER
    _die_with_parent()
    _WORKER = _PARENT if _PARENT is not None else Checker(rules_dir, keep_text=keep_text, date_format=date_format,
                                                          edits_dir=edits_dir, profile=profile)


def _die_with_parent() -> None:
    """A worker stops quietly when the scan stops: Ctrl-C is the parent's to handle, and writing to the
    pipe of a parent that is gone ends the worker (SIGPIPE) instead of printing a BrokenPipeError.
    On Linux a worker also gets SIGTERM when its parent dies, so none is left behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            pass


def _work(chunk: list[NoteInput | ReadError], include_text: bool | None = None) -> list[NoteResult] | list[Line]:
    """A chunk's NoteResults, or with ``include_text`` given (True/False) its records as lines (``check_lines``)."""
    assert _WORKER is not None
    results = _WORKER._check_chunk(chunk)
    return results if include_text is None else _lines(results, include_text)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class _Pool:
    """Worker processes. Forked workers start with the parent's pipeline (spawned ones build their own)."""

    def __init__(self, checker: Checker, jobs: int):
        self.checker, self.jobs = checker, jobs
        self.fork = os.name == "posix"
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        global _PARENT
        _PARENT = self.checker if self.fork else None
        return ProcessPoolExecutor(self.jobs, mp_context=mp.get_context("fork" if self.fork else "spawn"),
                                   initializer=_init_worker,
                                   initargs=(self.checker.rules_dir, self.checker.keep_text, self.checker.date_format,
                                             self.checker.edits_dir, self.checker.profile.name))

    def submit(self, chunk: list, include_text: bool | None = None) -> Future:
        try:
            return self.executor.submit(_work, chunk, include_text)
        except BrokenProcessPool as exc:  # a worker died since the last result: this chunk is lost with the others
            lost: Future = Future()
            lost.set_exception(exc)
            return lost

    def restart(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._start()

    def close(self, wait: bool) -> None:
        global _PARENT
        self.executor.shutdown(wait=wait, cancel_futures=True)
        _PARENT = None


def _parallel(checker: Checker, items, batch_size: int, jobs: int, include_text: bool | None = None) -> Iterator:
    """Results in input order, with at most ``IN_FLIGHT_PER_JOB * jobs`` chunks read ahead; with
    ``include_text`` given, their lines (``Checker.check_lines``). An input of one chunk is checked here:
    starting processes for it would only cost time.

    A worker that dies (killed, out of memory) loses the chunks in flight: each is run again alone in a
    fresh pool, and a chunk that kills its worker a second time becomes ``worker_died`` error records.
    """
    def out(results: list[NoteResult]) -> list:
        return results if include_text is None else _lines(results, include_text)

    chunks = _chunks(items, batch_size)
    first = next(chunks, None)
    second = next(chunks, None) if first is not None else None
    if second is None:
        yield from out(checker._check_chunk(first) if first is not None else [])
        return
    chunks = chain((first, second), chunks)
    pool = _Pool(checker, jobs)
    pending: deque = deque()
    finished = False
    try:
        while True:
            while len(pending) < IN_FLIGHT_PER_JOB * jobs and (chunk := next(chunks, None)) is not None:
                pending.append((chunk, pool.submit(chunk, include_text)))
            if not pending:
                break
            chunk, future = pending.popleft()
            try:
                yield from future.result()
            except BrokenProcessPool:
                lost = [chunk] + [c for c, _ in pending]
                pending.clear()
                pool.restart()
                for chunk in lost:
                    yield from _alone(pool, checker, chunk, out, include_text)
            except Exception as exc:  # noqa: BLE001 - a chunk that cannot be sent or returned
                yield from out(list(_chunk_errors(checker, chunk, "internal",
                                                  f"notecheck failed on this note ({type(exc).__name__})")))
        finished = True
    finally:
        pool.close(wait=finished)


def _alone(pool: _Pool, checker: Checker, chunk: list, out, include_text: bool | None) -> Iterator:
    try:
        results = pool.submit(chunk, include_text).result()
    except BrokenProcessPool:
        pool.restart()
        results = out(list(_chunk_errors(checker, chunk, "worker_died",
                                         "the worker process checking this note died (killed, or out of memory)")))
    except Exception as exc:  # noqa: BLE001
        results = out(list(_chunk_errors(checker, chunk, "internal", f"notecheck failed on this note ({type(exc).__name__})")))
    yield from results


def _chunk_errors(checker: Checker, chunk: list, kind: str, what: str) -> Iterator[NoteResult]:
    for item in chunk:
        if isinstance(item, ReadError):
            yield checker.error_result(item.id, item.source, item.kind, item.message)
        else:
            yield checker.error_result(item.id, item.source, kind, f"{item.source}: {what}")
