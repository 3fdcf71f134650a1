"""notecheck's throughput benchmark (issue 7): every figure measured in one run on the same notes.

    .venv/bin/python bench/run.py                      # 2000 generated notes + the real notes
    .venv/bin/python bench/run.py --notes 2000 --quick # smaller medspaCy subset, fewer latency samples

Figures (bench/README.md says what each means):
  1. bare spacy.blank("en").pipe over the texts: the floor any spaCy-based checker pays
  2. medspacy.load() default pipeline plus a TargetMatcher with notecheck's terms (on a subset: it is slow)
  3. the notecheck scan as a user runs it: files in a folder -> read, check, score, JSONL file; jobs=1
  4. the same with jobs=2
Paths 1-3 take turns in rounds over slices of the notes (a change in machine load then hits all three alike);
4 and 3' (jobs=1 again) take turns over all the notes (3 times) for the jobs=2 / jobs=1 ratio. Then
start-up, peak memory of a scan, and p50/p99 latency of Checker().check on one 800-word note.
Results replace the "throughput" section of bench/RESULTS.md (see bench/results.py).
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
from results import write_section  # noqa: E402

BENCH = Path(__file__).resolve().parent
PY = sys.executable
PAIR_ROUNDS = 3  # turns that paths 4 and 3' take, each over all the notes


def words(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def rate(n: int, w: int, seconds: float, cpu: float | None = None) -> dict:
    """Rates per wall second, and per CPU second of this process when ``cpu`` is given (CPU/wall below 1
    means other work on the machine took the cores)."""
    out = {"notes": n, "words": w, "seconds": seconds, "notes_s": n / seconds, "words_s": w / seconds}
    if cpu is not None:
        out.update(cpu=cpu, notes_cpu=n / cpu, words_cpu=w / cpu)
    return out


class Clock:
    """Wall and CPU (this process) seconds of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def file_text(note: dict) -> str:
    """The text as it is written to a file: a note whose codes sit in an export column gets them as a line."""
    return note["text"] if note["codes"] is None else f"{note['text']}\n\nProcedure codes: {note['codes']}\n"


# ----------------------------------------------------------------------------- the four paths


class Tally:
    """Wall and CPU seconds of one path, summed over the rounds."""

    def __init__(self):
        self.n = self.w = 0
        self.wall = self.cpu = 0.0

    def add(self, n: int, w: int, clock: Clock) -> None:
        self.n, self.w, self.wall, self.cpu = self.n + n, self.w + w, self.wall + clock.wall, self.cpu + clock.cpu

    def rate(self) -> dict:
        return rate(self.n, self.w, self.wall, self.cpu)


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


def run_scan(folders: list[Path], out: Path, jobs: int, checker) -> tuple[Clock, object]:
    """notecheck.scan over folders of .txt files into a JSONL file. The Checker is built before (start-up is
    measured on its own); worker processes (jobs > 1) build theirs inside the timing, as they do for a user."""
    from notecheck.renderers.jsonl import JsonLinesRenderer
    from notecheck.scan import scan

    with open(out, "w", encoding="utf-8") as stream, Clock() as clock:
        summary = scan(folders, JsonLinesRenderer(stream), checker=checker, jobs=jobs)
    return clock, summary


def throughput(chunks: list[list[str]], folders: list[Path], med_n: int, tmp: Path, say) -> dict:
    """Paths 1-3 in rounds, one chunk of the notes each (so a change in machine load hits all three alike),
    then paths 4 and 3' in turns over all the notes for the jobs=2 / jobs=1 ratio."""
    import spacy

    from notecheck import Checker

    bare_nlp = spacy.blank("en")
    # 1b: the same without spaCy's whitespace special cases, which stop its word cache after a text's first
    # line break (notecheck's tokenizer drops them too; see notecheck.pipeline.build_pipeline)
    cached_nlp = spacy.blank("en")
    cached_nlp.tokenizer.rules = {k: v for k, v in cached_nlp.tokenizer.rules.items() if k.strip()}
    med_nlp, n_rules = medspacy_default()
    checker = Checker()
    per_round = max(1, med_n // len(chunks))
    bare, cached, med, one = Tally(), Tally(), Tally(), Tally()
    ents = 0
    for k, (texts, folder) in enumerate(zip(chunks, folders)):
        for nlp, tally in ((bare_nlp, bare), (cached_nlp, cached)):
            with Clock() as c:
                for _doc in nlp.pipe(texts):
                    pass
            tally.add(len(texts), words(texts), c)
        sub = texts[:per_round]
        with Clock() as c:
            for doc in med_nlp.pipe(sub):
                ents += len(doc.ents)
        med.add(len(sub), words(sub), c)
        c, summary = run_scan([folder], tmp / "round.jsonl", 1, checker)
        if summary.read != len(texts):
            raise SystemExit(f"scan read {summary.read} notes of {len(texts)} in {folder}")
        one.add(len(texts), words(texts), c)
        say(f"round {k + 1}/{len(chunks)}: bare {bare.n / bare.wall:.0f}, medspaCy {med.n / med.wall:.1f}, "
            f"notecheck {one.n / one.wall:.1f} notes/s")
    out = {"bare": bare.rate(), "cached": cached.rate(), "medspacy": med.rate(), "scan1": one.rate()}
    out["medspacy"].update(rules=n_rules, ents=ents, pipes=med_nlp.pipe_names)
    n, w = one.n, one.w
    pair = {2: Tally(), 1: Tally()}
    for _ in range(PAIR_ROUNDS):  # 4 and 3' take turns too
        for jobs, tally in pair.items():
            c, summary = run_scan(folders, tmp / f"all{jobs}.jsonl", jobs, checker)
            if summary.read != n:
                raise SystemExit(f"scan jobs={jobs} read {summary.read} notes of {n}")
            tally.add(n, w, c)
            say(f"all notes, jobs={jobs}: {n / c.wall:.1f} notes/s")
    for jobs, tally in pair.items():
        out[f"pair{jobs}"] = tally.rate()
    out["pair1"]["summary"] = summary.line()
    return out


# ----------------------------------------------------------------------------- start-up, memory, latency


def child(cmd: list[str]) -> tuple[float, float, float, int]:
    """(peak RSS in MB, wall seconds, CPU seconds, exit code) of one child, from its own rusage (os.wait4)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen
    return usage.ru_maxrss / 1024, seconds, usage.ru_utime + usage.ru_stime, proc.returncode


def startup(runs: int = 3) -> dict:
    runs_ = [child([PY, "-c", "import notecheck; notecheck.Checker()"]) for _ in range(runs)]
    if any(r[3] != 0 for r in runs_):
        raise SystemExit("python -c 'import notecheck; notecheck.Checker()' failed")
    return {"median": statistics.median(r[1] for r in runs_), "cpu": statistics.median(r[2] for r in runs_),
            "all": [r[1] for r in runs_]}


def scan_cli(folders: list[Path], out: Path) -> list[str]:
    return [str(Path(PY).with_name("notecheck")), "scan", *map(str, folders), "--format", "jsonl", "-o", str(out), "--jobs", "1", "-q"]


def latency(reps: int, distinct: int = 50) -> dict:
    """Checker().check on 800-word notes (``distinct`` different ones, cycled), after a warm-up."""
    from notecheck import Checker

    checker = Checker()
    notes = [note_of_words(800, seed=1000 + i) for i in range(distinct)]
    for text in notes[:20]:
        checker.check(text)
    wall, cpu = [], []
    for i in range(reps):
        text = notes[i % distinct]
        t, c = time.perf_counter(), time.thread_time()
        checker.check(text)
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
    wall.sort()
    cpu.sort()
    pct = lambda xs, q: xs[min(len(xs) - 1, int(q * len(xs)))]  # noqa: E731
    return {"p50": pct(wall, 0.50), "p99": pct(wall, 0.99), "max": wall[-1], "cpu_p50": pct(cpu, 0.50),
            "cpu_p99": pct(cpu, 0.99), "reps": reps, "words": statistics.mean(len(n.split()) for n in notes)}


# ----------------------------------------------------------------------------- report


def source_state() -> str:
    """The commit, and a digest of uncommitted changes to src/ and patterns/ (figures depend on both)."""
    root = BENCH.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        diff = subprocess.run(["git", "diff", "HEAD", "--", "src", "patterns"], cwd=root, capture_output=True, check=True).stdout
        new = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "--", "src", "patterns"], cwd=root,
                             capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    if not diff and not new:
        return f"commit {head}, no uncommitted changes to src/ or patterns/"
    import hashlib

    digest = hashlib.sha1(diff + "".join(new).encode()).hexdigest()[:10]
    return f"commit {head} plus uncommitted changes to src/ and patterns/ (diff digest {digest}, {len(new)} new files)"


def met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def write_results(r: dict, args, command: str) -> str:
    bare, cached, med, one = r["bare"], r["cached"], r["medspacy"], r["scan1"]
    two, one_b = r["pair2"], r["pair1"]
    lat = r["latency"]
    wall = lambda x: f"{x['notes_s']:,.1f} notes/s, {x['words_s']:,.0f} words/s"  # noqa: E731
    cpu = lambda x: f"{x['notes_cpu']:,.1f} notes/s, {x['words_cpu']:,.0f} words/s"  # noqa: E731
    r31, r31c = one["notes_s"] / bare["notes_s"], one["notes_cpu"] / bare["notes_cpu"]
    r31b, r31bc = one["notes_s"] / cached["notes_s"], one["notes_cpu"] / cached["notes_cpu"]
    r32, r32c = one["notes_s"] / med["notes_s"], one["notes_cpu"] / med["notes_cpu"]
    r43 = two["notes_s"] / one_b["notes_s"]
    rows = [
        ("1. bare `spacy.blank(\"en\").pipe` (floor)", wall(bare), cpu(bare), "", ""),
        ("1b. the same without whitespace special cases (notecheck's tokenizer)", wall(cached), cpu(cached), "", ""),
        (f"2. `medspacy.load()` default + notecheck terms ({med['notes']} notes)", wall(med), cpu(med), "", ""),
        ("3. notecheck scan, files -> JSONL, jobs=1", wall(one), cpu(one), "", ""),
        ("4. notecheck scan, files -> JSONL, jobs=2 (all notes at once, in turns with 3')", wall(two), "", "", ""),
        ("3'. the same, jobs=1 (all notes at once, in turns with 4)", wall(one_b), cpu(one_b), "", ""),
        ("ms per note: 1 / 2 / 3", f"{1000 / bare['notes_s']:.2f} / {1000 / med['notes_s']:.1f} / {1000 / one['notes_s']:.2f}",
         f"{1000 / bare['notes_cpu']:.2f} / {1000 / med['notes_cpu']:.1f} / {1000 / one['notes_cpu']:.2f}", "", ""),
        ("ratio 3/1 (notecheck / bare tokenizer)", f"{r31:.1%}", f"{r31c:.1%}", ">= 25% (CPU)", met(r31c >= 0.25)),
        ("ratio 3/1b (notecheck / tokenizer without whitespace special cases)", f"{r31b:.1%}", f"{r31bc:.1%}", "", ""),
        ("ratio 3/2 (notecheck / medspaCy default)", f"{r32:.1f}x", f"{r32c:.1f}x", ">= 100x (CPU)", met(r32c >= 100)),
        ("ratio 4/3' (jobs=2 / jobs=1)", f"{r43:.2f}x", "", ">= 1.7x (wall)", met(r43 >= 1.7)),
        ("start-up `import notecheck; notecheck.Checker()` (median of 3)", f"{r['startup']['median']:.2f} s",
         f"{r['startup']['cpu']:.2f} s", "<= 1.5 s (wall)", met(r["startup"]["median"] <= 1.5)),
        (f"latency `Checker().check`, one {lat['words']:.0f}-word note, p50", f"{lat['p50']:.1f} ms", f"{lat['cpu_p50']:.1f} ms", "", ""),
        (f"latency `Checker().check`, one {lat['words']:.0f}-word note, p99 ({lat['reps']} checks)", f"{lat['p99']:.1f} ms",
         f"{lat['cpu_p99']:.1f} ms", "<= 10 ms (wall)", met(lat["p99"] <= 10)),
        (f"peak RSS of `notecheck scan` (CLI, jobs=1) over the {one['notes']} notes", f"{r['peak_mb']:.0f} MB", "",
         "<= 500 MB", met(r["peak_mb"] <= 500)),
    ]
    cores = len(os.sched_getaffinity(0))
    load = os.getloadavg()
    import medspacy
    import spacy

    lines = [
        "## Throughput",
        "",
        f"- command: `{command}`",
        f"- date: {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"- machine: {cores} cores usable ({os.cpu_count()} logical), {platform.machine()}, Python {platform.python_version()}, "
        f"spaCy {spacy.__version__}, medspaCy {medspacy.__version__}; load average before the run {r['load_before']:.2f}, after {load[0]:.2f}",
        f"- source: {r['source']}",
        f"- notes: {one['notes']} ({r['n_syn']} generated by bench/notes.py with seed {args.seed}, {r['n_real']} real), "
        f"{one['words']:,} words, {one['words'] / one['notes']:.0f} words/note on average; every path runs on all of them "
        f"but path 2, which runs on {med['notes']} (the same number from each round)",
        "",
        f"Paths 1, 2 and 3 took turns in {r['rounds']} rounds, one slice of the notes each, so that a change in machine",
        f"load hits all three alike; 4 and 3' then took {PAIR_ROUNDS} turns each over all the notes. Wall: elapsed time.",
        "CPU: this process's CPU time (for start-up, the child's); CPU/wall well below 1 means other work took the cores.",
        "Ratios 3/1 and 3/2 are judged on CPU time, the rest on wall time.",
        "",
        "| figure | wall | CPU | target | |",
        "|---|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows],
        "",
        f"Scan summary: {one_b['summary']}. Wall seconds: bare {bare['seconds']:.2f}, medspaCy {med['seconds']:.1f}, "
        f"scan jobs=1 {one['seconds']:.1f} (3) and {one_b['seconds']:.1f} (3', {PAIR_ROUNDS} turns), jobs=2 {two['seconds']:.1f} "
        f"({PAIR_ROUNDS} turns, starting the workers included). CPU/wall: bare {bare['cpu'] / bare['seconds']:.2f}, medspaCy "
        f"{med['cpu'] / med['seconds']:.2f}, notecheck {one['cpu'] / one['seconds']:.2f}. "
        f"Start-up runs: {', '.join(f'{s:.2f}' for s in r['startup']['all'])} s. Latency max {lat['max']:.1f} ms.",
        f"medspaCy pipeline: {', '.join(med['pipes'])} with {med['rules']} target rules; {med['ents']} entities found.",
        "",
    ]
    text = "\n".join(lines)
    write_section("throughput", text)
    return text


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notes", type=int, default=2000, help="generated notes (default 2000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="medspaCy on 100 notes, 300 latency checks (else 400 and 2000)")
    ap.add_argument("--medspacy-notes", type=int, help="notes for the medspaCy path (default 100 quick, 400 full)")
    ap.add_argument("--rounds", type=int, help="rounds that paths 1-3 take turns in (default 4 quick, 8 full)")
    ap.add_argument("--no-real", action="store_true", help="leave out the real notes in shared/realnotes/csv")
    args = ap.parse_args(argv)
    command = ".venv/bin/python bench/run.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    med_n = args.medspacy_notes or (100 if args.quick else 400)
    reps = 300 if args.quick else 2000

    notes = list(generate(args.notes, seed=args.seed))
    real = [] if args.no_real else load_real_notes()
    every = notes + real
    texts = [file_text(n) for n in every]
    r: dict = {"source": source_state(), "rounds": args.rounds or (4 if args.quick else 8), "n_syn": len(notes), "n_real": len(real), "load_before": os.getloadavg()[0]}
    say = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731

    rounds = args.rounds or (4 if args.quick else 8)
    with tempfile.TemporaryDirectory(prefix="notecheck-bench-") as tmp_:
        tmp = Path(tmp_)
        chunks = [texts[k::rounds] for k in range(rounds)]
        folders = []
        for k in range(rounds):
            folder = tmp / f"notes{k}"
            folder.mkdir()
            for i in range(k, len(every), rounds):
                (folder / f"{i:07d}_{every[i]['id']}.txt").write_text(texts[i], encoding="utf-8")
            folders.append(folder)
        n, w = len(texts), words(texts)
        say(f"{n} notes, {w} words, {rounds} rounds")
        r.update(throughput(chunks, folders, med_n, tmp, say))
        r["startup"] = startup()
        say(f"start-up {r['startup']['median']:.2f} s")
        peak, _, _, code = child(scan_cli(folders, tmp / "cli.jsonl"))
        with open(tmp / "cli.jsonl", "rb") as fh:
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
