"""Code audit: which codes a note is scored against, and what an auditor should know about them.

A pure function of the claim lines, the element findings, the note text (read only for spinal levels,
interspaces and lesion temperatures) and the rule pack. No spaCy here.

Everything that tells one code from another is read from the code files, never written here per code:

- ``targets`` and ``agents``: which nerve and which agent a code covers. A code with no ``targets`` is the
  catch-all for nerves that no code with matching agents names (64640).
- ``muscles`` (min, max, region): how many muscles in which region, counted per extremity for limbs.
- ``spine_regions``: cervical/thoracic versus lumbar/sacral facet codes, told apart by the levels written
  near the target ("L4 medial branch", "C3-4").
- ``image_guidance``: codes that differ only by documented imaging (64605 without, 64610 with).
- ``unit``: what one unit counts (nerve, joint, knee, extremity, procedure); ``addon``/``primary_codes``
  tie a primary and its add-ons into one series whose units are counted together.
- ``includes_guidance``, ``laterality_modifiers``, ``min_lesion_celsius``.

From the findings the audit builds *sites* (each documented nerve target or injected muscle, with its side
and levels), fits each site to the codes whose rules it satisfies, and so gets the codes the documentation
supports with their documented units. Billed claim lines are compared with that: a billed code the
documentation does not support is a ``code_mismatch``; a series billed with other units than documented is a
``units_mismatch``; and so on. With no billed code the supported codes are the inferred ones.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from .models import ClaimLine, CodeResult, ElementFinding, Evidence, Flag
from .rules import CodeFile, RulePack
from .scoring import score_code

# Agent kinds (elements/agent.yml) that destroy a nerve or denervate a muscle, and those that do not.
_TREATMENT_KINDS = frozenset({"neurolytic", "thermal", "cryo", "toxin"})
_NON_DESTRUCTIVE_KINDS = frozenset({"local_anesthetic", "steroid", "nondestructive_energy"})
_UNLISTED = "64999"  # where pulsed radiofrequency and low-temperature lesions are reported

_SIDE_OF_MODIFIER = {"LT": {"left"}, "RT": {"right"}, "50": {"left", "right"}}
_SIDE_OF_MODIFIER |= {m: {"left"} for m in ("TA", "T1", "T2", "T3", "T4", "FA", "F1", "F2", "F3", "F4")}
_SIDE_OF_MODIFIER |= {m: {"right"} for m in ("T5", "T6", "T7", "T8", "T9", "F5", "F6", "F7", "F8", "F9")}
_MODIFIER_OF_SIDE = {"left": "LT", "right": "RT"}

# Spinal levels: "L4", "T6", "L4-5", "L5-S1", "C2-3", "T6 to T8". Levels are numbered down the spine.
_LEVEL = re.compile(r"\b([CTLS])([0-9]{1,2})(?:\s*(?:-|–|/|to|through)\s*([CTLS])?([0-9]{1,2}))?\b", re.I)
_LEVEL_MAX = {"C": 7, "T": 12, "L": 5, "S": 5}
_LEVEL_OFFSET = {"C": 0, "T": 7, "L": 19, "S": 24}
_REGION = {"C": "cervical", "T": "thoracic", "L": "lumbar", "S": "sacral"}
_REGION_WORD = re.compile(r"\b(cervical|thoracic|lumbar|lumbosacral|sacral)\b", re.I)
_INTERSPACE = re.compile(r"inter\s?spaces?|web\s?spaces?|intermetatarsal", re.I)
_ORDINAL = re.compile(r"\b(first|second|third|fourth|1st|2nd|3rd|4th)\b", re.I)
_ORDINAL_VALUE = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_TEMPERATURE = re.compile(r"\b([0-9]{2,3})\s?(?:°|º|degrees?\b|deg\b|o?C\b)", re.I)
_COOLED = re.compile(r"\bcooled\b", re.I)
_BOUNDARY = re.compile(r"\n|[.;!?](?=\s|,|$)")
_PLURAL = ("nerves", "branches", "rami", "blocks", "ganglia")
_BETWEEN_SIDES = re.compile(r"^[\s,/&]*(?:and|&|,|/)?[\s,/&]*$", re.I)


def audit(
    claims: tuple[ClaimLine, ...],
    findings: dict[str, ElementFinding],
    pack: RulePack,
    service_date: dt.date | None = None,
    text: str | None = None,
) -> tuple[tuple[CodeResult, ...], tuple[str, ...]]:
    """Score the billed codes (or, with none billed, the codes the documentation supports) and flag what an
    auditor should know. Returns the code results and the billed codes that have no rule file."""
    unsupported = tuple(dict.fromkeys(c.code for c in claims if c.code not in pack.codes))
    known = [c for c in claims if c.code in pack.codes]
    doc = _Documentation(findings, pack, text or "")
    plan = _Plan(doc, *_codes_in_force(pack, service_date))
    if not claims:
        results = [
            score_code(line.rule, findings, pack, ClaimLine(line.rule.code, line.modifiers, line.units),
                       source="inferred", reason=line.reason)
            for line in plan.lines
        ]
        return tuple(results), ()
    return _audit_claims(known, findings, pack, service_date, plan), unsupported


# --------------------------------------------------------------------------- documentation


@dataclass(frozen=True)
class _Site:
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

    @property
    def spine_regions(self) -> frozenset[str]:
        """Spinal regions from the levels near the site, else from region words ("lumbosacral")."""
        return frozenset(_region_of(lo) for lo, _hi in self.near_levels) or self.region_words

    def joints(self) -> frozenset[tuple[int, int]] | None:
        """Facet joints documented for this site: written ranges ("L4-5", "C3 to C6"), else the joints that
        contiguous nerve levels supply; None when the text does not say. Two nerves supply each joint: in the
        neck the nerves of the same numbers (C3 and C4: C3-4), lower down the nerves named one level higher
        (L3 and L4 medial branches: L4-5; L4 medial branch and L5 dorsal ramus: L5-S1)."""
        ranges = {(lo, hi) for lo, hi in self.near_levels if hi > lo}
        if ranges:
            return frozenset((i, i + 1) for lo, hi in ranges for i in range(lo, hi))
        singles = sorted({lo for lo, hi in self.near_levels if hi == lo})
        if len(singles) < 2 or any(b - a != 1 for a, b in zip(singles, singles[1:])):
            return None
        return frozenset((a, b) if _region_of(a) == "cervical" else (b, b + 1) for a, b in zip(singles, singles[1:]))


class _Documentation:
    """What the findings say, arranged for the audit: agents, imaging and sites with sides and levels."""

    def __init__(self, findings: dict[str, ElementFinding], pack: RulePack, text: str):
        self.findings = findings
        kinds = pack.agent_kinds
        self.agents = tuple(findings["agent"].values)
        self.agent_kind = {a: kinds.get(a) for a in self.agents}
        self.treatment = frozenset(a for a in self.agents if self.agent_kind[a] in _TREATMENT_KINDS)
        self.imaging = findings["imaging"].present
        self.text = text
        self._bounds = [m.start() for m in _BOUNDARY.finditer(text)]
        sided = pack.sided
        muscle_terms = pack.terms["muscles"]
        raw: list[_Site] = []
        for el in ("nerve_target", "muscles"):
            for ev in findings[el].evidence:
                if ev.value is None:
                    continue
                term = muscle_terms.get(ev.value) if el == "muscles" else None
                raw.append(_Site(
                    element=el, value=ev.value, start=ev.start, plural=ev.text.lower().endswith(_PLURAL),
                    text=" ".join(ev.text.lower().split()),
                    sided=sided.get(ev.value, True), limb=term.limb if term else None,
                    region=term.region if term else None,
                    levels=self._levels(ev), near_levels=self._near_levels(ev), interspaces=self._interspaces(ev),
                    region_words=self._region_words(ev),
                ))
        raw.sort(key=lambda s: s.start)
        self.sites = self._assign_sides(raw, [e for e in findings["laterality"].evidence if e.value])
        self.temperatures = self._temperatures(findings["agent"].evidence, kinds)

    # --- text around a mention

    def _segment(self, start: int, shift: int = 0) -> str:
        """The sentence (or line) holding ``start``, or the non-empty one ``shift`` sentences before or after it."""
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
        out: set[int] = set()
        for lo, hi in _levels_in(self._segment(ev.start)):
            out.update(range(lo, hi + 1))
        return tuple(sorted(out))

    def _near_levels(self, ev: Evidence) -> tuple[tuple[int, int], ...]:
        for shift in (0, -1, 1, -2):
            found = _levels_in(self._segment(ev.start, shift))
            if found:
                return tuple(found)
        return ()

    def _region_words(self, ev: Evidence) -> frozenset[str]:
        for shift in (0, -1, 1):
            words = {m.group(1).lower() for m in _REGION_WORD.finditer(self._segment(ev.start, shift))}
            if words:
                return frozenset(r for w in words for r in (("lumbar", "sacral") if w == "lumbosacral" else (w,)))
        return frozenset()

    def _interspaces(self, ev: Evidence) -> frozenset[int]:
        seg = self._segment(ev.start)
        if not _INTERSPACE.search(seg):
            return frozenset()
        return frozenset(_ORDINAL_VALUE[m.group(1).lower()] for m in _ORDINAL.finditer(seg))

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

    def _assign_sides(self, sites: list[_Site], sides: list[Evidence]) -> list[_Site]:
        """The side of each site: the nearest side written before it (since the previous site), else one written
        just after it in the same sentence, else the side of the previous site of its kind (lists such as
        "left biceps, brachialis and FCR"), else the only side the note names."""
        starts = [e.start for e in sides]
        only = {e.value for e in sides}
        out: list[_Site] = []
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
                if after and not _BOUNDARY.search(self.text[site.start: after[0].start]) and not (
                    nxt - after[0].end <= 30 and not _BOUNDARY.search(self.text[after[0].end: nxt])
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
            out.append(replace(site, sides=found))
        return out


def _sides_of(value: str | None) -> set[str]:
    return {"left", "right"} if value == "bilateral" else {value} if value in ("left", "right") else set()


def _levels_in(segment: str) -> list[tuple[int, int]]:
    found = []
    for m in _LEVEL.finditer(segment):
        lo = _level_index(m.group(1), m.group(2))
        if lo is None:
            continue
        if m.group(4) is None:
            found.append((lo, lo))
            continue
        hi = _level_index(m.group(3) or m.group(1), m.group(4))
        found.append((lo, hi) if hi is not None and hi >= lo else (lo, lo))
    return found


def _level_index(letter: str, number: str) -> int | None:
    letter, n = letter.upper(), int(number)
    if not 1 <= n <= _LEVEL_MAX[letter]:
        return None
    return _LEVEL_OFFSET[letter] + n


def _level_name(index: int) -> str:
    for letter in ("S", "L", "T", "C"):
        if index > _LEVEL_OFFSET[letter]:
            return f"{letter}{index - _LEVEL_OFFSET[letter]}"
    return str(index)


def _joint_name(a: int, b: int) -> str:
    upper, lower = _level_name(a), _level_name(b)
    return f"{upper}-{lower[1:] if lower[0] == upper[0] else lower}"


def _region_of(index: int) -> str:
    return _REGION[_level_name(index)[0]]


# --------------------------------------------------------------------------- which codes fit


def _rules_in_force(pack: RulePack, service_date: dt.date | None) -> dict[str, CodeFile]:
    """Every code's rules on the date of service (the newest without a date); codes not yet or no longer in
    force on a known date are left out, so they are never inferred or suggested for it."""
    rules = {}
    for code in pack.codes:
        rule = pack.code_rule(code, service_date)
        if service_date is not None and not (
            rule.effective_from <= service_date and (rule.effective_to is None or service_date <= rule.effective_to)
        ):
            continue
        rules[code] = rule
    return rules


@lru_cache(maxsize=1024)  # about 7 kB a date: three years of dates of service
def _codes_in_force(pack: RulePack, service_date: dt.date | None) -> tuple[dict[str, CodeFile], dict[str, frozenset[str]]]:
    """The rules in force on the date, less the guidance codes, and their series: the same for every note
    of that date, so worked out once."""
    rules = {c: r for c, r in _rules_in_force(pack, service_date).items() if r.family != "guidance"}
    return rules, _series(rules)


def _series(rules: dict[str, CodeFile]) -> dict[str, frozenset[str]]:
    """Code -> the codes billed as one series with it: a primary and its add-ons (64635 and +64636; 64642,
    64644 and their add-ons), joined through ``primary_codes``. Units are counted over a whole series."""
    parent = {c: c for c in rules}

    def find(c: str) -> str:
        while parent[c] != c:
            c = parent[c]
        return c

    for code, rule in rules.items():
        if rule.family == "guidance":
            continue
        for p in rule.primary_codes:
            if p in parent and rules[p].family != "guidance":
                parent[find(code)] = find(p)
    groups: dict[str, set[str]] = {}
    for c in rules:
        groups.setdefault(find(c), set()).add(c)
    return {c: frozenset(groups[find(c)]) for c in rules}


@dataclass
class _Line:
    """One claim line the documentation supports."""

    rule: CodeFile
    sides: frozenset[str]
    units: int
    reason: str

    @property
    def modifiers(self) -> tuple[str, ...]:
        if not self.rule.laterality_modifiers or len(self.sides) != 1:
            return ()
        return (_MODIFIER_OF_SIDE[next(iter(self.sides))],)


@dataclass
class _Documented:
    """What the documentation supports for one series: its lines, documented units and sides."""

    codes: frozenset[str]
    sites: list[_Site] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)
    count: int | None = None  # documented units over the whole series; None when the text does not say
    unit: str = "procedure"


class _Plan:
    """The codes the documentation supports, series by series."""

    def __init__(self, doc: _Documentation, rules: dict[str, CodeFile], series: dict[str, frozenset[str]]):
        self.doc = doc
        self.rules = rules  # shared between notes (see _codes_in_force): read only
        self.series = series
        self.by_series: dict[frozenset[str], _Documented] = {}
        self.site_codes: dict[int, frozenset[str]] = {}  # id(site) -> codes it fits
        self.also_supported: set[str] = set()
        self._targets()
        self._muscles()

    @property
    def lines(self) -> list[_Line]:
        return [line for d in self.by_series.values() for line in d.lines]

    @property
    def supported(self) -> frozenset[str]:
        """Codes the documentation supports: those of the lines, and those a muscle count could also fit
        (when grouped terms such as "hamstrings" may stand for one muscle or several)."""
        return frozenset(line.rule.code for line in self.lines) | self.also_supported

    # --- nerve targets

    def _agent_ok(self, rule: CodeFile) -> bool:
        if not self.doc.treatment:
            return False
        return not rule.agents or bool(self.doc.treatment & set(rule.agents))

    def low_temperature(self, rule: CodeFile) -> bool:
        """Only thermal energy documented, and every lesion temperature below what the code takes as destructive."""
        doc = self.doc
        return bool(
            rule.min_lesion_celsius and doc.treatment and doc.temperatures
            and all(doc.agent_kind[a] == "thermal" for a in doc.treatment)
            and max(doc.temperatures) < rule.min_lesion_celsius
        )

    def fits(self, site: _Site, any_agent: bool = False) -> list[str]:
        """Primary codes whose rules a nerve-target site satisfies: the codes that name its target, else
        the catch-all codes (no targets); with agents, spinal region and imaging taken into account."""
        candidates = [r for r in self.rules.values()
                      if r.muscles is None and not r.addon and r.family != "chemodenervation"]
        agent_ok = (lambda r: True) if any_agent else self._agent_ok
        named = [r for r in candidates if site.value in r.targets and agent_ok(r) and _region_ok(r, site)]
        if named and all(self.low_temperature(r) for r in named):
            return []  # lesions too cool to be destruction: no neurolysis code fits (unlisted)
        named = [r for r in named if not self.low_temperature(r)]
        if not named:
            named = [r for r in candidates if not r.targets and agent_ok(r)]
        # codes told apart only by imaging (64605 without, 64610 with): keep those the note's imaging fits
        imaging_fits = [r for r in named if r.image_guidance != ("without" if self.doc.imaging else "with")]
        return [r.code for r in (imaging_fits or named)]

    def _targets(self) -> None:
        sites = [s for s in self.doc.sites if s.element == "nerve_target"]
        fitted = {id(s): self.fits(s) for s in sites}
        # a target that fits several codes goes with the code most of the note's targets fit
        # ("L5 dorsal ramus" with the facet code when medial branches are named, with 64625 beside lateral branches)
        votes: dict[str, set[str]] = {}
        for s in sites:
            for c in fitted[id(s)]:
                votes.setdefault(c, set()).add(s.value)
        by_code: dict[str, list[_Site]] = {}
        ambiguous: dict[str, list[str]] = {}
        for s in sites:
            codes = fitted[id(s)]
            if len(codes) > 1:
                best = max(len(votes[c]) for c in codes)
                codes = [c for c in codes if len(votes[c]) == best]
            self.site_codes[id(s)] = frozenset(codes)
            for c in codes:
                by_code.setdefault(c, []).append(s)
                if len(codes) > 1:
                    ambiguous[c] = codes
        for code, code_sites in by_code.items():
            self._target_lines(self.rules[code], code_sites, ambiguous.get(code))

    def _target_lines(self, rule: CodeFile, sites: list[_Site], alternatives: list[str] | None) -> None:
        series = self.series[rule.code]
        documented = self.by_series.setdefault(series, _Documented(series, unit=rule.unit))
        documented.sites += sites
        per_side = _count_per_side(rule, sites)
        addon = next((self.rules[c] for c in sorted(series) if self.rules[c].addon and rule.code in self.rules[c].primary_codes), None)
        what = _describe_targets(sites, self.doc)
        if rule.unit == "joint" and rule.spine_regions:
            joints = sorted({j for s in sites for j in (s.joints() or ())})
            if joints:
                what += "; joints " + ", ".join(_joint_name(a, b) for a, b in joints)
        if alternatives:
            what += f" (the note fits {_or(alternatives)}; the spinal level or joint decides)"
        for side, n in per_side.items():
            sides = frozenset({side}) if side else frozenset()
            if addon is not None and n and n > 1:
                documented.lines.append(_Line(rule, sides, 1, f"{what}: the first {rule.unit}"))
                documented.lines.append(_Line(addon, sides, n - 1, f"{what}: {n - 1} further {rule.unit}(s)"))
            else:
                documented.lines.append(_Line(rule, sides, n or 1, what))
        counts = list(per_side.values())
        documented.count = None if any(n is None for n in counts) else sum(counts)

    # --- muscles

    def _muscle_groups(self, region: str) -> dict[tuple[str | None, str | None], list[_Site]]:
        """Injected muscles of a region by (side, limb); trunk muscles make one group."""
        groups: dict[tuple[str | None, str | None], list[_Site]] = {}
        for s in self.doc.sites:
            if s.element == "muscles" and s.region == region:
                for side in sorted(s.sides) or [None]:
                    key = (side, s.limb) if region == "extremity" else (None, None)
                    groups.setdefault(key, []).append(replace(s, sides=frozenset({side} if side else ())))
        return groups

    def _muscles(self) -> None:
        muscle_rules = [r for r in self.rules.values() if r.muscles is not None and self._agent_ok(r)]
        for region in ("extremity", "trunk", "head_neck"):
            groups = self._muscle_groups(region)
            rules = [r for r in muscle_rules if r.muscles.region == region]
            if not groups or not rules:
                continue
            # the extremity with the most muscles takes the primary code, the others its add-ons
            ordered = sorted(groups.items(), key=lambda kv: (-_muscle_count(kv[1])[0], str(kv[0])))
            primary = None
            for (side, limb), sites in ordered:
                low, high = _muscle_count(sites)
                if primary is None:
                    fitting = [r for r in rules if not r.addon and _overlaps(r, low, high)]
                else:
                    fitting = [r for r in rules if r.addon and primary.code in r.primary_codes and _overlaps(r, low, high)]
                if not fitting:
                    continue
                rule = next((r for r in fitting if _in_range(r, low)), fitting[0])
                primary = primary or rule
                self.also_supported |= {r.code for r in fitting}
                n = str(low) if low == high else f"{low} to {high}"
                where = "trunk" if region == "trunk" else f"{side or 'unstated side'} {limb or ''} extremity".replace("  ", " ")
                names = ", ".join(_words(sorted({s.value for s in sites})))
                series = self.series[rule.code]
                documented = self.by_series.setdefault(series, _Documented(series, unit=rule.unit))
                documented.lines.append(_Line(rule, frozenset({side}) if side else frozenset(), 1,
                                              f"{n} muscle(s) injected in the {where} ({names})"))
                documented.sites += sites
            if primary is not None:
                documented = self.by_series[self.series[primary.code]]
                if primary.unit == "extremity":
                    documented.count = None if any(side is None for side, _limb in groups) else len(groups)
                else:
                    documented.count = 1

    # --- for billed codes

    def kind_fits(self, rule: CodeFile) -> bool:
        """Whether some documented site is of the kind this code is for, leaving counts aside (an add-on billed
        for a first joint is a units problem, not a wrong code)."""
        if rule.muscles is not None:
            groups = self._muscle_groups(rule.muscles.region).values()
            return any(_overlaps(rule, *_muscle_count(sites)) for sites in groups)
        wanted = {rule.code, *rule.primary_codes}
        return any(wanted & codes for codes in self.site_codes.values())


def _region_ok(rule: CodeFile, site: _Site) -> bool:
    return not rule.spine_regions or not site.spine_regions or bool(site.spine_regions & set(rule.spine_regions))


def _muscle_count(sites: list[_Site]) -> tuple[int, int]:
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


def _overlaps(rule: CodeFile, low: int, high: int) -> bool:
    m = rule.muscles
    return m is not None and m.min <= high and (m.max is None or low <= m.max)


def _in_range(rule: CodeFile, n: int) -> bool:
    m = rule.muscles
    return m is not None and m.min <= n and (m.max is None or n <= m.max)


def _count_per_side(rule: CodeFile, sites: list[_Site]) -> dict[str | None, int | None]:
    """Documented units of a code on each side (None: the text does not say how many)."""
    sided = [s for s in sites if s.sides]
    use = sided or sites
    by_side: dict[str | None, list[_Site]] = {}
    for s in use:
        for side in sorted(s.sides) or [None]:
            by_side.setdefault(side, []).append(s)
    out: dict[str | None, int | None] = {}
    for side, ss in by_side.items():
        if rule.unit == "nerve":
            out[side] = _count_nerves(ss, bilateral=len(by_side) > 1)
        elif rule.unit == "joint" and rule.spine_regions:
            joints: set = set()
            for s in ss:
                j = s.joints()
                if j:
                    joints |= j
            out[side] = len(joints) or None
        else:  # knee, joint without levels (sacroiliac), procedure, session: one per side
            out[side] = 1 if side or rule.unit in ("procedure", "session") else None
    if rule.unit in ("procedure", "session") and not rule.laterality_modifiers:
        return {None: 1}
    return out


def _count_nerves(sites: list[_Site], bilateral: bool) -> int | None:
    keys: set = set()
    for value in {s.value for s in sites}:
        same = [s for s in sites if s.value == value]
        leveled = [s for s in same if s.levels or s.interspaces]
        if leveled:
            for s in leveled:
                keys |= {(value, "L", lv) for lv in s.levels} | {(value, "I", i) for i in s.interspaces}
        elif any(s.plural for s in same) and not bilateral:
            return None  # "left intercostal nerves" without levels: how many is not written
        else:
            keys.add((value,))
    return len(keys)


def _words(values) -> list[str]:
    return [v.replace("_", " ") for v in values]


def _describe_targets(sites: list[_Site], doc: _Documentation) -> str:
    """"medial branch, dorsal ramus (right L3, L4, L5) with radiofrequency"."""
    by_detail: dict[str, list[str]] = {}
    for value in dict.fromkeys(s.value for s in sites):
        same = [s for s in sites if s.value == value]
        sides = sorted({side for s in same for side in s.sides})
        levels = sorted({lv for s in same for lv in s.levels})
        spaces = sorted({i for s in same for i in s.interspaces})
        words = ["both sides" if len(sides) == 2 else " ".join(sides)]
        words.append(", ".join(_level_name(lv) for lv in levels))
        if spaces:
            words.append("interspace " + ", ".join(str(i) for i in spaces))
        by_detail.setdefault(" ".join(w for w in words if w), []).append(value.replace("_", " "))
    parts = [", ".join(values) + (f" ({detail})" if detail else "") for detail, values in by_detail.items()]
    agents = ", ".join(_words(sorted(doc.treatment))) or "no destructive agent documented"
    return f"{'; '.join(parts)} with {agents}"


# --------------------------------------------------------------------------- billed claim lines


def _audit_claims(
    claims: list[ClaimLine],
    findings: dict[str, ElementFinding],
    pack: RulePack,
    service_date: dt.date | None,
    plan: _Plan,
) -> tuple[CodeResult, ...]:
    rules = [pack.code_rule(c.code, service_date) for c in claims]
    guidance = [(c, r) for c, r in zip(claims, rules) if r.family == "guidance"]
    # guidance codes billed with a procedure are checked, not scored; billed alone they are scored
    scored = [(c, r) for c, r in zip(claims, rules) if r.family != "guidance"] or guidance
    billed = {c.code for c in claims}
    flags: list[list[Flag]] = [[] for _ in scored]
    first: dict[str, int] = {}
    for i, (c, _r) in enumerate(scored):
        first.setdefault(c.code, i)

    for i in first.values():
        rule = scored[i][1]
        if rule.family == "guidance" or (rule.addon and set(rule.primary_codes) & billed):
            continue  # an add-on billed with its primary is judged with the primary
        flags[i] += filter(None, [
            _code_mismatch(rule, plan, billed),
            _addon_without_primary(rule, billed),
            _bundled(rule, {c.code for c, _r in guidance}),
            _non_destructive(rule, plan),
        ])

    series: dict[frozenset[str], list[int]] = {}
    for i, (c, r) in enumerate(scored):
        if r.family != "guidance":
            series.setdefault(plan.series.get(c.code, frozenset({c.code})), []).append(i)
    for codes, idxs in series.items():
        head = next((i for i in idxs if not scored[i][1].addon), idxs[0])
        lines = [scored[i] for i in idxs]
        flags[head] += filter(None, [_units(lines, plan.by_series.get(codes)), _laterality(lines, plan, codes)])

    for i, flag in _guidance_flags(guidance, scored, plan):
        flags[i].append(flag)

    order = {"code_mismatch": 0, "addon_without_primary": 1, "units_mismatch": 2, "laterality_conflict": 3,
             "bundled_guidance": 4, "non_destructive_modality": 5}
    return tuple(
        score_code(r, findings, pack, c, flags=tuple(sorted(flags[i], key=lambda f: order.get(f.kind, 9))))
        for i, (c, r) in enumerate(scored)
    )


def _claim_text(claim: ClaimLine) -> str:
    mods = "".join(f"-{m}" for m in claim.modifiers)
    return f"{claim.code}{mods}" + (f" x{claim.units}" if claim.units != 1 else "")


def _code_mismatch(rule: CodeFile, plan: _Plan, billed: set[str]) -> Flag | None:
    supported = plan.supported
    if not supported and not plan.doc.agents:  # no agent written at all: judge by the target alone
        targets = [s for s in plan.doc.sites if s.element == "nerve_target"]
        supported = frozenset(c for s in targets for c in plan.fits(s, any_agent=True))
    if not supported or rule.code in supported or (rule.addon and plan.kind_fits(rule)):
        return None
    better = sorted(supported - billed) or sorted(supported)
    why = "; ".join(dict.fromkeys(line.reason for line in plan.lines if line.rule.code in better))
    if not why:
        why = "a target that another code names"
    return Flag(
        "code_mismatch",
        f"{rule.code} ({rule.title}) does not fit what the note documents: {why}. "
        f"That documentation fits {_or(better)}.",
        tuple(better),
    )


def _addon_without_primary(rule: CodeFile, billed: set[str]) -> Flag | None:
    if not rule.addon or set(rule.primary_codes) & billed:
        return None
    return Flag(
        "addon_without_primary",
        f"{rule.code} is an add-on code and needs {_or(rule.primary_codes)} on the same claim; none is billed.",
        tuple(rule.primary_codes),
    )


def _bundled(rule: CodeFile, guidance: set[str]) -> Flag | None:
    both = sorted(guidance & set(rule.includes_guidance))
    if not both:
        return None
    return Flag(
        "bundled_guidance",
        f"{', '.join(both)} billed with {rule.code}, whose rules include image guidance "
        f"(in force from {rule.effective_from}); the guidance is not reported separately.",
    )


def _non_destructive(rule: CodeFile, plan: _Plan) -> Flag | None:
    doc = plan.doc
    if rule.family not in ("destruction", "chemodenervation"):
        return None
    if not doc.treatment:
        passive = [a for a in doc.agents if doc.agent_kind[a] in _NON_DESTRUCTIVE_KINDS]
        if not passive:
            return None  # no agent at all: scoring reports the agent as missing
        needs = ", ".join(_words(rule.agents)) or "a neurolytic agent or destructive energy"
        if any(doc.agent_kind[a] == "nondestructive_energy" for a in passive):
            return Flag(
                "non_destructive_modality",
                f"{rule.code} is for destroying the target, but the note documents only {_and(_words(passive))}; "
                f"pulsed radiofrequency does not destroy the nerve and is reported with the unlisted code {_UNLISTED}. "
                f"{rule.code} needs {needs}.",
                (_UNLISTED,),
            )
        return Flag(
            "non_destructive_modality",
            f"{rule.code} is for destroying the target, but the note documents only {_and(_words(passive))}, "
            f"which block the nerve without destroying it; report the injection code instead, or document the "
            f"agent that was used ({rule.code} needs {needs}).",
        )
    if plan.low_temperature(rule):
        temps = ", ".join(f"{t} °C" for t in sorted(set(doc.temperatures)))
        return Flag(
            "non_destructive_modality",
            f"the radiofrequency lesions are documented at {temps}, below the {rule.min_lesion_celsius} °C that "
            f"{rule.code}'s rules take as destructive; such lesions are reported with the unlisted code {_UNLISTED}.",
            (_UNLISTED,),
        )
    return None


def _units(lines: list[tuple[ClaimLine, CodeFile]], documented: _Documented | None) -> Flag | None:
    if documented is None or documented.count is None:
        return None
    billed = sum(c.units * (2 if "50" in c.modifiers else 1) for c, _r in lines)
    if billed == documented.count:
        return None
    unit = lines[0][1].unit
    what = "; ".join(dict.fromkeys(line.reason for line in documented.lines))
    return Flag(
        "units_mismatch",
        f"{billed} {unit}(s) billed ({', '.join(_claim_text(c) for c, _r in lines)}"
        f"{'; modifier 50 counts both sides' if any('50' in c.modifiers for c, _r in lines) else ''}) "
        f"but the note documents {documented.count}: {what}.",
    )


def _billed_sides(lines: list[tuple[ClaimLine, CodeFile]]) -> frozenset[str] | None:
    sides: set[str] = set()
    any_side = False
    for c, _r in lines:
        for m in c.modifiers:
            if m in _SIDE_OF_MODIFIER:
                any_side = True
                sides |= _SIDE_OF_MODIFIER[m]
    return frozenset(sides) if any_side else None


def _laterality(lines: list[tuple[ClaimLine, CodeFile]], plan: _Plan, codes: frozenset[str]) -> Flag | None:
    rule = lines[0][1]
    if not rule.laterality_modifiers:
        return None
    documented = plan.by_series.get(codes)
    element = "muscles" if rule.muscles is not None else "nerve_target"
    sites = documented.sites if documented and documented.sites else [s for s in plan.doc.sites if s.element == element]
    doc_sides = frozenset(side for s in sites if s.sided for side in s.sides)
    if not doc_sides:
        return None
    billed = _billed_sides(lines)
    names = _and(_words(dict.fromkeys(s.value for s in sites if s.sides)))
    written = ", ".join(_claim_text(c) for c, _r in lines)
    if billed is None:
        need = "50 (or RT and LT)" if len(doc_sides) == 2 else _MODIFIER_OF_SIDE[next(iter(doc_sides))]
        return Flag(
            "laterality_conflict",
            f"the note documents {_side_words(doc_sides)} ({names}) but {written} carries no side "
            f"modifier; payers expect {need}.",
        )
    if billed != doc_sides:
        return Flag(
            "laterality_conflict",
            f"{written} is billed for {_side_words(billed)} but the note documents {_side_words(doc_sides)} "
            f"({names}).",
        )
    return None


def _guidance_flags(guidance, scored, plan: _Plan) -> list[tuple[int, Flag]]:
    """Guidance add-ons (95873, 95874): one per session, and only with a code they are an add-on to."""
    out: list[tuple[int, Flag]] = []
    billed = {c.code for c, _r in scored}

    def host(rule: CodeFile) -> int:
        return next((i for i, (c, _r) in enumerate(scored) if c.code in rule.primary_codes), 0)

    addons = [r for _c, r in guidance if r.addon]
    for k, a in enumerate(addons):
        for b in addons[k + 1:]:
            if a.code != b.code and set(a.primary_codes) & set(b.primary_codes):
                out.append((host(a), Flag(
                    "bundled_guidance",
                    f"{a.code} and {b.code} are both billed; only one kind of chemodenervation guidance is "
                    f"reported per session.",
                )))
    for r in addons:
        if not set(r.primary_codes) & billed:
            out.append((0, Flag(
                "addon_without_primary",
                f"{r.code} is an add-on code for {_or([c for c in r.primary_codes if c in plan.rules] or r.primary_codes)}; "
                f"none is billed with it.",
                tuple(c for c in r.primary_codes if c in plan.supported)
                or tuple(c for c in r.primary_codes if c in plan.rules),
            )))
    return out


def _or(codes) -> str:
    codes = list(codes)
    return codes[0] if len(codes) == 1 else ", ".join(codes[:-1]) + " or " + codes[-1]


def _and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _side_words(sides) -> str:
    return "both sides" if len(sides) == 2 else f"the {next(iter(sides))} side"
