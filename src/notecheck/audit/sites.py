"""Sites: each documented nerve target or injected muscle, with its side, spinal levels and the text around it.

A pure function of the findings and the note text (read only for spinal levels, interspaces and lesion
temperatures). Agent kinds come from elements/agent.yml; which kinds destroy is said here once."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..models import ElementFinding, Evidence, fast_init
from ..rules import RulePack

# Agent kinds (elements/agent.yml) that destroy a nerve or denervate a muscle, and those that do not.
TREATMENT_KINDS = frozenset({"neurolytic", "thermal", "cryo", "toxin"})
NON_DESTRUCTIVE_KINDS = frozenset({"local_anesthetic", "steroid", "nondestructive_energy"})
UNLISTED = "64999"  # where pulsed radiofrequency and low-temperature lesions are reported

SIDE_OF_MODIFIER = {"LT": {"left"}, "RT": {"right"}, "50": {"left", "right"}}
SIDE_OF_MODIFIER |= {m: {"left"} for m in ("TA", "T1", "T2", "T3", "T4", "FA", "F1", "F2", "F3", "F4")}
SIDE_OF_MODIFIER |= {m: {"right"} for m in ("T5", "T6", "T7", "T8", "T9", "F5", "F6", "F7", "F8", "F9")}
MODIFIER_OF_SIDE = {"left": "LT", "right": "RT"}

# Spinal levels: "L4", "T6", "L4-5", "L5-S1", "C2-3", "T6 to T8". Levels are numbered down the spine.
# also run together, as dictated: "L5S1", and "L34", "C56" for L3-4 and C5-6
_LEVEL = re.compile(r"\b([CTLS])([0-9]{1,2})(?:\s*(?:-|–|/|to|through)\s*([CTLS])?([0-9]{1,2})|([CTLS])([0-9]))?\b", re.I)
_LEVEL_MAX = {"C": 7, "T": 12, "L": 5, "S": 5}
_LEVEL_OFFSET = {"C": 0, "T": 7, "L": 19, "S": 24}
_REGION = {"C": "cervical", "T": "thoracic", "L": "lumbar", "S": "sacral"}
_REGION_WORD = re.compile(r"\b(cervical|thoracic|lumbar|lumbosacral|sacral)\b", re.I)
_JOINT_WORD = re.compile(r"\b(?:joints?|facets?|zygapophys\w*)\b", re.IGNORECASE)
_INTERSPACE = re.compile(r"inter\s?spaces?|web\s?spaces?|intermetatarsal|intercostal spaces|\bspaces\b", re.I)
_ORDINAL_VALUE = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
                  "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4,
                  "5th": 5, "6th": 6, "7th": 7, "8th": 8, "9th": 9, "10th": 10, "11th": 11, "12th": 12}
_CARDINAL_VALUE = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                   "ten": 10, "eleven": 11, "twelve": 12}
_ORDINAL = re.compile(r"\b(" + "|".join(_ORDINAL_VALUE) + r")\b", re.I)
# "the fourth to the tenth", "spaces four to eight"
_SPACE_RANGE = re.compile(r"\b(" + "|".join([*_ORDINAL_VALUE, *_CARDINAL_VALUE]) + r")\s+(?:to|through|-)\s+(?:the\s+)?("
                          + "|".join([*_ORDINAL_VALUE, *_CARDINAL_VALUE]) + r")\b", re.I)
_TEMPERATURE = re.compile(r"\b([0-9]{2,3})\s?(?:°|º|degrees?\b|deg\b|o?C\b)", re.I)
_COOLED = re.compile(r"\bcooled\b", re.I)
BOUNDARY = re.compile(r"\n|[.;!?](?=\s|,|$)")
_PLURAL = ("nerves", "branches", "rami", "blocks", "ganglia")
# what every match of a regex holds, tested on the lower-cased text of an ASCII note (Documentation._anywhere)
_HINTS = {
    _LEVEL: re.compile(r"[ctls][0-9]").search,
    _INTERSPACE: lambda low: "space" in low or "intermetatarsal" in low,
    _REGION_WORD: lambda low: "cervical" in low or "thoracic" in low or "lumbar" in low or "sacral" in low,
    _JOINT_WORD: lambda low: "joint" in low or "facet" in low or "zygapophys" in low,
}
_BETWEEN_SIDES = re.compile(r"^[\s,/&]*(?:and|&|,|/)?[\s,/&]*$", re.I)


@fast_init
@dataclass(frozen=True)
class Site:
    """One documented nerve target or injected muscle, with what the text around it says."""

    element: str  # nerve_target | muscles
    value: str
    start: int
    plural: bool
    sided: bool
    text: str  # the mention as written, lower case  # the structure has a side (elements/*.yml `sided`)
    limb: str | None = None  # muscles: upper/lower; None for other regions
    region: str | None = None  # muscles: extremity/trunk/head_neck
    sides: frozenset[str] = frozenset()
    levels: tuple[int, ...] = ()  # spinal levels (own sentence), ranges expanded
    near_levels: tuple[tuple[int, int], ...] = ()  # levels and ranges in or near its sentence
    interspaces: frozenset[int] = frozenset()
    region_words: frozenset[str] = frozenset()  # "lumbar", "cervical" written in or near its sentence
    term_region: str | None = None  # the region the term itself names ("caudal": sacral; elements `spine_region`)
    note_regions: frozenset[str] = frozenset()  # regions of the other mentions of the same target, when they agree
    joint_words: bool = False  # "joint" or "facet" written in its sentence: written ranges are joints

    def evolve(self, **changes) -> Site:
        """``dataclasses.replace(self, **changes)`` without its look-up of the fields on every call (the audit
        makes a Site per mention and side). Site has no ``__post_init__``, so the two are the same."""
        new = object.__new__(Site)
        new.__dict__.update(self.__dict__, **changes)
        return new

    @property
    def spine_regions(self) -> frozenset[str]:
        """Spinal regions the term names ("caudal"), else of the facet joints documented for the site (a joint
        belongs to the region of its upper vertebra: T12-L1 is thoracic, L1-2 lumbar), else of the levels near
        it, else from region words ("lumbosacral"), else those the target's other mentions name."""
        if self.term_region:
            return frozenset({self.term_region})
        joints = self.joints()
        if joints:
            return frozenset(region_of(a) for a, _b in joints)
        return frozenset(region_of(lo) for lo, _hi in self.near_levels) or self.region_words or self.note_regions

    def spinal_levels(self) -> frozenset[int] | None:
        """Spinal levels documented for a per-level code (a transforaminal foramen is named by the level above
        it): "L4-5" and "the L4 nerve root" are the same level, L4; None when the text does not say."""
        found = {lo for lo, hi in self.near_levels for lo in range(lo, max(hi, lo + 1))}
        return frozenset(found) or None

    def joints(self) -> frozenset[tuple[int, int]] | None:
        """Facet joints documented for this site: written one-segment ranges ("L4-5") and ranges written as
        joints ("C3 to C6 facet joints"), else the joints that contiguous nerve levels supply ("T12-L5 medial
        branches" names six nerves); None when the text does not say. Two nerves supply each joint: in the
        neck the nerves of the same numbers (C3 and C4: C3-4), lower down the nerves named one level higher
        (L3 and L4 medial branches: L4-5; L4 medial branch and L5 dorsal ramus: L5-S1)."""
        ranges = {(lo, hi) for lo, hi in self.near_levels if hi > lo and (hi - lo == 1 or self.joint_words)}
        if ranges:
            return frozenset((i, i + 1) for lo, hi in ranges for i in range(lo, hi))
        singles = sorted({lv for lo, hi in self.near_levels for lv in range(lo, hi + 1)})
        if len(singles) < 2 or any(b - a != 1 for a, b in zip(singles, singles[1:])):
            return None
        return frozenset((a, b) if region_of(a) == "cervical" else (b, b + 1) for a, b in zip(singles, singles[1:]))


class Documentation:
    """What the findings say, arranged for the audit: agents, imaging and sites with sides and levels."""

    def __init__(self, findings: dict[str, ElementFinding], pack: RulePack, text: str):
        self.findings = findings
        kinds = pack.agent_kinds
        self.agents = tuple(findings["agent"].values)
        self.agent_kind = {a: kinds.get(a) for a in self.agents}
        self.treatment = frozenset(a for a in self.agents if self.agent_kind[a] in TREATMENT_KINDS)
        self.imaging = findings["imaging"].present
        self.imaging_values = tuple(findings["imaging"].values)
        self.injection_sites = pack.injection_sites
        self.text = text
        self.lowered = text.lower()
        self._bounds_found: list[int] | None = None  # where segments end (_bounds), found when first asked for
        self._segments: dict[tuple[int, int], str] = {}  # (start, shift) -> _segment; mentions share sentences
        self._levels_of: dict[str, list[tuple[int, int]]] = {}  # segment -> levels_in
        self._found: dict[re.Pattern, bool] = {}  # regex -> whether it matches anywhere in the note
        sided = pack.sided
        muscle_terms = pack.terms["muscles"]
        target_terms = pack.terms["nerve_target"]
        raw: list[Site] = []
        for el in ("nerve_target", "muscles"):
            # joints, spaces and trigger points are kept out of nerve_target's values (the spec) but are sites
            sites_elsewhere = tuple(e for e in findings[el].excluded if e.reason == "injection_site")
            for ev in findings[el].evidence + sites_elsewhere:
                if ev.value is None:
                    continue
                term = muscle_terms.get(ev.value) if el == "muscles" else None
                target = target_terms.get(ev.value) if el == "nerve_target" else None
                raw.append(Site(
                    element=el, value=ev.value, start=ev.start, plural=ev.text.lower().endswith(_PLURAL),
                    text=" ".join(ev.text.lower().split()),
                    sided=sided.get(ev.value, True), limb=term.limb if term else None,
                    region=term.region if term else None,
                    levels=self._levels(ev), near_levels=self._near_levels(ev), interspaces=self._interspaces(ev),
                    region_words=self._region_words(ev), term_region=target.spine_region if target else None,
                    joint_words=self._anywhere(_JOINT_WORD) and bool(_JOINT_WORD.search(self._segment(ev.start))),
                ))
        raw.sort(key=lambda s: s.start)
        side_evidence = [e for e in findings["laterality"].evidence if e.value]
        self.sites = _share_regions(self._assign_sides(raw, side_evidence))
        self.target_values = frozenset(s.value for s in self.sites if s.element == "nerve_target")
        # muscles named in a note without a chemodenervation agent (trigger points): counted, not chemodenervation
        named = [Site(element="muscles", value=e.value, start=e.start, plural=False, sided=sided.get(e.value, True),
                      text=" ".join(e.text.lower().split()))
                 for e in findings["muscles"].evidence + findings["muscles"].excluded
                 if e.value and e.reason in (None, "no_chemodenervation_agent")]
        # each side counts apart (the right and left trapezius are two muscles)
        self.named_muscles = [m.evolve(sides=frozenset({side})) if side else m
                              for m in self._assign_sides(sorted(named, key=lambda s: s.start), side_evidence)
                              for side in (sorted(m.sides) or [None])]
        self.temperatures = self._temperatures(findings["agent"].evidence, kinds)

    @property
    def muscle_count(self) -> tuple[int, int]:
        """How many muscles the note names as treated, whatever the agent: (at least, at most)."""
        return muscle_count(self.named_muscles) if self.named_muscles else (0, 0)

    # --- text around a mention

    def _segment(self, start: int, shift: int = 0) -> str:
        """The sentence (or line) holding ``start``, or the non-empty one ``shift`` sentences before or after it."""
        found = self._segments.get((start, shift))
        if found is None:
            found = self._segments[start, shift] = self._find_segment(start, shift)
        return found

    def _anywhere(self, rx: re.Pattern) -> bool:
        """Whether ``rx`` may match somewhere in the note. A segment runs from a boundary (line break, . ; ! ?)
        to the next, so where this is False no segment holds a match either and none needs searching. In ASCII
        text, ignoring case is lower-casing, and the lower-cased note is tested for what every match holds."""
        found = self._found.get(rx)
        if found is None:
            hint = _HINTS.get(rx)
            found = bool(hint(self.lowered)) if hint is not None and self.text.isascii() else rx.search(self.text) is not None
            self._found[rx] = found
        return found

    def _levels_in(self, segment: str) -> list[tuple[int, int]]:
        if not self._anywhere(_LEVEL):
            return []
        found = self._levels_of.get(segment)
        if found is None:
            found = self._levels_of[segment] = levels_in(segment)
        return found

    @property
    def _bounds(self) -> list[int]:
        if self._bounds_found is None:
            self._bounds_found = [m.start() for m in BOUNDARY.finditer(self.text)]
        return self._bounds_found

    def _find_segment(self, start: int, shift: int) -> str:
        b = self._bounds
        k = bisect.bisect_left(b, start)
        step = -1 if shift < 0 else 1
        for _ in range(abs(shift)):
            k += step
            while 0 <= k <= len(b) and not self._piece(k).strip():
                k += step
        return self._piece(k) if 0 <= k <= len(b) else ""

    def _piece(self, k: int) -> str:
        b = self._bounds
        lo = b[k - 1] + 1 if k > 0 else 0
        hi = b[k] if k < len(b) else len(self.text)
        return self.text[lo:hi]

    def _levels(self, ev: Evidence) -> tuple[int, ...]:
        if not self._anywhere(_LEVEL):
            return ()
        out: set[int] = set()
        for lo, hi in self._levels_in(self._segment(ev.start)):
            out.update(range(lo, hi + 1))
        return tuple(sorted(out))

    def _near_levels(self, ev: Evidence) -> tuple[tuple[int, int], ...]:
        if not self._anywhere(_LEVEL):
            return ()
        for shift in (0, -1, 1, -2):
            found = self._levels_in(self._segment(ev.start, shift))
            if found:
                return tuple(found)
        return ()

    def _region_words(self, ev: Evidence) -> frozenset[str]:
        if not self._anywhere(_REGION_WORD):
            return frozenset()
        for shift in (0, -1, 1):
            words = {m.group(1).lower() for m in _REGION_WORD.finditer(self._segment(ev.start, shift))}
            if words:
                return frozenset(r for w in words for r in (("lumbar", "sacral") if w == "lumbosacral" else (w,)))
        return frozenset()

    def _interspaces(self, ev: Evidence) -> frozenset[int]:
        """Numbered interspaces written in the site's sentence, else in the next one ("Intercostal block,
        left." then "... injected in the spaces four to eight")."""
        if not self._anywhere(_INTERSPACE):
            return frozenset()
        for shift in (0, 1):
            found = self._interspaces_in(self._segment(ev.start, shift))
            if found:
                return found
        return frozenset()

    @staticmethod
    def _interspaces_in(seg: str) -> frozenset[int]:
        if not _INTERSPACE.search(seg):
            return frozenset()
        found = {_ORDINAL_VALUE[m.group(1).lower()] for m in _ORDINAL.finditer(seg)}
        for m in _SPACE_RANGE.finditer(seg):
            lo, hi = (_ORDINAL_VALUE.get(w.lower()) or _CARDINAL_VALUE[w.lower()] for w in m.groups())
            if lo < hi <= 12:
                found |= set(range(lo, hi + 1))
        return frozenset(found)

    def _temperatures(self, agent_evidence: tuple[Evidence, ...], kinds: dict[str, str]) -> tuple[int, ...]:
        """Lesion temperatures written in the sentences that name thermal energy (and the one after)."""
        temps: list[int] = []
        for ev in agent_evidence:
            if kinds.get(ev.value or "") != "thermal":
                continue
            for shift in (0, 1):
                seg = self._segment(ev.start, shift)
                if _COOLED.search(seg):
                    return ()
                temps += [int(m.group(1)) for m in _TEMPERATURE.finditer(seg) if 30 <= int(m.group(1)) <= 110]
        return tuple(temps)

    # --- sides

    def _assign_sides(self, sites: list[Site], sides: list[Evidence]) -> list[Site]:
        """The side of each site: the nearest side written before it (since the previous site), else one written
        just after it in the same sentence, else the side of the previous site of its kind (lists such as
        "left biceps, brachialis and FCR"), else the only side the note names."""
        starts = [e.start for e in sides]
        only = {e.value for e in sides}
        out: list[Site] = []
        last: dict[str, frozenset[str]] = {}
        for k, site in enumerate(sites):
            if not site.sided:
                out.append(site)
                continue
            floor = max(sites[k - 1].start + 1 if k else 0, site.start - 160)
            before = sides[bisect.bisect_left(starts, floor): bisect.bisect_left(starts, site.start)]
            chosen: list[Evidence] = []
            if before:
                chosen = [before[-1]]
                for e in reversed(before[:-1]):  # "right and left obturator nerves"
                    if not _BETWEEN_SIDES.match(self.text[e.end: chosen[-1].start]):
                        break
                    chosen.append(e)
            else:
                nxt = sites[k + 1].start if k + 1 < len(sites) else len(self.text)
                after = [e for e in sides if site.start < e.start < min(nxt, site.start + 60)]
                # "obturator nerve on the left" -- but not "biceps and the right gastrocnemius"
                if after and not BOUNDARY.search(self.text[site.start: after[0].start]) and not (
                    nxt - after[0].end <= 30 and not BOUNDARY.search(self.text[after[0].end: nxt])
                ):
                    chosen = [after[0]]
            if chosen:
                found = frozenset(s for e in chosen for s in _sides_of(e.value))
            elif site.element in last:
                found = last[site.element]
            elif len(only) == 1:
                found = frozenset(_sides_of(next(iter(only))))
            else:
                found = frozenset()
            last[site.element] = found
            out.append(site.evolve(sides=found))
        return out


def _sides_of(value: str | None) -> set[str]:
    return {"left", "right"} if value == "bilateral" else {value} if value in ("left", "right") else set()


def levels_in(segment: str) -> list[tuple[int, int]]:
    found = []
    for m in _LEVEL.finditer(segment):
        letter, number = m.group(1), m.group(2)
        if m.group(5):  # "L5S1"
            upper_letter, upper = m.group(5), m.group(6)
        elif m.group(4) is not None:
            upper_letter, upper = m.group(3) or letter, m.group(4)
        elif len(number) == 2 and _level_index(letter, number) is None and int(number[1]) == int(number[0]) + 1:
            number, upper_letter, upper = number[0], letter, number[1]  # "L34": L3-4
        else:
            upper_letter = upper = None
        lo = _level_index(letter, number)
        if lo is None:
            continue
        if upper is None:
            found.append((lo, lo))
            continue
        hi = _level_index(upper_letter, upper)
        found.append((lo, hi) if hi is not None and hi >= lo else (lo, lo))
    return found


def _level_index(letter: str, number: str) -> int | None:
    letter, n = letter.upper(), int(number)
    if not 1 <= n <= _LEVEL_MAX[letter]:
        return None
    return _LEVEL_OFFSET[letter] + n


def level_name(index: int) -> str:
    for letter in ("S", "L", "T", "C"):
        if index > _LEVEL_OFFSET[letter]:
            return f"{letter}{index - _LEVEL_OFFSET[letter]}"
    return str(index)


def joint_name(a: int, b: int) -> str:
    upper, lower = level_name(a), level_name(b)
    return f"{upper}-{lower[1:] if lower[0] == upper[0] else lower}"


def region_of(index: int) -> str:
    return _REGION[level_name(index)[0]]


def muscle_count(sites: list[Site]) -> tuple[int, int]:
    """How many muscles a group documents, as (at least, at most), each side counted apart: distinct muscle
    values at least; at most the distinct ways they are written ("lumbar paraspinals" and "thoracic
    paraspinals" may be two muscles, but "biceps" and "biceps brachii" are one: a name inside another, or a
    short abbreviation such as "FCR", is not counted again)."""
    low = high = 0
    for side in {s.sides for s in sites}:
        same = [s for s in sites if s.sides == side]
        for value in {s.value for s in same}:
            names: list[str] = []
            for text in sorted({s.text.rstrip("s") for s in same if s.value == value}, key=len, reverse=True):
                if len(text) > 4 and not any(text in n for n in names):
                    names.append(text)
            low += 1
            high += max(1, len(names))
    return low, high


def _share_regions(sites: list[Site]) -> list[Site]:
    """A mention with no level or region near it ("each facet joint was entered") is in the region the other
    mentions of the same target name, when they name one region set."""
    regions: dict[str, set[frozenset[str]]] = {}
    for s in sites:
        if s.spine_regions:
            regions.setdefault(s.value, set()).add(s.spine_regions)
    return [s.evolve(note_regions=next(iter(regions[s.value])))
            if not s.spine_regions and len(regions.get(s.value, ())) == 1 else s for s in sites]
