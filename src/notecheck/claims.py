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

# CPT: five digits, or four and F (category II), T (category III), U (lab analyses) or M (multianalyte);
# HCPCS level II: a letter and four digits
_CODE = r"[0-9]{5}|[0-9]{4}[FTUM]|[A-Z][0-9]{4}"
_LOOKALIKE = str.maketrans("OoIlL", "00111")  # letters typed for digits: 6464O, 6449l
_LINE = re.compile(
    r"^\s*\+?(?P<code>" + _CODE + r")(?P<mods>(?:\s*-\s*[0-9A-Z]{2})*)(?:\s*[x×*]\s*(?P<units>[0-9]{1,3}))?\s*$",
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
            _raise_for_lookalike(part)
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


def _raise_for_lookalike(part: str) -> None:
    """A code with a letter where CPT has a digit ("6464O-LT"): say which code was probably meant."""
    code = re.match(r"\s*\+?([0-9A-Za-z]{5})(?![0-9A-Za-z])", part)
    if code is None or re.fullmatch(_CODE, code[1], re.I):
        return
    meant = code[1].translate(_LOOKALIKE)
    hint = f" (did you mean {meant}, with digits for the letters?)" if meant.isdigit() else ""
    raise ClaimSyntaxError(f"'{code[1]}' is not a CPT or HCPCS code: a CPT code is five digits, or four digits and F, T, "
                           f"U or M, and a HCPCS code a letter and four digits{hint}.")


def claims_in_text(text: str) -> tuple[ClaimLine, ...]:
    """Codes the note itself lists after a label such as "PROCEDURE CODES:" or "CPT:"."""
    lines = []
    labels = list(_IN_TEXT_LABEL.finditer(text, lowered(text)))
    for label, following in zip(labels, labels[1:] + [None]):
        # a label's list runs to the end of its line or to the next label, whichever comes first
        end = text.find("\n", label.end())
        end = len(text) if end == -1 else end
        if following is not None:
            end = min(end, following.start())
        chunk = text[label.end(): end]
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
