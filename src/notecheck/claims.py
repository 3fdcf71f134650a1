"""Billed codes in claim-line syntax: ``CODE[-MODIFIER...][ xUNITS]``, lines separated by , or ;

    "64642-RT, 64643-LT"  ->  ClaimLine("64642", ("RT",), 1), ClaimLine("64643", ("LT",), 1)
    "64640-LT x2"         ->  ClaimLine("64640", ("LT",), 2)

Codes written in a note ("PROCEDURE CODES: 64640 times three, 95873 x4") are read more leniently.
"""

from __future__ import annotations

import re

from .caseless import Caseless, lowered
from .errors import ClaimSyntaxError
from .models import ClaimLine

_LINE = re.compile(
    r"^\s*\+?(?P<code>[0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})(?P<mods>(?:\s*-\s*[0-9A-Z]{2})*)(?:\s*[x×*]\s*(?P<units>[0-9]{1,3}))?\s*$",
    re.I,
)
_WORD_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_IN_TEXT_LABEL = Caseless(r"(?:procedure codes?|cpt(?:\s+codes?)?|codes? billed|billed codes?|billing codes?|hcpcs)\s*:\s*,?")
_IN_TEXT_CODE = re.compile(
    r"\+?\b(?P<code>6[0-9]{3}[0-9]|[0-9]{4}[0-9T])\b(?P<mods>(?:-(?:LT|RT|50|59|XS|XU|KX|GA|26|TC|76|77))*)"
    r"(?:\s*(?:[x×*]\s*|times\s+)(?P<units>[0-9]{1,3}|one|two|three|four|five|six|seven|eight|nine|ten))?",
    re.I,
)


def parse_claims(text: str) -> tuple[ClaimLine, ...]:
    """Strict parse of a billed-code string; raises ClaimSyntaxError naming the bad line."""
    lines = []
    for part in re.split(r"[;,]", text or ""):
        if not part.strip():
            continue
        m = _LINE.match(part)
        if m is None:
            raise ClaimSyntaxError(
                f"'{part.strip()}' is not a claim line. Write CODE[-MODIFIER...][ xUNITS], e.g. '64640-LT x2', "
                "and separate lines with commas."
            )
        mods = tuple(x.strip().upper() for x in m.group("mods").split("-") if x.strip())
        units = int(m.group("units")) if m.group("units") else 1
        if units < 1:
            raise ClaimSyntaxError(f"'{part.strip()}': units must be at least 1.")
        lines.append(ClaimLine(m.group("code").upper(), mods, units))
    return tuple(lines)


def claims_in_text(text: str) -> tuple[ClaimLine, ...]:
    """Codes the note itself lists after a label such as "PROCEDURE CODES:" or "CPT:"."""
    lines = []
    for label in _IN_TEXT_LABEL.finditer(text, lowered(text)):
        end = text.find("\n", label.end())
        chunk = text[label.end(): end if end != -1 else len(text)]
        # in comma-joined exports the next ALL-CAPS header ends the list
        header = re.search(r",\s*[A-Z][A-Z /]{3,}:", chunk)
        if header:
            chunk = chunk[: header.start()]
        for m in _IN_TEXT_CODE.finditer(chunk):
            units = m.group("units")
            n = int(units) if units and units.isdigit() else _WORD_UNITS.get((units or "").lower(), 1)
            mods = tuple(x.upper() for x in m.group("mods").split("-") if x)
            lines.append(ClaimLine(m.group("code").upper(), mods, n))
    return tuple(lines)
