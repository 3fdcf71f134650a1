"""Plain result types handed from one step to the next.

reader -> NoteInput -> spaCy Doc -> ElementFinding -> CodeResult -> NoteResult -> renderer

All are small frozen dataclasses; ``to_record`` turns a NoteResult into the JSON output contract.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, dataclass, field, fields, replace
from operator import attrgetter

CORE_ELEMENTS: tuple[str, ...] = (
    "nerve_target",
    "agent",
    "volume",
    "imaging",
    "laterality",
    "consent",
    "indication",
    "placement_confirmation",
    "response",
    "follow_up",
    "muscles",
)
# What payer profiles ask for (patterns/profiles/): prerequisites and drug records, same rule as above
POLICY_ELEMENTS: tuple[str, ...] = ("prior_block_relief", "pain_scores", "functional_assessment", "toxin_units", "wastage")
ELEMENTS: tuple[str, ...] = CORE_ELEMENTS + POLICY_ELEMENTS

STATUS_RANK = {"complete": 0, "no_code": 1, "incomplete": 2, "error": 3}


def fast_init(cls):
    """A frozen dataclass's ``__init__`` that sets each field through its slot (or the instance's dict) directly.
    The generated one calls ``object.__setattr__`` per field, which looks the attribute up on the type first:
    nearly twice as slow, and the audit makes tens of these per note. Same signature and defaults; a class
    with a ``__post_init__``, a default factory or a field outside the plain signature keeps its own."""
    fs = fields(cls)
    if hasattr(cls, "__post_init__") or any(f.default_factory is not MISSING or not f.init or f.kw_only for f in fs):
        return cls
    ns: dict = {}
    params = []
    for f in fs:
        if f.default is MISSING:
            params.append(f.name)
        else:
            ns[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
    if "__slots__" in cls.__dict__:
        ns.update({f"_s_{f.name}": cls.__dict__[f.name].__set__ for f in fs})
        body = "".join(f"    _s_{f.name}(self, {f.name})\n" for f in fs)
    else:
        body = "    d = self.__dict__\n" + "".join(f"    d[{f.name!r}] = {f.name}\n" for f in fs)
    exec(f"def __init__(self, {', '.join(params)}):\n{body}", ns)  # noqa: S102 - field names only
    ns["__init__"].__qualname__ = f"{cls.__qualname__}.__init__"
    ns["__init__"].__doc__ = cls.__init__.__doc__
    cls.__init__ = ns["__init__"]
    return cls


def _pickled_by_fields(cls):
    """Pickle as the class and its field values. The default for slotted frozen dataclasses calls
    ``fields()`` and ``object.__setattr__`` per field, a third slower, and every result a worker process
    checks comes back to the parent pickled."""
    values = attrgetter(*(f.name for f in fields(cls)))

    def __reduce__(self):
        return cls, values(self)

    cls.__reduce__ = __reduce__
    return cls


@_pickled_by_fields
@fast_init
@dataclass(frozen=True, slots=True)
class NoteInput:
    """One note as a reader hands it over. ``codes`` is the raw billed-code string, if any;
    ``default_codes`` (``--code``) are billed only when neither ``codes`` nor the note's own text
    names any. ``service_date`` is the date cell as written. ``columns`` are pass-through columns
    (``--keep-col``): (name, value) pairs carried into the result."""

    id: str
    source: str
    text: str
    codes: str | None = None
    service_date: str | None = None
    default_codes: str | None = None
    columns: tuple[tuple[str, str | None], ...] = ()
    patient: str | None = None  # the export's patient column: checks across a patient's notes


@_pickled_by_fields
@fast_init
@dataclass(frozen=True, slots=True)
class NoteError:
    kind: str
    message: str


@_pickled_by_fields
@fast_init
@dataclass(frozen=True, slots=True)
class NoteWarning:
    """Something an auditor should know about a note that was checked all the same (``bad_service_date``)."""

    kind: str
    message: str


@_pickled_by_fields
@fast_init
@dataclass(frozen=True, slots=True)
class ReadError:
    """A note (or a whole file) that could not be read. Carries no note text."""

    id: str
    source: str
    kind: str
    message: str


@_pickled_by_fields
@fast_init
@dataclass(frozen=True, slots=True)
class Evidence:
    """A mention in the note. ``reason`` is None when it counts, else why it does not
    (negated, planned, hypothetical, historical, other_experiencer, placeholder, ...)."""

    start: int
    end: int
    text: str
    section: str | None
    value: str | None = None
    reason: str | None = None


@_pickled_by_fields
@fast_init
@dataclass(frozen=True, slots=True)
class ElementFinding:
    element: str
    present: bool
    values: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    excluded: tuple[Evidence, ...] = ()


@_pickled_by_fields
@fast_init
@dataclass(frozen=True, slots=True)
class ClaimLine:
    code: str
    modifiers: tuple[str, ...] = ()
    units: int = 1


@_pickled_by_fields
@fast_init
@dataclass(frozen=True, slots=True)
class Flag:
    kind: str
    message: str
    suggested_codes: tuple[str, ...] = ()
    check: str | None = None  # policy flags: the profile check that raised it (facet_rf_blocks ...)


@_pickled_by_fields
@fast_init
@dataclass(frozen=True, slots=True)
class CodeResult:
    code: str
    title: str
    modifiers: tuple[str, ...]
    units: int
    source: str  # "billed" | "inferred"
    status: str  # "complete" | "incomplete"
    score: int
    missing: tuple[str, ...]
    flags: tuple[Flag, ...] = ()
    reason: str | None = None  # why an inferred code was named
    rule_version: str | None = None


@_pickled_by_fields
@fast_init
@dataclass(frozen=True, slots=True)
class NoteResult:
    id: str
    source: str
    status: str
    score: int | None
    elements: dict[str, ElementFinding] = field(default_factory=dict)
    codes: tuple[CodeResult, ...] = ()
    rules_version: str = ""
    error: NoteError | None = None
    unsupported_codes: tuple[str, ...] = ()  # billed codes with no rule file
    text: str | None = None  # kept only for renderers that show the note (html)
    # whether the note documents a procedure performed in this encounter (a consult or a plan does not);
    # None for a note that could not be checked (an error record)
    procedure_documented: bool | None = True
    service_date: str | None = None  # ISO date that picked the rules; None: the newest rules of each code
    service_date_source: str = "none"  # "column" | "none" (no date given) | "unreadable" (see warnings)
    warnings: tuple[NoteWarning, ...] = ()
    columns: tuple[tuple[str, str | None], ...] = ()  # pass-through columns (--keep-col)
    profile: str = ""  # the payer profile the codes were scored with (patterns/profiles/)
    patient: str | None = None


def _evidence_record(ev: Evidence, include_text: bool) -> dict:
    rec = {"start": ev.start, "end": ev.end, "section": ev.section, "value": ev.value}
    if include_text:
        rec["text"] = ev.text
    if ev.reason is not None:
        rec["reason"] = ev.reason
    return rec


def _flag_record(flag: Flag) -> dict:
    rec = {"kind": flag.kind, "message": flag.message, "suggested_codes": list(flag.suggested_codes)}
    if flag.check is not None:
        rec["check"] = flag.check
    return rec


def to_record(result: NoteResult, include_text: bool = True) -> dict:
    """The output contract: one JSON-ready dict per note."""
    elements = {
        name: {
            "present": f.present,
            "values": list(f.values),
            "evidence": [_evidence_record(e, include_text) for e in f.evidence],
            "excluded": [_evidence_record(e, include_text) for e in f.excluded],
        }
        for name, f in result.elements.items()
    }
    codes = [
        {
            "code": c.code,
            "title": c.title,
            "modifiers": list(c.modifiers),
            "units": c.units,
            "source": c.source,
            "status": c.status,
            "score": c.score,
            "missing": list(c.missing),
            "flags": [_flag_record(f) for f in c.flags],
            "reason": c.reason,
            "rule_version": c.rule_version,
        }
        for c in result.codes
    ]
    error = None if result.error is None else {"kind": result.error.kind, "message": result.error.message}
    return {
        "id": result.id,
        "source": result.source,
        "status": result.status,
        "score": result.score,
        "elements": elements,
        "codes": codes,
        "procedure_documented": result.procedure_documented,
        "unsupported_codes": list(result.unsupported_codes),
        "rules_version": result.rules_version,
        "profile": result.profile,
        "patient": result.patient,
        "error": error,
        "service_date": result.service_date,
        "service_date_source": result.service_date_source,
        "warnings": [{"kind": w.kind, "message": w.message} for w in result.warnings],
        "columns": dict(result.columns),
    }


# Lone surrogates: bytes that did not fit the file's encoding (kept by ``surrogateescape``), file names
# that are not valid UTF-8, or JSON "\ud800" escapes. No UTF-8 writer can write them.
SURROGATE = re.compile("[\ud800-\udfff]")
ESCAPED = "escaped"  # the kind of the warning printable() adds


def _escape_one(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c - 0xDC00:02x}" if 0xDC80 <= c <= 0xDCFF else f"\\u{c:04x}"


def escape_surrogates(value: str) -> str:
    """``value`` with each lone surrogate written as a backslash escape: an undecodable byte as ``\\xff``,
    any other as ``\\ud800``. Text without one comes back unchanged (the same object)."""
    return SURROGATE.sub(_escape_one, value) if SURROGATE.search(value) else value


def printable(result: NoteResult) -> NoteResult:
    """``result`` with every id, source, message and text that holds a lone surrogate escaped, and a
    warning naming what was escaped, so that every writer (JSON, CSV, HTML, table) can write it."""
    changed: dict = {}
    for name in ("id", "source", "text"):
        value = getattr(result, name)
        if value is not None and SURROGATE.search(value):
            changed[name] = escape_surrogates(value)
    if result.error is not None and SURROGATE.search(result.error.kind + result.error.message):
        changed["error"] = NoteError(escape_surrogates(result.error.kind), escape_surrogates(result.error.message))
    if any(SURROGATE.search(code) for code in result.unsupported_codes):
        changed["unsupported_codes"] = tuple(escape_surrogates(code) for code in result.unsupported_codes)
    if any(SURROGATE.search(name) or (value and SURROGATE.search(value)) for name, value in result.columns):
        changed["columns"] = tuple((escape_surrogates(name), value and escape_surrogates(value)) for name, value in result.columns)
    if not changed:
        return result
    warning = NoteWarning(ESCAPED, f"{', '.join(changed)} written with backslash escapes (\\xNN, \\uNNNN): "
                                   "they held bytes or characters that are not valid Unicode")
    return replace(result, **changed, warnings=result.warnings + (warning,))


def is_flagged(result: NoteResult) -> bool:
    """Whether a result counts as flagged: a finding on a code, a billed code without rules, or a warning (an
    unreadable date). A policy note (a payer's coverage stance) is no failure."""
    return any(f.kind != "policy_note" for c in result.codes for f in c.flags) or bool(result.unsupported_codes) \
        or bool(result.warnings)
