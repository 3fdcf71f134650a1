"""notecheck's throughput benchmark (issue 7): every figure measured in one run on the same notes.

    .venv/bin/python bench/run.py                      # 2000 generated notes + the real notes
    .venv/bin/python bench/run.py --notes 2000 --quick # smaller medspaCy subset, fewer latency samples

Figures (bench/README.md says what each means):
  1. bare spacy.blank("en").pipe over the texts: the floor any spaCy-based checker pays
  2. medspacy.load() default pipeline plus a TargetMatcher with notecheck's terms (on a subset: it is slow)
  3. the notecheck scan as a user runs it: files in a folder -> read, check, score, JSONL file; jobs=1
  4. the same with jobs=2
plus start-up, peak memory of a scan, and p50/p99 latency of Checker().check on one 800-word note.
Results overwrite bench/RESULTS.md (its "Memory" section, written by bench/memory.py, is kept).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loguru import logger

logger.remove()  # PyRuSH logs every token at DEBUG through loguru: silence it before medspaCy is imported

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notes import generate, load_real_notes, note_of_words  # noqa: E402

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "RESULTS.md"
PY = sys.executable


def words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def rate(n: int, w: int, seconds: float) -> dict:
    return {"notes": n, "words": w, "seconds": seconds, "notes_s": n / seconds, "words_s": w / seconds}


def file_text(note: dict) -> str:
    """The text as it is written to a file: a note whose codes sit in an export column gets them as a line."""
    return note["text"] if note["codes"] is None else f"{note['text']}\n\nProcedure codes: {note['codes']}\n"


# ----------------------------------------------------------------------------- the four paths


def bench_bare(texts: list[str]) -> dict:
    import spacy

    nlp = spacy.blank("en")
    t = time.perf_counter()
    for _doc in nlp.pipe(texts):
        pass
    return rate(len(texts), words(texts), time.perf_counter() - t)


def medspacy_default():
    """What a user builds first: medspaCy's default pipeline (PyRuSH sentences, TargetMatcher, ConText)
    with a TargetRule for every term, pattern and abbreviation of notecheck's rule pack."""
    import medspacy
    from medspacy.ner import TargetRule

    from notecheck.rules import load_rules

    pack = load_rules()
    rules = []
    for element, ef in pack.elements.items():
        for term in ef.terms:
            rules += [TargetRule(p, element.upper()) for p in term.phrases]
            rules += [TargetRule(p, element.upper(), pattern=[{"TEXT": w} for w in p.split()]) for p in term.case_sensitive]
        rules += [TargetRule(f"{element}:{tp.value}", element.upper(), pattern=tp.pattern) for tp in ef.patterns]
    rules += [TargetRule(ab.abbr, "ABBREVIATION") for ab in pack.abbreviations.abbreviations]
    nlp = medspacy.load()
    nlp.get_pipe("medspacy_target_matcher").add(rules)
    return nlp, len(rules)


def bench_medspacy(texts: list[str]) -> dict:
    nlp, n_rules = medspacy_default()
    t = time.perf_counter()
    ents = 0
    for doc in nlp.pipe(texts):
        ents += len(doc.ents)
    out = rate(len(texts), words(texts), time.perf_counter() - t)
    out.update(rules=n_rules, ents=ents, pipes=nlp.pipe_names)
    return out


def bench_scan(folder: Path, out: Path, jobs: int) -> dict:
    """notecheck.scan over a folder of .txt files into a JSONL file; the Checker is built before the clock
    starts (start-up is measured on its own); worker processes (jobs > 1) build theirs inside the timing."""
    from notecheck import Checker
    from notecheck.renderers.jsonl import JsonLinesRenderer
    from notecheck.scan import scan

    checker = Checker()
    with open(out, "w", encoding="utf-8") as stream:
        t = time.perf_counter()
        summary = scan([folder], JsonLinesRenderer(stream), checker=checker, jobs=jobs)
        seconds = time.perf_counter() - t
    return {"seconds": seconds, "summary": summary.line(), "read": summary.read}


# ----------------------------------------------------------------------------- start-up, memory, latency


def startup(runs: int = 3) -> dict:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([PY, "-c", "import notecheck; notecheck.Checker()"], check=True)
        times.append(time.perf_counter() - t)
    return {"median": statistics.median(times), "all": times}


def peak_rss_of(cmd: list[str], **kw) -> tuple[float, float, int]:
    """(peak RSS in MB, wall seconds, exit code) of one child, from its own rusage (os.wait4)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen
    return usage.ru_maxrss / 1024, seconds, proc.returncode


def scan_cli(folder: Path, out: Path) -> list[str]:
    return [str(Path(PY).with_name("notecheck")), "scan", str(folder), "--format", "jsonl", "-o", str(out), "--jobs", "1", "-q"]


def latency(reps: int, distinct: int = 50) -> dict:
    """Checker().check on 800-word notes (``distinct`` different ones, cycled), after a warm-up."""
    from notecheck import Checker

    checker = Checker()
    notes = [note_of_words(800, seed=1000 + i) for i in range(distinct)]
    for text in notes[:20]:
        checker.check(text)
    samples = []
    for i in range(reps):
        text = notes[i % distinct]
        t = time.perf_counter()
        checker.check(text)
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    pct = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
    return {"p50": pct(0.50), "p99": pct(0.99), "max": samples[-1], "reps": reps,
            "words": statistics.mean(len(n.split()) for n in notes)}


# ----------------------------------------------------------------------------- report


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def write_results(r: dict, args, command: str) -> str:
    bare, med, one, two = r["bare"], r["medspacy"], r["scan1"], r["scan2"]
    r31 = one["notes_s"] / bare["notes_s"]
    r32 = one["notes_s"] / med["notes_s"]
    r43 = two["notes_s"] / one["notes_s"]
    rows = [
        ("1. bare `spacy.blank(\"en\").pipe` (floor)", f"{bare['notes_s']:,.0f} notes/s, {bare['words_s']:,.0f} words/s", "", ""),
        (f"2. `medspacy.load()` default + notecheck terms ({med['notes']} notes)",
         f"{med['notes_s']:,.1f} notes/s, {med['words_s']:,.0f} words/s, {1000 / med['notes_s']:.1f} ms/note", "", ""),
        ("3. notecheck scan, files -> JSONL, jobs=1",
         f"{one['notes_s']:,.1f} notes/s, {one['words_s']:,.0f} words/s, {1000 / one['notes_s']:.2f} ms/note", "", ""),
        ("4. notecheck scan, files -> JSONL, jobs=2",
         f"{two['notes_s']:,.1f} notes/s, {two['words_s']:,.0f} words/s", "", ""),
        ("ratio 3/1 (notecheck / bare tokenizer)", f"{r31:.1%}", ">= 25%", met(r31 >= 0.25)),
        ("ratio 3/2 (notecheck / medspaCy default)", f"{r32:.1f}x", ">= 100x", met(r32 >= 100)),
        ("ratio 4/3 (jobs=2 / jobs=1)", f"{r43:.2f}x", ">= 1.7x", met(r43 >= 1.7)),
        ("start-up `import notecheck; notecheck.Checker()` (median of 3)", f"{r['startup']['median']:.2f} s", "<= 1.5 s",
         met(r["startup"]["median"] <= 1.5)),
        (f"latency `Checker().check`, one {r['latency']['words']:.0f}-word note, p50",
         f"{r['latency']['p50']:.1f} ms", "", ""),
        (f"latency `Checker().check`, one {r['latency']['words']:.0f}-word note, p99 ({r['latency']['reps']} checks)",
         f"{r['latency']['p99']:.1f} ms", "<= 10 ms", met(r["latency"]["p99"] <= 10)),
        (f"peak RSS of `notecheck scan` (CLI, jobs=1) over the {one['notes']} notes", f"{r['peak_mb']:.0f} MB", "<= 500 MB",
         met(r["peak_mb"] <= 500)),
    ]
    cores = len(os.sched_getaffinity(0))
    load = os.getloadavg()
    import medspacy
    import spacy

    lines = [
        "# notecheck benchmark results",
        "",
        f"- command: `{command}`",
        f"- date: {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"- machine: {cores} cores usable ({os.cpu_count()} logical), {platform.machine()}, Python {platform.python_version()}, "
        f"spaCy {spacy.__version__}, medspaCy {medspacy.__version__}; load average before the run {r['load_before']:.2f}, after {load[0]:.2f}",
        f"- notes: {one['notes']} ({r['n_syn']} generated by bench/notes.py with seed {args.seed}, {r['n_real']} real), "
        f"{one['words']:,} words, {one['words'] / one['notes']:.0f} words/note on average; paths 1, 3, 4 run on all of them, "
        f"path 2 on the first {med['notes']}",
        "",
        "| figure | measured | target | |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        f"Scan summary (jobs=1): {one['summary']}. Seconds: bare {bare['seconds']:.2f}, medspaCy {med['seconds']:.1f}, "
        f"scan jobs=1 {one['seconds']:.1f}, jobs=2 {two['seconds']:.1f} (includes both workers building their pipeline). "
        f"Start-up runs: {', '.join(f'{s:.2f}' for s in r['startup']['all'])} s. Latency max {r['latency']['max']:.1f} ms.",
        f"medspaCy pipeline: {', '.join(med['pipes'])} with {med['rules']} target rules; {med['ents']} entities found.",
        "",
    ]
    text = "\n".join(lines)
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    if "\n## Memory" in old:  # bench/memory.py's section: it carries its own command and date
        text += old[old.index("\n## Memory"):]
    RESULTS.write_text(text, encoding="utf-8")
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notes", type=int, default=2000, help="generated notes (default 2000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="medspaCy on 100 notes, 300 latency checks (else 400 and 2000)")
    ap.add_argument("--medspacy-notes", type=int, help="notes for the medspaCy path (default 100 quick, 400 full)")
    ap.add_argument("--no-real", action="store_true", help="leave out the real notes in shared/realnotes/csv")
    args = ap.parse_args(argv)
    command = ".venv/bin/python bench/run.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    med_n = args.medspacy_notes or (100 if args.quick else 400)
    reps = 300 if args.quick else 2000

    notes = list(generate(args.notes, seed=args.seed))
    real = [] if args.no_real else load_real_notes()
    every = notes + real
    texts = [file_text(n) for n in every]
    r: dict = {"n_syn": len(notes), "n_real": len(real), "load_before": os.getloadavg()[0]}
    say = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731

    with tempfile.TemporaryDirectory(prefix="notecheck-bench-") as tmp:
        folder = Path(tmp) / "notes"
        folder.mkdir()
        for i, (note, text) in enumerate(zip(every, texts)):
            (folder / f"{i:07d}_{note['id']}.txt").write_text(text, encoding="utf-8")
        n, w = len(texts), words(texts)

        say(f"{n} notes, {w} words")
        r["bare"] = bench_bare(texts)
        say(f"1 bare: {r['bare']['notes_s']:.0f} notes/s")
        r["medspacy"] = bench_medspacy(texts[:med_n])
        say(f"2 medspaCy: {r['medspacy']['notes_s']:.1f} notes/s")
        for jobs in (1, 2):
            s = bench_scan(folder, Path(tmp) / f"out{jobs}.jsonl", jobs)
            if s["read"] != n:
                raise SystemExit(f"scan jobs={jobs} read {s['read']} notes of {n}")
            s.update(rate(n, w, s["seconds"]))
            r[f"scan{jobs}"] = s
            say(f"{2 + jobs} scan jobs={jobs}: {s['notes_s']:.1f} notes/s ({s['summary']})")
        r["startup"] = startup()
        say(f"start-up {r['startup']['median']:.2f} s")
        peak, _, code = peak_rss_of(scan_cli(folder, Path(tmp) / "cli.jsonl"))
        with open(Path(tmp) / "cli.jsonl", "rb") as fh:
            records = sum(1 for _ in fh)
        if code not in (0, 1) or records != n:  # exit 1 is "some note incomplete", and an uncaught error too
            raise SystemExit(f"notecheck scan exited {code} with {records} records for {n} notes")
        r["peak_mb"] = peak
        say(f"peak RSS {peak:.0f} MB")
    r["latency"] = latency(reps)
    say(f"latency p50 {r['latency']['p50']:.1f} ms p99 {r['latency']['p99']:.1f} ms")
    print(write_results(r, args, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
