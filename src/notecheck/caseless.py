"""Regular expressions matched regardless of case, fast.

With re.IGNORECASE, re can no longer skip ahead to where a match may start; on the lower-cased text a
pattern without capitals needs no flag and runs several times faster. Pure Python, no spaCy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator


def lowered(text: str) -> str | None:
    """``text.lower()``, or None where lower-casing changes the length (a few Unicode letters do), since
    offsets found in it would no longer fit ``text``."""
    lower = text.lower()
    return lower if len(lower) == len(text) else None


class Caseless:
    """A regex matched regardless of case. Without upper-case letters it runs on the lower-cased text
    without re.IGNORECASE, which lets re skip ahead to where a match can start (several times faster)."""

    def __init__(self, regex: str):
        self.any_case = re.compile(regex, re.IGNORECASE)
        has_upper = re.search(r"[A-Z]", re.sub(r"\\.", "", regex)) is not None  # \S, \D ... are not letters
        self.lower_case = None if has_upper else re.compile(regex)

    def finditer(self, text: str, lower: str | None, anchor: str | None = None) -> Iterator[re.Match]:
        """Matches in ``text`` (``lower`` is ``lowered(text)``); with an anchor, only within about 60
        characters of each place it occurs."""
        rx, subject = (self.lower_case, lower) if self.lower_case and lower is not None else (self.any_case, text)
        if anchor is None or lower is None:
            yield from rx.finditer(subject)
            return
        windows: list[list[int]] = []  # [start, stop] from a word start to a word end, merged where they meet
        at = lower.find(anchor)
        while at != -1:
            start = lower.rfind(" ", 0, max(0, at - 60)) + 1
            stop = lower.find(" ", at + len(anchor) + 60)
            stop = len(lower) if stop == -1 else stop
            if windows and start <= windows[-1][1]:
                windows[-1][1] = stop
            else:
                windows.append([start, stop])
            at = lower.find(anchor, at + 1)
        for start, stop in windows:
            yield from rx.finditer(subject, start, stop)
