"""notecheck.context_of measured on the NegEx/ConText annotated sentences (Chapman et al.).

    .venv/bin/python bench/negex_eval.py PATH/rsAnnotations-1-120-random.txt [--show negated]

The file is not shipped with notecheck: get it from the NegEx project (chapmanbe/negex on GitHub,
``rsAnnotations-1-120-random.txt``: one sentence a line, tab-separated: line number, condition, sentence,
negation status (Affirmed/Negated/Possible), temporality (Recent/Historical/Not particular, i.e. hypothetical)
and experiencer (Patient/Other)). Each condition is found in its sentence (case and runs of spaces ignored)
and ``context_of`` is asked about that span. Scored, as in the ConText papers, per decision:

    negated       gold Negated                       vs  "negated" in the reasons
    historical    gold Historical                    vs  "historical"
    hypothetical  gold Not particular / Hypothetical vs  "hypothetical" or "planned"
    experiencer   gold Other                         vs  "other_experiencer"

Prints precision, recall and F1 of each, to stdout only. ``--show NAME`` lists that decision's errors.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from notecheck import context_of  # noqa: E402

DECISIONS = {
    "negated": (lambda row: row["negation"] == "negated", lambda r: "negated" in r),
    "historical": (lambda row: row["temporality"] == "historical", lambda r: "historical" in r),
    "hypothetical": (lambda row: row["temporality"] in ("hypothetical", "not particular"),
                     lambda r: bool(r & {"hypothetical", "planned"})),
    "experiencer": (lambda row: row["experiencer"] in ("other", "family member"), lambda r: "other_experiencer" in r),
}


def read_rows(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines()):
        parts = line.split("\t")
        if n == 0 and not parts[0].strip().isdigit():
            continue  # the header line
        if len(parts) < 6:
            continue
        rows.append({"condition": parts[1].strip(), "sentence": parts[2], "negation": parts[3].strip().lower(),
                     "temporality": parts[4].strip().lower(), "experiencer": parts[5].strip().lower()})
    return rows


def find(condition: str, sentence: str) -> tuple[int, int] | None:
    words = condition.split()
    if not words:
        return None
    m = re.search(r"\s+".join(re.escape(w) for w in words), sentence, re.IGNORECASE)
    return m.span() if m else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--show", choices=sorted(DECISIONS), help="list the errors of one decision")
    args = ap.parse_args()
    rows = read_rows(args.path)
    counts = {d: [0, 0, 0] for d in DECISIONS}  # tp, fp, fn
    errors = {d: [] for d in DECISIONS}
    missing = 0
    for row in rows:
        span = find(row["condition"], row["sentence"])
        if span is None:
            missing += 1
            continue
        reasons = context_of(row["sentence"], [span])[0]
        for name, (gold, pred) in DECISIONS.items():
            g, p = gold(row), pred(reasons)
            c = counts[name]
            c[0] += g and p
            c[1] += p and not g
            c[2] += g and not p
            if g != p:
                errors[name].append((g, sorted(reasons), row["condition"], row["sentence"]))
    print(f"{len(rows)} sentences" + (f" ({missing} whose condition was not found in the sentence: skipped)" if missing else ""))
    print(f"{'decision':14} {'gold':>5} {'P':>6} {'R':>6} {'F1':>6}")
    for name, (tp, fp, fn) in counts.items():
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{name:14} {tp + fn:5} {p:6.3f} {r:6.3f} {f:6.3f}")
    if args.show:
        print(f"\n{args.show} errors ({len(errors[args.show])}):")
        for g, reasons, cond, sentence in errors[args.show]:
            print(f"  {'missed' if g else 'false'}: [{cond}] {reasons} | {' '.join(sentence.split())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
