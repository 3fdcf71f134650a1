"""Regular expressions matched regardless of case, fast.

With re.IGNORECASE, re can no longer skip ahead to where a match may start; on the lower-cased text a
pattern without capitals needs no flag and runs several times faster. Pure Python, no spaCy.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

try:
    from re import _parser as sre_parse  # Python 3.11+
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse  # type: ignore[no-redef]

_C = sre_parse  # opcodes: LITERAL, SUBPATTERN, BRANCH, MAX_REPEAT ...


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
        # sets of words every match holds one of: a text without any word of one set is not searched at all
        self.needs = needed_words(regex) if self.lower_case else None

    def finditer(self, text: str, lower: str | None, anchor: str | None = None,
                 seen: dict[str, bool] | None = None) -> Iterator[re.Match]:
        """Matches in ``text`` (``lower`` is ``lowered(text)``); with an anchor, only within about 60
        characters of each place it occurs. ``seen``: whether each word is in ``lower``, kept across the
        regexes run on one text (several need the same words)."""
        rx, subject = (self.lower_case, lower) if self.lower_case and lower is not None else (self.any_case, text)
        if self.needs is not None and subject is lower:
            seen = {} if seen is None else seen
            for option in self.needs:
                for word in option:
                    found = seen.get(word)
                    if found is None:
                        found = seen[word] = word in lower
                    if found:
                        break
                else:
                    return
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


def needed_words(regex: str, most: int = 12) -> tuple[tuple[str, ...], ...] | None:
    """Sets of strings such that every match of ``regex`` contains one string of each set, or None when the
    regex names none (a set of more than ``most`` strings is left out). ``\bentire vial (?:was )?used`` ->
    (("entire vial ",), ("used",)); ``(?:wasted|discarded)\b`` -> (("discarded", "wasted"),). Read from the
    parsed regex: a run of literal characters, a group, a repeat taken at least once, or an alternation each
    branch of which needs one; lookarounds and flags count for nothing. Used only to skip a search that cannot
    match (a text lacking every string of one set), so it errs towards None."""
    try:
        parsed = sre_parse.parse(regex)
    except re.error:
        return None
    if parsed.state.flags & re.IGNORECASE:  # (?i) on the lower-cased text: a few letters fold to others
        return None
    found = [o for o in _options(list(parsed)) if len(o) <= most]
    found.sort(key=_selective, reverse=True)  # the likeliest to be missing first
    return tuple(tuple(sorted(o)) for o in dict.fromkeys(found)) or None


def _selective(option: frozenset[str]) -> tuple[int, int]:
    return min(len(w) for w in option), -len(option)


def _options(items: list) -> list[frozenset[str]]:
    """Every set of strings one of which a match of the sequence ``items`` holds."""
    options: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            options.append(frozenset(("".join(run),)))
            run.clear()

    for op, av in items:
        if op is _C.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is _C.SUBPATTERN and not av[1] and not av[2]:  # a group without inline flags
            options += _options(list(av[3]))
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT) and av[0] >= 1:
            options += _options(list(av[2]))
        elif op is _C.BRANCH:
            branches = [_options(list(b)) for b in av[1]]
            if all(branches):
                options.append(frozenset().union(*(max(b, key=_selective) for b in branches)))
    flush()
    return options
