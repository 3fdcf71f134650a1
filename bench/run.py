"""notecheck's throughput benchmark (issues 7 and 18): every figure measured in one run, on two sets of notes.

    .venv/bin/python bench/run.py                      # 2000 short and 2000 long generated notes + the real notes
    .venv/bin/python bench/run.py --notes 2000 --quick # smaller medspaCy subset, fewer latency samples

The same figures are measured on short notes (about 100 words) and on long ones (about 450 words, with the
real notes), each set on its own (bench/README.md says what each figure means):
  1. bare spacy.blank("en").pipe over the texts: the floor any spaCy-based checker pays
  2. medspacy.load() default pipeline plus a TargetMatcher with notecheck's terms (on a subset: it is slow)
  L. the library: Checker.check_many over the texts
  3. the notecheck scan as a user runs it: files in a folder -> read, check, score, JSONL file; jobs=1
  4. the same with jobs=2
Paths 1, 2, L and 3 take turns in rounds over slices of the notes (a change in machine load then hits them
alike); 4 and 3' (jobs=1 again) take turns over all the notes (3 times) for the jobs=2 / jobs=1 ratio. Then
start-up (`notecheck scan one.txt`, the whole process), peak memory of a scan, and p50/p99 latency of
Checker().check on one 800-word note. Memory over 10k to 1M notes is bench/memory.py's.
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


def throughput(chunks: list[list[str]], folders: list[Path], med_n: int, tmp: Path, say, checker, med_nlp, n_rules) -> dict:
    """Paths 1, 1b, 2, L and 3 in rounds, one chunk of the notes each (so a change in machine load hits them
    alike), then paths 4 and 3' in turns over all the notes for the jobs=2 / jobs=1 ratio."""
    import spacy

    from notecheck import NoteInput

    bare_nlp = spacy.blank("en")
    # 1b: the same without spaCy's whitespace special cases, which stop its word cache after a text's first
    # line break (notecheck's tokenizer drops them too; see notecheck.pipeline.build_pipeline)
    cached_nlp = spacy.blank("en")
    cached_nlp.tokenizer.rules = {k: v for k, v in cached_nlp.tokenizer.rules.items() if k.strip()}
    per_round = max(1, med_n // len(chunks))
    bare, cached, med, lib, one = Tally(), Tally(), Tally(), Tally(), Tally()
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
        inputs = [NoteInput(id=f"n{i}", source=f"n{i}", text=t) for i, t in enumerate(texts)]
        with Clock() as c:
            for _result in checker.check_many(inputs):
                pass
        lib.add(len(texts), words(texts), c)
        c, summary = run_scan([folder], tmp / "round.jsonl", 1, checker)
        if summary.read != len(texts):
            raise SystemExit(f"scan read {summary.read} notes of {len(texts)} in {folder}")
        one.add(len(texts), words(texts), c)
        say(f"round {k + 1}/{len(chunks)}: bare {bare.n / bare.wall:.0f}, medspaCy {med.n / med.wall:.1f}, "
            f"library {lib.n / lib.wall:.1f}, scan {one.n / one.wall:.1f} notes/s")
    out = {"bare": bare.rate(), "cached": cached.rate(), "medspacy": med.rate(), "lib": lib.rate(), "scan1": one.rate()}
    out["medspacy"].update(rules=n_rules, ents=ents, pipes=med_nlp.pipe_names)
    n, w = one.n, one.w
    pair = {2: Tally(), 1: Tally()}
    from notecheck import Checker

    for _ in range(PAIR_ROUNDS):  # 4 and 3' take turns too
        for jobs, tally in pair.items():
            # a Checker built for the turn, before the clock, as `notecheck scan` builds one and forks: the shared one
            # has checked every path's notes, and workers forked from it would rebuild their grown pipelines at once
            fresh = Checker()
            c, summary = run_scan(folders, tmp / f"all{jobs}.jsonl", jobs, fresh)
            del fresh
            if summary.read != n:
                raise SystemExit(f"scan jobs={jobs} read {summary.read} notes of {n}")
            tally.add(n, w, c)
            say(f"all notes, jobs={jobs}: {n / c.wall:.1f} notes/s")
    if (tmp / "all1.jsonl").read_bytes() != (tmp / "all2.jsonl").read_bytes():
        raise SystemExit("scan jobs=2 wrote other bytes than jobs=1")
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


def compiled_bytecode() -> str:
    """Compile notecheck's modules to bytecode (``compileall``) before start-up is timed, and say so. An editable
    install under PYTHONDONTWRITEBYTECODE=1 has none, and every run compiled them from source again (about 0.3 s);
    ``pip install .`` writes it, as the interpreter does when it may."""
    import notecheck

    package = Path(notecheck.__file__).resolve().parent
    done = subprocess.run([PY, "-m", "compileall", "-q", str(package)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"compileall {package} failed: {done.stdout[-500:]}{done.stderr[-500:]}")
    return f"bytecode of {package.name}/ compiled with compileall before the runs"


def startup(note: Path, out: Path, runs: int = 5) -> dict:
    """`notecheck scan ONE.txt -o OUT -q`, the whole process as a user starts it (default jobs), median of ``runs``,
    with notecheck's bytecode compiled first (``compiled_bytecode``); `python -c "import spacy"` (the floor: the
    spaCy import alone) and `python -c "import notecheck; notecheck.Checker()"` (issue 7's figure) in turns with
    it, so a change in machine load hits all three alike."""
    cmd = [str(Path(PY).with_name("notecheck")), "scan", str(note), "--format", "jsonl", "-o", str(out), "-q"]
    bytecode = compiled_bytecode()
    scans, spacys, builds = [], [], []
    for _ in range(runs):
        scans.append(child(cmd))
        spacys.append(child([PY, "-c", "import spacy"]))
        builds.append(child([PY, "-c", "import notecheck; notecheck.Checker()"]))
    if any(r[3] not in (0, 1) for r in scans) or out.read_bytes().count(b"\n") != 1:
        raise SystemExit("notecheck scan of one note failed")
    if any(r[3] != 0 for r in spacys + builds):
        raise SystemExit("python -c 'import spacy' or 'import notecheck; notecheck.Checker()' failed")
    median = lambda rows, k: statistics.median(r[k] for r in rows)  # noqa: E731
    return {"median": median(scans, 1), "cpu": median(scans, 2), "all": [r[1] for r in scans],
            "spacy": median(spacys, 1), "spacy_cpu": median(spacys, 2), "build": median(builds, 1),
            "build_cpu": median(builds, 2), "bytecode": bytecode}


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


SETS = (("short", "100-word notes"), ("long", "450-word notes"))


def write_results(r: dict, args, command: str) -> str:
    wall = lambda x: f"{x['notes_s']:,.1f} notes/s, {x['words_s']:,.0f} words/s"  # noqa: E731
    cpu = lambda x: f"{x['notes_cpu']:,.1f} notes/s, {x['words_cpu']:,.0f} words/s"  # noqa: E731
    short, long_ = r["short"], r["long"]

    def per_set(fn) -> list[str]:  # one figure on each set: wall and CPU cells
        return [cell for s_ in (short, long_) for cell in fn(s_)]

    def ratio(a: str, b: str, fmt: str):
        return lambda s_: [format(s_[a]["notes_s"] / s_[b]["notes_s"], fmt), format(s_[a]["notes_cpu"] / s_[b]["notes_cpu"], fmt)]

    lib_bare = short["lib"]["notes_cpu"] / short["bare"]["notes_cpu"]
    lib_med = long_["lib"]["notes_cpu"] / long_["medspacy"]["notes_cpu"]
    jobs = {k: r[k]["pair2"]["notes_s"] / r[k]["pair1"]["notes_s"] for k, _ in SETS}
    st, lat = r["startup"], r["latency"]
    rows = [
        ("1. bare `spacy.blank(\"en\").pipe` (floor)", *per_set(lambda s_: [wall(s_["bare"]), cpu(s_["bare"])]), "", ""),
        ("1b. the same without whitespace special cases (notecheck's tokenizer)",
         *per_set(lambda s_: [wall(s_["cached"]), cpu(s_["cached"])]), "", ""),
        ("2. `medspacy.load()` default + notecheck terms (a subset)",
         *per_set(lambda s_: [f"{wall(s_['medspacy'])} ({s_['medspacy']['notes']} notes)", cpu(s_["medspacy"])]), "", ""),
        ("L. the library: `Checker.check_many` over the texts", *per_set(lambda s_: [wall(s_["lib"]), cpu(s_["lib"])]), "", ""),
        ("3. notecheck scan, files -> JSONL, jobs=1", *per_set(lambda s_: [wall(s_["scan1"]), cpu(s_["scan1"])]), "", ""),
        ("4. notecheck scan, files -> JSONL, jobs=2 (all notes at once, in turns with 3')",
         *per_set(lambda s_: [wall(s_["pair2"]), ""]), "", ""),
        ("3'. the same, jobs=1 (all notes at once, in turns with 4)", *per_set(lambda s_: [wall(s_["pair1"]), cpu(s_["pair1"])]), "", ""),
        ("ms per note: 1 / 2 / L / 3", *per_set(lambda s_: [
            " / ".join(f"{1000 / s_[k]['notes_s']:.2f}" for k in ("bare", "medspacy", "lib", "scan1")),
            " / ".join(f"{1000 / s_[k]['notes_cpu']:.2f}" for k in ("bare", "medspacy", "lib", "scan1"))]), "", ""),
        ("ratio L/1 (library / bare tokenizer)", *per_set(ratio("lib", "bare", ".1%")), ">= 25% on 100-word notes (CPU)",
         met(lib_bare >= 0.25)),
        ("ratio 3/1 (scan / bare tokenizer)", *per_set(ratio("scan1", "bare", ".1%")), "", ""),
        ("ratio L/1b (library / tokenizer without whitespace special cases)", *per_set(ratio("lib", "cached", ".1%")), "", ""),
        ("ratio L/2 (library / medspaCy default)", *per_set(ratio("lib", "medspacy", ".1f")), ">= 100x on 450-word notes (CPU)",
         met(lib_med >= 100)),
        ("ratio 3/2 (scan / medspaCy default)", *per_set(ratio("scan1", "medspacy", ".1f")), "", ""),
        ("ratio 4/3' (jobs=2 / jobs=1)", f"{jobs['short']:.2f}x", "", f"{jobs['long']:.2f}x", "", ">= 1.8x on both (wall)",
         met(min(jobs.values()) >= 1.8)),
    ]
    single = [
        (f"start-up: `notecheck scan one.txt` ({r['one_words']} words), whole process, median of {len(st['all'])}",
         f"{st['median']:.2f} s", f"{st['cpu']:.2f} s", "<= 0.6 s (wall)", met(st["median"] <= 0.6)),
        (f"start-up: `python -c \"import notecheck; notecheck.Checker()\"`, median of {len(st['all'])}", f"{st['build']:.2f} s",
         f"{st['build_cpu']:.2f} s", "", ""),
        (f"start-up floor: `python -c \"import spacy\"`, median of {len(st['all'])} (in turns with the two above)",
         f"{st['spacy']:.2f} s", f"{st['spacy_cpu']:.2f} s", "", ""),
        (f"latency `Checker().check`, one {lat['words']:.0f}-word note, p50", f"{lat['p50']:.1f} ms", f"{lat['cpu_p50']:.1f} ms", "", ""),
        (f"latency `Checker().check`, one {lat['words']:.0f}-word note, p99 ({lat['reps']} checks)", f"{lat['p99']:.1f} ms",
         f"{lat['cpu_p99']:.1f} ms", "<= 10 ms (wall)", met(lat["p99"] <= 10)),
        (f"peak RSS of `notecheck scan` (CLI, jobs=1) over the {long_['scan1']['notes']} long notes", f"{r['peak_mb']:.0f} MB", "",
         "<= 500 MB", met(r["peak_mb"] <= 500)),
        ("memory flat from 10k to 1M notes", "see the memory section (`bench/memory.py`)", "", "within 10%", ""),
    ]
    cores = len(os.sched_getaffinity(0))
    load = os.getloadavg()
    import medspacy
    import spacy

    def describe(key: str, label: str) -> str:
        x = r[key]["scan1"]
        return (f"{label}: {x['notes']} notes ({r[key]['n_syn']} generated by bench/notes.py with seed {args.seed}, "
                f"{r[key]['n_real']} real), {x['words']:,} words, {x['words'] / x['notes']:.0f} words/note on average")

    lines = [
        "## Throughput",
        "",
        f"- command: `{command}`",
        f"- date: {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}",
        f"- machine: {cores} cores usable ({os.cpu_count()} logical), {platform.machine()}, Python {platform.python_version()}, "
        f"spaCy {spacy.__version__}, medspaCy {medspacy.__version__}; load average before the run {r['load_before']:.2f}, after {load[0]:.2f}",
        f"- source: {r['source']}",
        f"- {describe('short', '100-word notes')}",
        f"- {describe('long', '450-word notes')}",
        "",
        f"Each set on its own: paths 1, 2, L and 3 took turns in {r['rounds']} rounds, one slice of the notes each, so that a",
        f"change in machine load hits them alike (path 2 on the same few notes of each round); 4 and 3' then took {PAIR_ROUNDS}",
        "turns each over all the notes. Wall: elapsed time. CPU: this process's CPU time (for start-up, the child's);",
        "CPU/wall well below 1 means other work took the cores. Ratios L/1 and L/2 are judged on CPU time, the rest on wall time.",
        "",
        "| figure | 100-word notes: wall | CPU | 450-word notes: wall | CPU | target | |",
        "|---|---|---|---|---|---|---|",
        *["| " + " | ".join(row) + " |" for row in rows],
        "",
        "| figure | wall | CPU | target | |",
        "|---|---|---|---|---|",
        *["| " + " | ".join(row) + " |" for row in single],
        "",
    ]
    for key, label in SETS:
        x = r[key]
        lines.append(f"{label}: scan summary {x['pair1']['summary']}. Wall seconds: bare {x['bare']['seconds']:.2f}, medspaCy "
                     f"{x['medspacy']['seconds']:.1f}, library {x['lib']['seconds']:.1f}, scan jobs=1 {x['scan1']['seconds']:.1f} (3) "
                     f"and {x['pair1']['seconds']:.1f} (3', {PAIR_ROUNDS} turns), jobs=2 {x['pair2']['seconds']:.1f} ({PAIR_ROUNDS} "
                     f"turns, starting the workers included). CPU/wall: bare {x['bare']['cpu'] / x['bare']['seconds']:.2f}, "
                     f"medspaCy {x['medspacy']['cpu'] / x['medspacy']['seconds']:.2f}, library {x['lib']['cpu'] / x['lib']['seconds']:.2f}.")
        lines.append("")
    med = long_["medspacy"]
    lines += [
        f"Start-up runs: {', '.join(f'{s_:.2f}' for s_ in st['all'])} s ({st['bytecode']}). Latency max {lat['max']:.1f} ms. "
        f"medspaCy pipeline: {', '.join(med['pipes'])} with {med['rules']} target rules.",
        "",
    ]
    text = "\n".join(lines)
    write_section("throughput", text)
    return text


def note_folders(tmp: Path, name: str, every: list[dict], rounds: int) -> tuple[list[list[str]], list[Path]]:
    texts = [file_text(n) for n in every]
    folders = []
    for k in range(rounds):
        folder = tmp / f"{name}{k}"
        folder.mkdir()
        for i in range(k, len(every), rounds):
            (folder / f"{i:07d}_{every[i]['id']}.txt").write_text(texts[i], encoding="utf-8")
        folders.append(folder)
    return [texts[k::rounds] for k in range(rounds)], folders


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notes", type=int, default=2000, help="generated notes in each set, short and long (default 2000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="medspaCy on 100 notes, 300 latency checks (else 400 and 2000)")
    ap.add_argument("--medspacy-notes", type=int, help="notes for the medspaCy path (default 100 quick, 400 full)")
    ap.add_argument("--rounds", type=int, help="rounds that paths 1-3 take turns in (default 4 quick, 8 full)")
    ap.add_argument("--no-real", action="store_true", help="leave out the real notes in shared/realnotes/csv (else in the long set)")
    args = ap.parse_args(argv)
    command = ".venv/bin/python bench/run.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    med_n = args.medspacy_notes or (100 if args.quick else 400)
    reps = 300 if args.quick else 2000
    rounds = args.rounds or (4 if args.quick else 8)
    real = [] if args.no_real else load_real_notes()
    sets = {"short": (list(generate(args.notes, seed=args.seed, min_words=90, max_words=110)), []),
            "long": (list(generate(args.notes, seed=args.seed, min_words=400, max_words=500)), real)}
    r: dict = {"source": source_state(), "rounds": rounds, "load_before": os.getloadavg()[0]}
    say = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731

    from notecheck import Checker

    med_nlp, n_rules = medspacy_default()
    checker = Checker()
    with tempfile.TemporaryDirectory(prefix="notecheck-bench-") as tmp_:
        tmp = Path(tmp_)
        for key, label in SETS:
            syn, real_ = sets[key]
            chunks, folders = note_folders(tmp, key, syn + real_, rounds)
            say(f"{label}: {len(syn) + len(real_)} notes, {sum(map(words, chunks))} words, {rounds} rounds")
            r[key] = throughput(chunks, folders, med_n, tmp, say, checker, med_nlp, n_rules)
            r[key].update(n_syn=len(syn), n_real=len(real_))
            if key == "long":
                n = len(syn) + len(real_)
                peak, _, _, code = child(scan_cli(folders, tmp / "cli.jsonl"))
                with open(tmp / "cli.jsonl", "rb") as fh:
                    records = sum(1 for _ in fh)
                if code not in (0, 1) or records != n:  # exit 1 is "some note incomplete", and an uncaught error too
                    raise SystemExit(f"notecheck scan exited {code} with {records} records for {n} notes")
                r["peak_mb"] = peak
                say(f"peak RSS {peak:.0f} MB")
        one = tmp / "one.txt"
        one.write_text(file_text(sets["short"][0][0]), encoding="utf-8")
        r["one_words"] = words([one.read_text(encoding="utf-8")])
        r["startup"] = startup(one, tmp / "one.jsonl")
        say(f"start-up {r['startup']['median']:.2f} s")
    r["latency"] = latency(reps)
    say(f"latency p50 {r['latency']['p50']:.1f} ms p99 {r['latency']['p99']:.1f} ms")
    print(write_results(r, args, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
