"""Rule files: everything an auditor may change lives in ``patterns/`` as YAML.

Each file is validated when it loads; a broken file raises RuleFileError naming the file,
the field (with its line where YAML knows it) and what to fix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from . import rules_cache
from .errors import RuleFileError, UnknownCodeError
from .models import ELEMENTS

ElementName = Literal[ELEMENTS]  # the element ids of models.ELEMENTS
AgentKind = Literal["neurolytic", "toxin", "thermal", "nondestructive_energy", "cryo", "local_anesthetic", "steroid",
                    "viscosupplement"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- elements


class Term(_Strict):
    """One normalized value and the phrases that name it."""

    value: str = Field(pattern=r"^[a-z0-9_]+$")
    phrases: list[str] = Field(min_length=1)
    case_sensitive: list[str] = []  # phrases matched on exact case only (e.g. "US")
    kind: AgentKind | None = None  # agents only
    sided: bool = True  # nerve targets and muscles: whether the structure has a side
    region: Literal["extremity", "trunk", "head_neck"] | None = None  # muscles only
    limb: Literal["upper", "lower"] | None = None  # extremity muscles only: which limb (counts extremities)
    # nerve_target only: a joint, space or trigger point an injection code is for. The spec's nerve_target
    # excludes these, so a mention is kept as excluded evidence (reason `injection_site`) that the code audit reads.
    injection_site: bool = False
    spine_region: Literal["cervical", "thoracic", "lumbar", "sacral"] | None = None  # region the term itself names (caudal: sacral)
    match: list[str] = []  # short notes in which this value must be found
    no_match: list[str] = []  # short notes in which it must not


class TokenPattern(_Strict):
    """A mention a phrase list cannot express: a regular expression over the note text (fast; case is
    ignored), or a spaCy Matcher token pattern."""

    value: str = Field(pattern=r"^[a-z0-9_]+$")
    regex: str | None = None
    # text that every match contains, within 60 characters: the regex then runs only around it
    anchor: str | None = None
    pattern: list[dict] | None = None
    # how the matched text becomes the element's value (policy_values.NORMALIZERS): "relief", "pain_scores" ...
    normalize: Literal["relief", "pain_scores", "toxin_units", "wastage"] | None = None

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return v

    @model_validator(mode="after")
    def _one_kind(self):
        if (self.regex is None) == (self.pattern is None):
            raise ValueError("give exactly one of `regex` and `pattern`")
        return self
    match: list[str] = []
    no_match: list[str] = []


class ElementPart(_Strict):
    """More terms for an element, kept in a file of their own (``<element>.<part>.yml``) so that a family of
    codes can bring its vocabulary without editing the element's main file."""

    element: ElementName
    description: str
    requires_cue: list[str] = []  # added to the element's cue words
    terms: list[Term] = []
    patterns: list[TokenPattern] = []
    match: list[str] = []  # notes in which the element must be present
    no_match: list[str] = []


class ElementFile(_Strict):
    element: ElementName
    description: str
    reports_values: bool = True  # False: the element is present or not, with no normalized values
    labels: list[str] = []  # template labels ("Consent:") whose non-empty value documents the element
    label_contains: list[str] = []  # any label containing one of these ("diagnoses") is also this element's
    label_values_allowed: list[str] = []  # label values that count although they look like placeholders
    requires_cue: list[str] = []  # a mention counts only in a sentence holding one of these words or an agent
    requires_agent_kind: list[AgentKind] = []  # mentions count only when such an agent is present
    terms: list[Term] = []
    patterns: list[TokenPattern] = []
    match: list[str] = []
    no_match: list[str] = []


# --------------------------------------------------------------------------- context and sections


class ContextRuleSpec(_Strict):
    literal: str
    category: str
    direction: Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"] = "BIDIRECTIONAL"
    pattern: list[dict] | str | None = None
    allowed_types: list[ElementName] | None = None
    excluded_types: list[ElementName] | None = None
    max_scope: int | None = None
    ends: list[str] | None = None  # TERMINATE only: the categories whose scope it ends (default: every one)
    match: list[str] = []  # notes in which this cue must exclude a mention
    no_match: list[str] = []  # notes in which it must not


class ProcedureScope(_Strict):
    """Whether a note documents a procedure performed in this encounter (``procedure_documented``)."""

    # phrases that say no procedure was done today: the note documents none
    not_performed: list[str] = []
    # words that say something was done; in a visit note, one in a sentence with a counted target, agent,
    # amount or muscle, or with "today", documents a procedure ("5 mL of 6% phenol was injected ...")
    performed: list[str] = []
    # what marks a visit note (consult, progress note, follow-up): its headers, or a title on its first line
    visit_headers: list[str] = []
    visit_titles: list[str] = []
    # sections (sections.yml names) whose presence in a visit note documents a procedure: PROCEDURE:, OPERATION:
    sections: list[str] = []
    # the elements that still count in a note that documents no procedure (a visit's diagnosis and plan)
    kept_elements: list[ElementName] = []


class ContextFile(_Strict):
    use_medspacy_defaults: bool = True
    drop_default_rules: list[str] = []  # literals of medspaCy default rules replaced by ours
    reasons: dict[str, str]  # ConText category -> reason recorded on an excluded mention
    ignore_categories: list[str] = []  # medspaCy categories that do not exclude a mention
    pseudo_negations: list[str] = []  # phrases whose negation words negate nothing ("no blood on aspiration")
    # words after a pseudo-negation that carry its negation on to the next item ("no paresthesia or paralysis"),
    # for at most `pseudo_list_scope` tokens
    pseudo_list_words: list[str] = []
    pseudo_list_scope: int = Field(default=4, ge=1)
    pseudo_list_excluded_types: list[ElementName] = []  # elements that list negates not ("or blood on aspiration")
    # cues that negate only a short phrase ended by a comma: "Without sedation, 3 mL of 6% phenol was injected"
    # negates the sedation, not the phenol (a comma at most `comma_bounded_scope` tokens after the cue)
    comma_bounded_cues: list[str] = []
    comma_bounded_scope: int = Field(default=5, ge=1)
    procedure_scope: ProcedureScope = ProcedureScope()
    never_excluded_by: dict[str, list[ElementName]] = {}  # category -> elements it never applies to
    value_filter: dict[str, dict[ElementName, list[str]]] = {}  # category -> element -> the only values it applies to
    placeholders: list[str]  # regexes for template placeholders after a label ("___", "[ ]", "N/A")
    rules: list[ContextRuleSpec]


class SectionSpec(_Strict):
    name: str = Field(pattern=r"^[a-z_]+$")
    headers: list[str] = Field(min_length=1)
    header_contains: list[str] = []  # any header containing one of these words opens this section
    category: str | None = None  # ConText category given to mentions in this section
    elements: list[ElementName] | None = None  # the elements the category applies to (default: all)
    unless: list[str] = []  # words in the sentence that lift the category ("today", "performed")
    findings: bool = True  # whether the category also applies to a clinical finding (``context_of``)
    match: list[str] = []  # headers (as written in notes) that must open this section


class SectionFile(_Strict):
    sections: list[SectionSpec]


class Abbreviation(_Strict):
    abbr: str
    expands_to: str
    case_sensitive: bool = False


class AbbreviationFile(_Strict):
    abbreviations: list[Abbreviation]


class SpellingFile(_Strict):
    min_length: int = 6
    score_cutoff: float = Field(default=88.0, ge=50, le=100)
    never_correct: list[str] = []  # ordinary words that look like domain terms
    match: list[list[str]] = []  # [misspelling, intended term]
    no_match: list[str] = []  # words that must be left alone


# --------------------------------------------------------------------------- codes


class Condition(_Strict):
    agent_kind: list[AgentKind] | None = None  # applies when a present agent has one of these kinds
    sided_target: bool | None = None  # applies when a present target or muscle has a side


class ConditionalRequirement(_Strict):
    element: ElementName
    when: Condition
    why: str


class MuscleCount(_Strict):
    min: int = 1
    max: int | None = None
    region: Literal["extremity", "trunk", "head_neck"] | None = None
    values: list[str] = []  # the muscles this code covers (empty: every muscle of the region)


class CodeFile(_Strict):
    code: str = Field(pattern=r"^(?:[0-9]{4}[0-9A-Z]|[A-Z][0-9]{4})$")  # CPT, or HCPCS level II (G0260)
    title: str
    # block, epidural and injection codes are not destruction: a destruction code outranks them on a target
    # only when a destructive agent is documented
    family: Literal["destruction", "chemodenervation", "block", "epidural", "injection", "guidance", "other"]
    effective_from: dt.date
    effective_to: dt.date | None = None
    source: str
    guidance: str = ""
    # level: one per spinal level (a transforaminal foramen: "L4-5" and "L4 root" are the same level)
    unit: Literal["nerve", "joint", "level", "extremity", "knee", "session", "procedure"] = "procedure"
    addon: bool = False
    primary_codes: list[str] = []  # an add-on needs one of these billed on the same claim
    from_unit: int = 2  # add-ons: the first unit (on one side) this add-on is for (2: each additional; 3: the third on)
    units_per_side: int | None = None  # add-ons: units per side and session (64495: one, whatever the further levels)
    session_limit: int | None = None  # primary: the most units (levels, joints) a payer takes per side and session
    same_as: str | None = None  # billed instead of this code in some settings (G0260 for 27096): judged as that code
    required: list[ElementName]
    conditional: list[ConditionalRequirement] = []
    recommended: dict[ElementName, int] = {}  # element -> weight
    required_weight: int = 3
    agents: list[str] = []  # agent values that satisfy the code (empty: any)
    targets: list[str] = []  # nerve_target values this code covers (empty: any not covered elsewhere)
    muscles: MuscleCount | None = None
    includes_guidance: list[str] = []  # guidance codes bundled into this one
    laterality_modifiers: bool = True  # payers expect RT/LT/50 when a side is documented
    # what the code audit reads to tell codes apart (inference, code_mismatch, units_mismatch):
    spine_regions: list[Literal["cervical", "thoracic", "lumbar", "sacral"]] = []  # spinal levels this code covers
    image_guidance: Literal["any", "with", "without"] = "any"  # fits only notes with (or without) image guidance
    guided_by: list[str] = []  # the imaging values image_guidance means (empty: any; 20611: ultrasound)
    unless_targets: list[str] = []  # the code does not fit a note that documents one of these targets
    unless_agent_kinds: list[AgentKind] = []  # ... nor one that documents an agent of these kinds
    requires_targets: list[str] = []  # fits only a note that also documents one of these (a catheter left in place)
    sides_documented: Literal["any", "one", "both"] = "any"  # fits only a target documented on one side (or both)
    min_lesion_celsius: int | None = None  # thermal lesions documented only below this are not destruction
    match: list[str] = []  # short notes from which this code must be inferred
    no_match: list[str] = []  # short notes from which it must not
    imaging_values: list[Literal["fluoroscopy", "ultrasound", "ct", "mri"]] = []  # imaging that satisfies it (empty: any)
    spine_levels: list[str] = []  # nerve levels its targets lie at ("C1-T12"); a site wholly outside does not fit
    bilateral_modifier: bool = True  # False: both sides are two lines (RT and LT), never modifier 50
    once_per: Literal["side", "session"] | None = None  # a primary billed once per side or session; the rest on its add-on
    max_units: int | None = None  # most units of this add-on in one session
    owns_targets: bool = True  # False (cryoablation codes): a target it names may still go to the catch-all code
    unlisted: bool = False  # the unlisted code: where documented destruction with no code of its own goes
    unless_terms: list[str] = []  # listed-muscle codes: a note holding one of these does not fit ("trigger point")
    requires_terms: list[str] = []  # listed-muscle codes fit only, target codes go first, when the note holds one ("chronic migraine")

    @field_validator("required")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("an element is listed twice")
        return v


class DeletedCode(_Strict):
    """A code no longer in CPT: billed, it is named with the year it went and what replaced it."""

    code: str = Field(pattern=r"^[0-9]{4}[0-9A-Z]$")
    deleted: dt.date  # first date of service on which it is no longer valid
    replaced_by: list[str] = Field(min_length=1)
    note: str = ""
    source: str


class DeletedCodeFile(_Strict):
    deleted: list[DeletedCode]


class PackFile(_Strict):
    name: str
    version: str
    description: str = ""


# --------------------------------------------------------------------------- loading


def _line_of(node_path: tuple, raw: str) -> str:
    """Best-effort line number of a field in a YAML document, for error messages."""
    try:
        node = yaml.compose(raw)
        for key in node_path:
            if isinstance(node, yaml.MappingNode):
                node = next(v for k, v in node.value if k.value == key)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                node = node.value[key]
            else:
                break
        return f" (line {node.start_mark.line + 1})"
    except Exception:  # noqa: BLE001 - line numbers are a courtesy; the error below is raised regardless
        return ""


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where PyYAML was built with it


def load_yaml_model(path: Path, model: type[BaseModel]):
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleFileError(f"cannot read rule file {path}: {exc.strerror}. Check that it exists and is readable.") from None
    try:
        data = yaml.load(raw, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise RuleFileError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)}). Fix the syntax there.") from None
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:5]:
            loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
            problems.append(f"field '{loc}'{_line_of(err['loc'], raw)}: {err['msg']}")
        raise RuleFileError(f"{path}: " + "; ".join(problems) + ". Fix these fields and run again.") from None


def default_rules_dir() -> Path:
    """The rule pack shipped with notecheck, or the one named by $NOTECHECK_RULES."""
    env = os.environ.get("NOTECHECK_RULES")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    for candidate in (here / "patterns", here.parents[1] / "patterns"):
        if (candidate / "pack.yml").is_file():
            return candidate
    raise RuleFileError("no rule pack found: patterns/pack.yml is missing. Reinstall notecheck or pass --rules DIR.")


@dataclass(frozen=True, eq=False)
class RulePack:
    """Every rule file of one pack, validated. Compared and hashed by identity, so that what is worked out
    from a pack can be cached per pack."""

    root: Path
    pack: PackFile
    elements: dict[str, ElementFile]
    context: ContextFile
    sections: SectionFile
    abbreviations: AbbreviationFile
    spelling: SpellingFile
    codes: dict[str, tuple[CodeFile, ...]]  # code -> its versions, oldest first
    deleted: dict[str, DeletedCode] = field(default_factory=dict)  # code -> when it went and what replaced it
    profiles_dir: Path | None = None  # patterns/profiles/: payer profiles (see profiles.py)
    digest: str = ""  # sha256 of every file the pack was loaded from (see pack_digest)

    @property
    def version(self) -> str:
        """``name@version+hash``: the hash of the files' content tells an edited pack from the shipped one
        even when pack.yml still names the shipped version."""
        return f"{self.pack.name}@{self.pack.version}+{self.digest[:12]}"

    def code_rule(self, code: str, service_date: dt.date | None = None) -> CodeFile:
        """The version of a code's rules in force on the date of service (the newest if no date)."""
        versions = self.codes.get(code)
        if not versions:
            raise UnknownCodeError(f"no rule file for code {code}. `notecheck codes` lists the supported codes.")
        if service_date is None:
            return versions[-1]
        for rule in reversed(versions):
            if rule.effective_from <= service_date and (rule.effective_to is None or service_date <= rule.effective_to):
                return rule
        return versions[-1] if service_date > versions[-1].effective_from else versions[0]

    @cached_property
    def terms(self) -> dict[str, dict[str, Term]]:
        """Element -> value -> its term."""
        return {el: {t.value: t for t in ef.terms} for el, ef in self.elements.items()}

    @cached_property
    def agent_kinds(self) -> dict[str, str]:
        """Agent value -> its kind (chemical, thermal ...)."""
        return {v: t.kind for v, t in self.terms["agent"].items() if t.kind}

    @cached_property
    def injection_sites(self) -> frozenset[str]:
        """nerve_target values that are joints, spaces or trigger points rather than nerves."""
        return frozenset(v for v, t in self.terms["nerve_target"].items() if t.injection_site)

    @cached_property
    def sided(self) -> dict[str, bool]:
        """Nerve-target and muscle value -> whether the structure has a side."""
        return {v: t.sided for el in ("nerve_target", "muscles") for v, t in self.terms[el].items()}


def load_rules(root: Path | str | None = None) -> RulePack:
    return _load_rules(Path(root).resolve() if root else default_rules_dir().resolve())


@lru_cache(maxsize=4)
def _load_rules(root: Path) -> RulePack:
    if not (root / "pack.yml").is_file():
        raise RuleFileError(f"{root} is not a rule pack: pack.yml is missing there.")
    digest = pack_digest(root)
    pack = rules_cache.read(root, digest)  # the same pack, stored by its content (see rules_cache)
    if pack is None:
        pack = _read_pack(root, digest)
        rules_cache.write(root, digest, pack)
    return pack


def _read_pack(root: Path, digest: str) -> RulePack:
    elements: dict[str, ElementFile] = {}
    parts: list[tuple[Path, ElementPart]] = []
    for path in sorted((root / "elements").glob("*.yml")):
        if "." in path.stem:  # <element>.<part>.yml: more terms for that element
            part = load_yaml_model(path, ElementPart)
            if part.element != path.stem.split(".")[0]:
                raise RuleFileError(f"{path}: a part file holds terms for the element its name starts with; "
                                    f"it says '{part.element}'. Rename the file or fix `element`.")
            parts.append((path, part))
            continue
        ef = load_yaml_model(path, ElementFile)
        if ef.element in elements:
            raise RuleFileError(f"{path}: element '{ef.element}' is defined twice. Keep one file per element.")
        elements[ef.element] = ef
    for path, part in parts:
        main = elements.get(part.element)
        if main is None:
            raise RuleFileError(f"{path}: there is no main file for element '{part.element}'. Add elements/{part.element}.yml.")
        # a value the main file has gets the part's phrases too; a new value is a new term
        by_value = {t.value: t for t in main.terms}
        merged = [t.model_copy(update={"phrases": t.phrases + [p for q in part.terms if q.value == t.value for p in q.phrases]})
                  for t in main.terms]
        added = [t for t in part.terms if t.value not in by_value]
        main = main.model_copy(update={"terms": merged})
        part = part.model_copy(update={"terms": added})
        elements[part.element] = main.model_copy(update={
            "terms": main.terms + part.terms, "patterns": main.patterns + part.patterns,
            "requires_cue": main.requires_cue + [w for w in part.requires_cue if w not in main.requires_cue],
            "match": main.match + part.match, "no_match": main.no_match + part.no_match})
    missing = [e for e in ELEMENTS if e not in elements]
    if missing:
        raise RuleFileError(f"{root / 'elements'}: no file for element(s) {', '.join(missing)}. Add one YAML file each.")
    codes: dict[str, list[CodeFile]] = {}
    for path in sorted((root / "codes").glob("*.yml")):
        cf = load_yaml_model(path, CodeFile)
        _cross_check(cf, path, elements)
        codes.setdefault(cf.code, []).append(cf)
    ordered = {c: tuple(sorted(v, key=lambda r: r.effective_from)) for c, v in sorted(codes.items())}
    pack = RulePack(
        digest=digest,
        root=root,
        pack=load_yaml_model(root / "pack.yml", PackFile),
        elements=elements,
        context=load_yaml_model(root / "context.yml", ContextFile),
        sections=load_yaml_model(root / "sections.yml", SectionFile),
        abbreviations=load_yaml_model(root / "abbreviations.yml", AbbreviationFile),
        spelling=load_yaml_model(root / "spelling.yml", SpellingFile),
        codes=ordered,
        deleted=_deleted_codes(root, ordered),
        profiles_dir=root / "profiles" if (root / "profiles").is_dir() else None,
    )
    return pack


def _deleted_codes(root: Path, codes: dict[str, tuple[CodeFile, ...]]) -> dict[str, DeletedCode]:
    path = root / "deleted_codes.yml"
    if not path.is_file():
        return {}
    out = {d.code: d for d in load_yaml_model(path, DeletedCodeFile).deleted}
    both = sorted(set(out) & set(codes))
    if both:
        raise RuleFileError(f"{path}: {', '.join(both)} also has a file in codes/. A code is either in force or deleted.")
    return out


PACK_FILES = ("pack.yml", "context.yml", "sections.yml", "abbreviations.yml", "spelling.yml", "deleted_codes.yml",
              "elements/*.yml", "codes/*.yml", "profiles/*.yml")


def pack_digest(root: Path) -> str:
    """sha256 over the pack's rule files (PACK_FILES): each one's path inside the pack and its bytes."""
    digest = hashlib.sha256()
    for path in sorted({p for pattern in PACK_FILES for p in root.glob(pattern) if p.is_file()}):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _cross_check(rule: CodeFile, path: Path, elements: dict[str, ElementFile]) -> None:
    """References from a code file to the element files: the agents and targets it names must exist."""
    agent_values = {t.value for t in elements["agent"].terms}
    target_values = {t.value for t in elements["nerve_target"].terms} | {p.value for p in elements["nerve_target"].patterns}
    for a in rule.agents:
        if a not in agent_values:
            raise RuleFileError(f"{path}: field 'agents': '{a}' is not a value in elements/agent.yml. Use one of: {', '.join(sorted(agent_values))}.")
    for name in ("targets", "unless_targets", "requires_targets"):
        for t in getattr(rule, name):
            if t not in target_values:
                raise RuleFileError(f"{path}: field '{name}': '{t}' is not a value in elements/nerve_target.yml or its part files (nerve_target.<part>.yml). Add it there first.")
    imaging_values = {t.value for t in elements["imaging"].terms}
    for v in rule.guided_by:
        if v not in imaging_values:
            raise RuleFileError(f"{path}: field 'guided_by': '{v}' is not a value in elements/imaging.yml. Use one of: {', '.join(sorted(imaging_values))}.")
