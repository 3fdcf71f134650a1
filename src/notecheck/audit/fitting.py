"""Code fitting: the codes whose rules a note's sites satisfy, series by series, with documented units.

Everything that tells one code from another is read from the code files (see the package docstring)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from ..rules import CodeFile, RulePack
from .sites import (
    MODIFIER_OF_SIDE,
    Documentation,
    Site,
    joint_name,
    level_name,
    levels_in,
    region_of,
)
from .sites import muscle_count as _muscle_count
from .wording import and_join, or_join, value_words

DESTRUCTIVE_FAMILIES = frozenset({"destruction"})  # families that outrank a block on the same target


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
def codes_in_force(pack: RulePack, service_date: dt.date | None) -> tuple[dict[str, CodeFile], dict[str, frozenset[str]],
                                                                        Candidates]:
    """The rules in force on the date, less the guidance codes, their series and the codes a site can fit:
    the same for every note of that date, so worked out once."""
    rules = {c: r for c, r in _rules_in_force(pack, service_date).items() if r.family != "guidance"}
    return rules, _series(rules), Candidates(rules)


class Candidates:
    """The codes a site may fit, in rule order, worked out once per rule set: for a nerve target or joint
    (``Plan.fits``) the primary codes that are no muscle-only, chemodenervation or same-as code, those that
    name each target, and the catch-alls; for muscles the codes that list them and those that count them."""

    def __init__(self, rules: dict[str, CodeFile]):
        self.primary = tuple(r for r in rules.values() if (r.muscles is None or r.targets) and not r.addon
                             and r.family != "chemodenervation" and r.same_as is None)
        self.naming: dict[str, tuple[CodeFile, ...]] = {}
        for r in self.primary:
            for target in dict.fromkeys(r.targets):
                self.naming[target] = (*self.naming.get(target, ()), r)
        self.catch_all = tuple(r for r in self.primary if not r.targets and not r.unlisted)
        self.unlisted = next((r for r in rules.values() if r.unlisted), None)
        # chemodenervation: codes that list their muscles (head and neck), and codes by muscle count and region
        self.listed_muscles = tuple(r for r in rules.values() if r.muscles is not None and r.muscles.values)
        self.counted_muscles = tuple(r for r in rules.values()
                                     if r.muscles is not None and not r.muscles.values and not r.targets)


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
        for p in [*rule.primary_codes, *([rule.same_as] if rule.same_as else [])]:
            if p in parent and rules[p].family != "guidance":
                parent[find(code)] = find(p)
    groups: dict[str, set[str]] = {}
    for c in rules:
        groups.setdefault(find(c), set()).add(c)
    return {c: frozenset(groups[find(c)]) for c in rules}


@dataclass
class Line:
    """One claim line the documentation supports."""

    rule: CodeFile
    sides: frozenset[str]
    units: int
    reason: str

    @property
    def modifiers(self) -> tuple[str, ...]:
        if not self.rule.laterality_modifiers or len(self.sides) != 1:
            return ()
        return (MODIFIER_OF_SIDE[next(iter(self.sides))],)


@dataclass
class Documented:
    """What the documentation supports for one series: its lines, documented units and sides."""

    codes: frozenset[str]
    sites: list[Site] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    count: int | None = None  # units the documentation supports over the whole series; None when the text does not say
    unit: str = "procedure"
    per_side: dict = field(default_factory=dict)  # side -> documented units (levels, joints, nerves) on that side


class Plan:
    """The codes the documentation supports, series by series."""

    def __init__(self, doc: Documentation, rules: dict[str, CodeFile], series: dict[str, frozenset[str]],
                 candidates: Candidates | None = None):
        self.doc = doc
        self.rules = rules  # shared between notes (see codes_in_force): read only
        self.series = series
        self.candidates = candidates if candidates is not None else Candidates(rules)
        self.by_series: dict[frozenset[str], Documented] = {}
        self.site_codes: dict[int, frozenset[str]] = {}  # id(site) -> codes it fits
        self.unlisted_why: dict[int, str] = {}  # id(site) -> why it went to the unlisted code
        self.also_supported: set[str] = set()
        self._agents = frozenset(doc.agents)
        self._targets()
        self._muscles()

    @property
    def lines(self) -> list[Line]:
        return [line for d in self.by_series.values() for line in d.lines]

    @property
    def supported(self) -> frozenset[str]:
        """Codes the documentation supports: those of the lines, and those a muscle count could also fit
        (when grouped terms such as "hamstrings" may stand for one muscle or several)."""
        return frozenset(line.rule.code for line in self.lines) | self.also_supported

    # --- nerve targets

    def _agent_ok(self, rule: CodeFile) -> bool:
        """A code's ``agents`` say which documented agents satisfy it (of any kind, so that a code file for
        an injection can list local anesthetic); a code listing none takes any destructive agent."""
        if rule.agents:
            return not self._agents.isdisjoint(rule.agents)
        return bool(self.doc.treatment)

    def low_temperature(self, rule: CodeFile) -> bool:
        """Only thermal energy documented, and every lesion temperature below what the code takes as destructive."""
        doc = self.doc
        return bool(
            rule.min_lesion_celsius and doc.treatment and doc.temperatures
            and all(doc.agent_kind[a] == "thermal" for a in doc.treatment)
            and max(doc.temperatures) < rule.min_lesion_celsius
        )

    def context_ok(self, rule: CodeFile, site: Site | None = None) -> bool:
        """What else in the note decides whether a code fits: targets it yields to (``unless_targets``: an
        interlaminar code beside a transforaminal target), agent kinds it yields to (``unless_agent_kinds``:
        a block code and pulsed radiofrequency) and, for trigger points, how many muscles."""
        doc = self.doc
        if set(rule.unless_targets) & doc.target_values:
            return False
        if rule.requires_targets and not set(rule.requires_targets) & doc.target_values:
            return False
        if rule.sides_documented != "any" and site is not None:
            if len(site.sides) != (2 if rule.sides_documented == "both" else 1):
                return False
        if any(doc.agent_kind[a] in rule.unless_agent_kinds for a in doc.agents):
            return False
        if rule.muscles is not None and rule.targets:
            low, high = doc.muscle_count
            if high == 0:
                return rule.muscles.min <= 1  # muscles not named: the smallest count is what is documented
            return _overlaps(rule, low, high)
        return True

    def guidance_split_ok(self, rule: CodeFile) -> bool:
        """Codes told apart by imaging (64605 without, 64610 with; 20610 without and 20611 with ultrasound,
        ``guided_by``)."""
        if rule.image_guidance == "any":
            return True
        guided = bool(set(self.doc.imaging_values) & set(rule.guided_by)) if rule.guided_by else self.doc.imaging
        return guided == (rule.image_guidance == "with")

    def imaging_ok(self, rule: CodeFile) -> bool:
        """The documented imaging is of a kind the code takes (64633-64636: fluoroscopy or CT); no imaging
        documented is left to scoring, which reports it missing."""
        values = set(self.doc.imaging_values)
        return not rule.imaging_values or not values or bool(values & set(rule.imaging_values))

    def terms_ok(self, rule: CodeFile) -> bool:
        """The note holds one of the code's ``requires_terms`` (or the code lists none)."""
        if not rule.requires_terms:
            return True
        text = self.doc.lowered
        return any(t in text for t in rule.requires_terms)

    @property
    def unlisted_rule(self) -> CodeFile | None:
        return self.candidates.unlisted

    def fits(self, site: Site, any_agent: bool = False) -> list[str]:
        """Primary codes whose rules a site satisfies: the codes that name its target, else the catch-all
        codes (no targets; nerves only, never a joint or space); with agents, spinal region and levels, imaging
        and what else the note documents (``context_ok``) taken into account. A target whose own codes all
        refuse the documented agent, imaging or lesion temperature goes to the unlisted code (with the reason
        kept in ``unlisted_why``), never to another code. Destruction outranks a block or injection on the same
        target when its agent is documented."""
        candidates = self.candidates
        # a joint or space reached under image guidance with no agent written (an epidurogram, a template left
        # blank): the injection code, with its agent reported missing
        agentless_site = not self.doc.agents and self.doc.imaging and site.value in self.doc.injection_sites

        def agent_ok(r: CodeFile) -> bool:
            return any_agent or self._agent_ok(r) or (agentless_site and r.family not in DESTRUCTIVE_FAMILIES)
        target = site.value.replace("_", " ")
        named_all = [r for r in candidates.naming.get(site.value, ()) if region_ok(r, site) and levels_ok(r, site)
                     and self.context_ok(r, site)]
        named = [r for r in named_all if agent_ok(r)]
        # a code whose setting the note names ("sacroiliac") goes before the others (an L5 dorsal ramus)
        named = [r for r in named if r.requires_terms and self.terms_ok(r)] or named
        why = None
        cool = [r for r in named if self.low_temperature(r)]
        if cool:  # too cool for one code is no destruction, and no block either
            temps = ", ".join(f"{t} °C" for t in sorted(set(self.doc.temperatures)))
            why = (f"radiofrequency lesions of the {target} at {temps}, below the "
                   f"{min(r.min_lesion_celsius for r in cool)} °C that {or_join(sorted(r.code for r in cool))} take as destruction")
            named = []
        if named:
            seen = [r for r in named if self.imaging_ok(r)]
            if not seen:
                why = (f"{' and '.join(self.doc.imaging_values)} guidance only for the {target}; "
                       f"{or_join(sorted(r.code for r in named))} need {' or '.join(named[0].imaging_values)}")
            named = seen
        else:
            # a destructive agent is judged against the destruction codes of the target, any other against all
            pool = [r for r in named_all if r.family in DESTRUCTIVE_FAMILIES] if self.doc.treatment else named_all
            if pool and why is None and any(r.owns_targets for r in pool):
                agents = and_join(value_words(self.doc.agents)) if self.doc.agents else "no agent"
                why = (f"{agents} at the {target}: its codes ({or_join(sorted(r.code for r in pool))}) "
                       f"take only {or_join(value_words(sorted({a for r in pool for a in r.agents})))}")
        catch_all = [] if site.value in self.doc.injection_sites else [
            r for r in candidates.catch_all if agent_ok(r) and self.imaging_ok(r) and self.context_ok(r, site)]
        if named and self.doc.treatment and not any(r.family in DESTRUCTIVE_FAMILIES for r in named):
            # only block codes name the target, but a destructive agent is documented: the catch-all destruction code
            named = [r for r in catch_all if r.family in DESTRUCTIVE_FAMILIES] or named
        if not named and why is None:
            named = catch_all
            if not named and self.doc.agents and site.value not in self.doc.injection_sites:
                names = sorted(r.code for r in candidates.catch_all)
                why = (f"{and_join(value_words(self.doc.agents))} at the {target}: no code names it, and "
                       f"{or_join(names) if names else 'no catch-all code'} does not take that agent")
        if not named:
            unlisted = self.unlisted_rule
            if why is not None and unlisted is not None and agent_ok(unlisted):
                self.unlisted_why[id(site)] = why
                return [unlisted.code]
            return []
        destroys = [r for r in named if r.family in DESTRUCTIVE_FAMILIES]
        named = destroys or named
        # codes told apart only by imaging: keep those the note's imaging fits
        imaging_fits = [r for r in named if self.guidance_split_ok(r)]
        return [r.code for r in (imaging_fits or named)]

    def _targets(self) -> None:
        sites = [s for s in self.doc.sites if s.element == "nerve_target"]
        fitted = {id(s): self.fits(s) for s in sites}
        # a target that fits several codes goes with the code most of the note's targets fit
        # ("L5 dorsal ramus" with the facet code when medial branches are named, with 64625 beside lateral branches);
        # between codes that as many kinds of target fit, the one more mentions fit
        votes: dict[str, set[str]] = {}
        mentions: dict[str, int] = {}
        for s in sites:
            for c in fitted[id(s)]:
                votes.setdefault(c, set()).add(s.value)
                mentions[c] = mentions.get(c, 0) + 1
        by_code: dict[str, list[Site]] = {}
        ambiguous: dict[str, list[str]] = {}
        for s in sites:
            codes = fitted[id(s)]
            if len(codes) > 1:
                best = max((len(votes[c]), mentions[c]) for c in codes)
                codes = [c for c in codes if (len(votes[c]), mentions[c]) == best]
            self.site_codes[id(s)] = frozenset(codes)
            for c in codes:
                by_code.setdefault(c, []).append(s)
                if len(codes) > 1:
                    ambiguous[c] = codes
        self._one_per_session(by_code, ambiguous)
        for code, code_sites in by_code.items():
            self._target_lines(self.rules[code], code_sites, ambiguous.get(code))

    def _one_per_session(self, by_code: dict[str, list[Site]], ambiguous: dict[str, list[str]]) -> None:
        """Codes of one family reported once per session (``unit: session``, the interlaminar epidurals) that
        different mentions fit ("C5-6" in one sentence, "lumbar" in another): the one most mentions fit stands
        for them all; with a tie both stay, each naming the other."""
        groups: dict[str, list[str]] = {}
        for code in by_code:
            rule = self.rules[code]
            if rule.unit == "session" and not rule.addon:
                groups.setdefault(rule.family, []).append(code)
        for codes in groups.values():
            if len(codes) < 2:
                continue
            best = max(len(by_code[c]) for c in codes)
            winners = [c for c in codes if len(by_code[c]) == best]
            if len(winners) == 1:
                keep = winners[0]
                for c in codes:
                    if c != keep:
                        by_code[keep] += by_code.pop(c)
            else:
                for c in winners:
                    ambiguous[c] = winners
                for c in codes:
                    if c not in winners:
                        by_code.pop(c)

    def _target_lines(self, rule: CodeFile, sites: list[Site], alternatives: list[str] | None) -> None:
        series = self.series[rule.code]
        documented = self.by_series.setdefault(series, Documented(series, unit=rule.unit))
        documented.sites += sites
        per_side = _count_per_side(rule, sites)
        addons = sorted((self.rules[c] for c in series if self.rules[c].addon and rule.code in self.rules[c].primary_codes
                         and self.rules[c].muscles is None), key=lambda r: (r.from_unit, r.code))
        what = describe_targets(sites, self.doc)
        if rule.unlisted:
            whys = [self.unlisted_why[id(s)] for s in sites if id(s) in self.unlisted_why]
            what += ": no code of its own" + (f" ({'; '.join(dict.fromkeys(whys))})" if whys else "")
        if rule.unit == "joint" and rule.spine_regions:
            joints = sorted({j for s in sites for j in region_joints(rule, s)})
            if joints:
                what += "; joints " + ", ".join(joint_name(a, b) for a, b in joints)
        if rule.unit == "level":
            levels = sorted({lv for s in sites for lv in (s.spinal_levels() or ())})
            if levels:
                what += "; levels " + ", ".join(level_name(lv) for lv in levels)
        if alternatives:
            what += f" (the note fits {or_join(alternatives)}; the spinal level or joint decides)"
        for side, n in per_side.items():
            sides = frozenset({side}) if side else frozenset()
            for line_rule, units, label in _split_units(rule, addons, n):
                documented.lines.append(Line(line_rule, sides, units, f"{what}{label}"))
        documented.per_side = per_side
        counts = [sum(u for _r, u, _l in _split_units(rule, addons, n)) if n else None for n in per_side.values()]
        documented.count = None if any(n is None for n in counts) else sum(counts)

    # --- muscles

    def _muscle_groups(self, region: str) -> dict[tuple[str | None, str | None], list[Site]]:
        """Injected muscles of a region by (side, limb); trunk muscles make one group."""
        groups: dict[tuple[str | None, str | None], list[Site]] = {}
        for s in self.doc.sites:
            if s.element == "muscles" and s.region == region:
                for side in sorted(s.sides) or [None]:
                    key = (side, s.limb) if region == "extremity" else (None, None)
                    groups.setdefault(key, []).append(s.evolve(sides=frozenset({side} if side else ())))
        return groups

    def _listed_muscles(self) -> None:
        """Codes that list their muscles (head and neck): each fits the documented muscles it lists when the
        note holds one of its ``requires_terms`` (chronic migraine, dystonia), one line per side when it takes
        side modifiers."""
        rules = [r for r in self.candidates.listed_muscles if self._agent_ok(r) and self.terms_ok(r) and not any(t in self.doc.lowered for t in r.unless_terms)]
        for rule in rules:
            sites = [s for s in self.doc.sites if s.element == "muscles" and s.value in rule.muscles.values]
            if not sites:
                continue
            series = self.series[rule.code]
            documented = self.by_series.setdefault(series, Documented(series, unit=rule.unit))
            documented.sites += sites
            by_side: dict[str | None, list[Site]] = {}
            for s in sites:
                for side in (sorted(s.sides) or [None]) if rule.laterality_modifiers else [None]:
                    by_side.setdefault(side, []).append(s)
            for side, ss in by_side.items():
                names = ", ".join(value_words(sorted({s.value for s in ss})))
                where = f"{side} side" if side else ("both sides" if not rule.laterality_modifiers else "unstated side")
                documented.lines.append(Line(rule, frozenset({side}) if side else frozenset(), 1,
                                             f"muscle(s) injected on the {where} ({names})"))
            documented.count = None if None in by_side and rule.laterality_modifiers else len(by_side)

    def _muscles(self) -> None:
        self._listed_muscles()
        muscle_rules = [r for r in self.candidates.counted_muscles if self._agent_ok(r)]
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
                names = ", ".join(value_words(sorted({s.value for s in sites})))
                series = self.series[rule.code]
                documented = self.by_series.setdefault(series, Documented(series, unit=rule.unit))
                documented.lines.append(Line(rule, frozenset({side}) if side else frozenset(), 1,
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
        if rule.muscles is not None and not rule.targets:
            groups = self._muscle_groups(rule.muscles.region).values()
            return any(_overlaps(rule, *_muscle_count(sites)) for sites in groups)
        wanted = {rule.code, *rule.primary_codes}
        return any(wanted & codes for codes in self.site_codes.values())


def region_ok(rule: CodeFile, site: Site) -> bool:
    return not rule.spine_regions or not site.spine_regions or bool(site.spine_regions & set(rule.spine_regions))


def levels_ok(rule: CodeFile, site: Site) -> bool:
    """A site with spinal levels fits a code with ``spine_levels`` only when one of its levels lies in them
    (a dorsal ramus at S2 is no facet nerve)."""
    if not rule.spine_levels or not site.levels:
        return True
    ranges = [r for text in rule.spine_levels for r in levels_in(text)]
    return any(lo <= lv <= hi for lv in site.levels for lo, hi in ranges)


def region_joints(rule: CodeFile, site: Site) -> frozenset[tuple[int, int]]:
    """The site's facet joints that lie in the code's spinal regions."""
    joints = site.joints() or frozenset()
    return frozenset(j for j in joints if not rule.spine_regions or region_of(j[0]) in rule.spine_regions)


def _overlaps(rule: CodeFile, low: int, high: int) -> bool:
    m = rule.muscles
    return m is not None and m.min <= high and (m.max is None or low <= m.max)


def _in_range(rule: CodeFile, n: int) -> bool:
    m = rule.muscles
    return m is not None and m.min <= n and (m.max is None or n <= m.max)


def _count_per_side(rule: CodeFile, sites: list[Site]) -> dict[str | None, int | None]:
    """Documented units of a code on each side (None: the text does not say how many)."""
    sided = [s for s in sites if s.sides]
    use = sided or sites
    by_side: dict[str | None, list[Site]] = {}
    for s in use:
        for side in sorted(s.sides) or [None]:
            by_side.setdefault(side, []).append(s)
    out: dict[str | None, int | None] = {}
    for side, ss in by_side.items():
        if rule.unit == "nerve":
            out[side] = _count_nerves(ss, bilateral=len(by_side) > 1)
        elif rule.unit == "level":
            levels: set = set()
            for s in ss:
                levels |= s.spinal_levels() or set()
            out[side] = len(levels) or None
        elif rule.unit == "joint" and rule.spine_regions:
            joints: set = set()
            for s in ss:
                joints |= region_joints(rule, s)
            out[side] = len(joints) or None
        else:  # knee, joint without levels (sacroiliac), procedure, session: one per side
            out[side] = 1 if side or rule.unit in ("procedure", "session") else None
    if rule.unit in ("procedure", "session") and not rule.laterality_modifiers:
        return {None: 1}
    return out


def _split_units(rule: CodeFile, addons: list[CodeFile], n: int | None) -> list[tuple[CodeFile, int, str]]:
    """One side's documented units as claim lines: the first on the primary, the further ones on its add-ons
    in order of ``from_unit``. An add-on with ``units_per_side`` takes at most that many; the last add-on of a series
    with ``units_per_side`` stands for every unit left (64495: one unit for the third level and any beyond)."""
    if not n or n == 1 or not addons:
        return [(rule, n or 1, "")]
    lines = [(rule, 1, f": the first {rule.unit}")]
    done = 1
    for k, a in enumerate(addons):
        if done >= n or a.from_unit > done + 1:
            continue
        last = k == len(addons) - 1
        if a.units_per_side is None:
            units, covered = n - done, n - done
            label = f": {units} further {rule.unit}(s)"
        elif last:
            units, covered = a.units_per_side, n - done
            label = f": {rule.unit} {done + 1}" + (f" and the {n - done - 1} beyond it" if n > done + 1 else "")
        else:
            units = covered = min(a.units_per_side, n - done)
            label = f": {rule.unit} {done + 1}" + (f" to {done + units}" if units > 1 else "")
        lines.append((a, units, label))
        done += covered
    return lines


def _count_nerves(sites: list[Site], bilateral: bool) -> int | None:
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


def describe_targets(sites: list[Site], doc: Documentation) -> str:
    """"medial branch, dorsal ramus (right L3, L4, L5) with radiofrequency"."""
    by_detail: dict[str, list[str]] = {}
    for value in dict.fromkeys(s.value for s in sites):
        same = [s for s in sites if s.value == value]
        sides = sorted({side for s in same for side in s.sides})
        levels = sorted({lv for s in same for lv in s.levels})
        spaces = sorted({i for s in same for i in s.interspaces})
        words = ["both sides" if len(sides) == 2 else " ".join(sides)]
        words.append(", ".join(level_name(lv) for lv in levels))
        if spaces:
            words.append("interspace " + ", ".join(str(i) for i in spaces))
        by_detail.setdefault(" ".join(w for w in words if w), []).append(value.replace("_", " "))
    parts = [", ".join(values) + (f" ({detail})" if detail else "") for detail, values in by_detail.items()]
    agents = ", ".join(value_words(sorted(doc.treatment or doc.agents))) or "no agent documented"
    return f"{'; '.join(parts)} with {agents}"
