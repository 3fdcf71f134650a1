"""`notecheck eval`: extraction measured against a gold corpus (see corpora/gold/ANNOTATION.md).

Presence is scored per (note, element); values per (note, element, value); note status by scoring the
gold elements with the same code rules and comparing with the status the checker gives.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from .audit import audit
from .check import Checker
from .claims import parse_claims
from .errors import InputError
from .models import CORE_ELEMENTS, ELEMENTS, STATUS_RANK, ElementFinding, NoteInput

# F1 targets on presence (issue 4): the six core elements need 0.95, the others 0.90. The policy elements
# have no target yet: they are scored where a gold line annotates them (corpora/gold/policy.jsonl).
TARGETS = {e: 0.95 for e in ("nerve_target", "agent", "volume", "imaging", "laterality", "consent")}
TARGETS.update({e: 0.90 for e in CORE_ELEMENTS if e not in TARGETS})


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, tp: int, fp: int, fn: int) -> None:
        self.tp += tp
        self.fp += fp
        self.fn += fn

    def prf(self) -> tuple[float, float, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f


@dataclass
class Report:
    notes: int = 0
    skipped: list[str] = field(default_factory=list)
    presence: dict[str, Counts] = field(default_factory=lambda: {e: Counts() for e in ELEMENTS})
    values: dict[str, Counts] = field(default_factory=lambda: {e: Counts() for e in ELEMENTS})
    annotated: dict[str, int] = field(default_factory=lambda: {e: 0 for e in ELEMENTS})  # gold lines per element
    status_total: int = 0
    status_right: int = 0
    misses: list[dict] = field(default_factory=list)
    # code inference: the codes inferred from each note with its billed codes withheld, against those codes
    codes: dict[str, Counts] = field(default_factory=dict)
    families: dict[str, Counts] = field(default_factory=dict)

    def targets_met(self) -> bool:
        return all(self.presence[e].prf()[2] >= t for e, t in TARGETS.items())


def _realnotes_dirs(explicit: Path | None, gold: Path) -> list[Path]:
    dirs = [explicit] if explicit else []
    if os.environ.get("NOTECHECK_REALNOTES"):
        dirs.append(Path(os.environ["NOTECHECK_REALNOTES"]))
    for base in (Path.cwd(), gold.resolve(), Path(__file__).resolve()):
        for parent in [base, *base.parents]:
            dirs.append(parent.parent / "shared" / "realnotes")
    return dirs


def load_gold(gold: Path, realnotes: Path | None = None) -> tuple[list[dict], list[str]]:
    files = sorted(gold.glob("*.jsonl")) if gold.is_dir() else [gold]
    if not files or not all(f.is_file() for f in files):
        raise InputError(f"no gold JSONL file at {gold}.")
    dirs = _realnotes_dirs(realnotes, gold)
    lines, skipped = [], []
    for f in files:
        for n, raw in enumerate(f.read_bytes().splitlines(), 1):
            if not raw.strip():
                continue
            try:
                item = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise InputError(f"{f}:{n}: not a JSON object. Fix the line.") from None
            if "text" not in item:
                ref = item.get("text_ref", "").removeprefix("realnotes:")
                path = next((d / ref for d in dirs if (d / ref).is_file()), None)
                if path is None:
                    skipped.append(item.get("id", f"{f}:{n}"))
                    continue
                item["text"] = path.read_text(encoding="utf-8")
            item["_source"] = f"{f.name}:{n}"
            lines.append(item)
    return lines, skipped


def _gold_findings(item: dict, got: dict[str, ElementFinding]) -> dict[str, ElementFinding]:
    """The gold elements; one a line does not annotate (a policy element in an older file) is taken as found."""
    return {
        e: ElementFinding(e, bool(item["elements"][e]["present"]), tuple(item["elements"][e].get("values", ())))
        if e in item["elements"] else got.get(e, ElementFinding(e, False))
        for e in ELEMENTS
    }


def evaluate(gold: Path, rules_dir: str | Path | None = None, realnotes: Path | None = None) -> Report:
    items, skipped = load_gold(Path(gold), realnotes)
    checker = Checker(rules_dir)
    report = Report(skipped=skipped)
    notes = [NoteInput(id=it["id"], source=it["_source"], text=it["text"], codes=it.get("codes"),
                       service_date=it.get("service_date"), patient=it.get("patient")) for it in items]
    for item, result in zip(items, checker.check_many(notes)):
        report.notes += 1
        for e in ELEMENTS:
            if e not in item["elements"]:
                continue  # only what the gold line annotates is scored
            report.annotated[e] += 1
            g = item["elements"][e]
            got = result.elements[e] if result.elements else ElementFinding(e, False)
            exp = bool(g["present"])
            report.presence[e].add(int(exp and got.present), int(got.present and not exp), int(exp and not got.present))
            gv, pv = set(g.get("values", ())), set(got.values)
            report.values[e].add(len(gv & pv), len(pv - gv), len(gv - pv))
            if exp != got.present or gv != pv:
                report.misses.append({
                    "id": item["id"], "source": item["_source"], "element": e,
                    "expected": {"present": exp, "values": sorted(gv)},
                    "got": {"present": got.present, "values": sorted(pv)},
                    "evidence": [item["text"][ev.start:ev.end] for ev in got.evidence][:5],
                    "excluded": [f"{item['text'][ev.start:ev.end]} ({ev.reason})" for ev in got.excluded][:5],
                })
        if item.get("codes") and result.codes:
            expected_codes, _ = audit(parse_claims(item["codes"]), _gold_findings(item, result.elements),
                                      checker.profile.scoring)
            if expected_codes:
                want = max((c.status for c in expected_codes), key=STATUS_RANK.__getitem__)
                report.status_total += 1
                report.status_right += int(want == result.status)
    _code_inference(report, items, checker)
    return report


def _code_inference(report: Report, items: list[dict], checker: Checker) -> None:
    """Infer codes for every gold note with billed codes, those withheld, and count per code and family.
    A code billed in place of another (G0260 for 27096: ``same_as``) counts as that code."""
    pack = checker.rules
    billed = [it for it in items if it.get("codes")]
    notes = [NoteInput(id=it["id"], source=it["_source"], text=it["text"]) for it in billed]

    def name(code: str) -> str:
        rule = pack.code_rule(code) if code in pack.codes else None
        return rule.same_as if rule is not None and rule.same_as else code

    for item, result in zip(billed, checker.check_many(notes)):
        want = {name(c.code) for c in parse_claims(item["codes"])}
        got = {name(c.code) for c in result.codes}
        for code in want | got:
            family = pack.code_rule(code).family if code in pack.codes else "no rule file"
            for table, key in ((report.codes, code), (report.families, family)):
                table.setdefault(key, Counts()).add(int(code in want and code in got), int(code in got and code not in want),
                                                    int(code in want and code not in got))


def as_dict(report: Report) -> dict:
    def table(counts: dict[str, Counts]) -> dict:
        out = {}
        for e, c in counts.items():
            p, r, f = c.prf()
            out[e] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": c.tp, "fp": c.fp, "fn": c.fn}
        return out

    return {
        "notes": report.notes,
        "skipped": report.skipped,
        "annotated": report.annotated,
        "presence": table(report.presence),
        "values": table(report.values),
        "status_accuracy": round(report.status_right / report.status_total, 4) if report.status_total else None,
        "status_notes": report.status_total,
        "code_inference": {"families": table(dict(sorted(report.families.items()))), "codes": table(dict(sorted(report.codes.items())))},
        "targets": TARGETS,
        "targets_met": report.targets_met(),
        "misses": report.misses,
    }


def render_json(report: Report) -> str:
    return orjson.dumps(as_dict(report), option=orjson.OPT_INDENT_2).decode()


def render_text(report: Report) -> str:
    d = as_dict(report)
    out = [f"{d['notes']} gold notes" + (f" ({len(d['skipped'])} skipped: their real-note text was not found)" if d["skipped"] else "")]
    out.append(f"{'element':24} {'P':>6} {'R':>6} {'F1':>6} {'target':>7}   {'value P':>7} {'value R':>7} {'value F1':>8}")
    for e in ELEMENTS:
        p, v = d["presence"][e], d["values"][e]
        if not report.annotated[e]:
            continue  # no gold line annotates it (the policy elements in older files, the core ones in policy.jsonl)
        if e not in TARGETS:
            out.append(f"{e:24} {p['precision']:6.3f} {p['recall']:6.3f} {p['f1']:6.3f} {'-':>7} {'':5} "
                       f"{v['precision']:7.3f} {v['recall']:7.3f} {v['f1']:8.3f}")
            continue
        mark = "ok" if p["f1"] >= TARGETS[e] else "BELOW"
        out.append(f"{e:24} {p['precision']:6.3f} {p['recall']:6.3f} {p['f1']:6.3f} {TARGETS[e]:7.2f} {mark:5} "
                   f"{v['precision']:7.3f} {v['recall']:7.3f} {v['f1']:8.3f}")
    if d["status_accuracy"] is not None:
        out.append(f"note status accuracy: {d['status_accuracy']:.3f} over {d['status_notes']} notes with billed codes")
    inf = d["code_inference"]
    if inf["codes"]:
        out.append("code inference (billed codes withheld):  family  P  R  F1  (tp/fp/fn)")
        for fam, c in inf["families"].items():
            out.append(f"  {fam:22} {c['precision']:6.3f} {c['recall']:6.3f} {c['f1']:6.3f}  ({c['tp']}/{c['fp']}/{c['fn']})")
        out.append("  per code (tp/fp/fn): " + ", ".join(f"{k} {c['tp']}/{c['fp']}/{c['fn']}" for k, c in inf["codes"].items()))
    out.append("targets met" if d["targets_met"] else "targets NOT met")
    if d["misses"]:
        out.append("")
        out.append(f"misses ({len(d['misses'])}):")
        for m in d["misses"]:
            out.append(f"  {m['id']} [{m['source']}] {m['element']}: expected {m['expected']} got {m['got']}"
                       f" evidence={m['evidence']} excluded={m['excluded']}")
    return "\n".join(out)
