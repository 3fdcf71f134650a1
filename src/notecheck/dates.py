"""Dates of service as exports write them, read into a ``datetime.date``.

    >>> parse_service_date("06/01/2025")
    datetime.date(2025, 6, 1)

Forms read without options (a time part after the date is allowed and ignored):

* ISO 8601: ``2025-06-01``, ``2025-06-01T14:30:00Z``, ``2025-06-01 14:30:00.000+02:00``, ``2025/06/01``
* US month first: ``06/01/2025``, ``6/1/2025``, ``6/1/25``, ``06-01-2025``, ``06/01/2025 2:30 PM``
* compact: ``20250601``, ``20250601143000`` (HL7 style)
* month names: ``Jun 1, 2025``, ``June 1 2025``, ``1 Jun 2025``, ``01-JUN-2025``

A day-first date (``13/06/2025``) is never guessed: give ``date_format`` (a ``strptime`` format such as
``%d/%m/%Y``), which is tried first, on the value and on its date part before a time. With a format given,
a value with the ``06/01/2025`` shape that does not fit it is an error, never read month first. Two-digit years are 2000-2068 for ``00``-``68`` and 1969-1999
otherwise (as ``strptime``'s ``%y``).
"""

from __future__ import annotations

import datetime as dt
import re

from .errors import NotecheckError

MIN_YEAR, MAX_YEAR = 1900, 2100

_TIME = r"(?:[T ]\d{1,2}(?::\d{2}){0,2}(?:[.,]\d+)?\s*(?:[AaPp]\.?[Mm]\.?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)?)?"
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME)
_US = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})" + _TIME)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})(?:\d{2}(?:\d{2}(?:\d{2}(?:\.\d+)?)?)?)?(?:Z|[+-]\d{4})?")
_NAMED = (
    "%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%B-%Y", "%d-%b-%y", "%b %d %y",
)
_NAMED_CLEAN = re.compile(r"[,]|(?<=\d)(?:st|nd|rd|th)\b", re.I)
_NAMED_TIME = re.compile(r"\s+\d{1,2}:\d{2}.*$")
# what a date cell may show in a message: digits, date punctuation and month names, nothing of a note
_SHOWABLE = re.compile(
    r"[0-9 /.:,+TZ-]{1,40}|(?:[0-9 /.:,+-]|jan\w*|feb\w*|mar\w*|apr\w*|may|jun\w*|jul\w*|aug\w*|sep\w*|oct\w*|"
    r"nov\w*|dec\w*|[ap]m|utc|gmt){1,40}",
    re.I,
)


class DateError(NotecheckError):
    """A date of service that cannot be read, or a --date-format that is not a strptime format."""

    code = "E020"


def check_date_format(date_format: str) -> str:
    """``date_format`` if ``strptime`` accepts it as a format with a day in it; else DateError."""
    if "%" not in date_format:
        raise DateError(f"--date-format {date_format!r} has no % directive; write it as for strptime, e.g. %d/%m/%Y")
    try:
        dt.datetime.strptime(dt.date(2001, 2, 3).strftime(date_format), date_format)
    except ValueError as exc:
        raise DateError(f"--date-format {date_format!r} is not a strptime format ({exc})") from None
    return date_format


def parse_service_date(value: str, date_format: str | None = None) -> dt.date:
    """The date in ``value``; raises DateError saying why when it is not one (the message quotes the
    value only when it holds nothing but digits, date punctuation and month names)."""
    raw = value.strip()
    if date_format:
        for written in (raw, _without_time(raw)):  # "06/01/2025 14:30" under %d/%m/%Y: the date part
            try:
                return _checked(dt.datetime.strptime(written, date_format).date())
            except ValueError:
                pass
    for parse in (_iso, _us, _compact, _named):
        if parse is _us and date_format:
            # the user named how dates are written: a month-first guess could swap day and month
            continue
        try:
            found = parse(raw)
        except ValueError:
            hint = "; read as month/day/year: if the day comes first, give --date-format %d/%m/%Y" if parse is _us else ""
            raise DateError(f"{describe(raw)} is not a valid date{hint}") from None
        if found is not None:
            return _checked(found)
    tried = f"the format {date_format} nor " if date_format else ""
    raise DateError(f"{describe(raw)} fits neither {tried}a known date form (YYYY-MM-DD, MM/DD/YYYY, YYYYMMDD); "
                    "name its form with --date-format, e.g. %d/%m/%Y")


def _without_time(raw: str) -> str:
    """``raw`` without a time after its date ("06/01/2025 2:30 PM", "2025-06-01T14:30")."""
    m = re.match(r"(.+?)" + _TIME + r"$", raw)
    return m[1] if m else raw


def describe(raw: str) -> str:
    """The value quoted when it can only be a date, else just its length."""
    if _SHOWABLE.fullmatch(raw):
        return f"'{raw}'"
    return f"the value ({len(raw)} characters)"


def _checked(day: dt.date) -> dt.date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise DateError(f"{day.isoformat()} is outside {MIN_YEAR}-{MAX_YEAR}; check the date column")
    return day


def _iso(raw: str) -> dt.date | None:
    m = _ISO.fullmatch(raw)
    return dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None


def _us(raw: str) -> dt.date | None:
    m = _US.fullmatch(raw)
    if not m:
        return None
    year = int(m[4])
    if len(m[4]) == 2:
        year += 2000 if year <= 68 else 1900
    return dt.date(year, int(m[1]), int(m[3]))


def _compact(raw: str) -> dt.date | None:
    m = _COMPACT.fullmatch(raw)
    return dt.date(int(m[1]), int(m[2]), int(m[3])) if m else None


def _named(raw: str) -> dt.date | None:
    if not re.search(r"[A-Za-z]{3}", raw):
        return None
    clean = " ".join(_NAMED_TIME.sub("", _NAMED_CLEAN.sub(" ", raw)).split())
    for form in _NAMED:
        try:
            return dt.datetime.strptime(clean, form).date()
        except ValueError:
            continue
    return None
