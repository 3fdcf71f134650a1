"""Peak memory of `notecheck scan` against input size (issues 6 and 18): it should stay flat.

    .venv/bin/python bench/memory.py                                   # 10k, 100k and 1M notes, jobs=1
    .venv/bin/python bench/memory.py --sizes 10000,100000 --jobs 1,2 --words 100   # short notes, both job counts

For each size (and each --jobs) a JSONL export (id, text, codes) of generated notes is streamed to a temp
folder, then `notecheck scan FILE --format jsonl -o OUT --jobs N -q` runs in a subprocess. Its peak RSS comes
from its rusage (os.wait4: the largest of the process and its workers); the PSS of the whole process tree
(the scan and its workers, summed; shared pages counted once) is sampled from /proc every half second to show
the curve and its peak.
Results replace the "memory" section of bench/RESULTS.md (see bench/results.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notes import write_jsonl  # noqa: E402
from results import write_section  # noqa: E402
from run import source_state  # noqa: E402

from notecheck.check import RENEW_STRINGS  # noqa: E402

NOTECHECK = str(Path(sys.executable).with_name("notecheck"))


def _proc_mb(path: str, key: str) -> float | None:
    """The ``key:`` line (in kB) of a /proc file, in MB; None once the process is gone."""
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def rss_mb(pid: int) -> float | None:
    return _proc_mb(f"/proc/{pid}/status", "VmRSS:")


def pss_mb(pid: int) -> float | None:
    """Proportional set size: a page shared by n processes (forked workers share the parent's pipeline) counts 1/n."""
    return _proc_mb(f"/proc/{pid}/smaps_rollup", "Pss:")


def tree_mb(pid: int) -> float | None:
    """PSS of a process and its children (the scan's workers), summed: the memory the scan takes."""
    total = pss_mb(pid)
    if total is None:
        return None
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            children = [int(c) for c in fh.read().split()]
    except OSError:
        children = []
    return total + sum(pss_mb(c) or 0.0 for c in children)


def measure(n: int, tmp: Path, seed: int, jobs: int, words: tuple[int, int], interval: float = 0.5) -> dict:
    src, out = tmp / f"notes_{n}.jsonl", tmp / f"out_{n}.jsonl"
    t = time.perf_counter()
    size = write_jsonl(src, n, seed, *words)
    gen_s = time.perf_counter() - t
    cmd = [NOTECHECK, "scan", str(src), "--format", "jsonl", "-o", str(out), "--jobs", str(jobs), "-q"]
    samples: list[tuple[float, float]] = []
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(interval):
            value = tree_mb(proc.pid)
            if value is not None:
                samples.append((time.perf_counter() - t, value))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: tell Popen
    if proc.returncode not in (0, 1):
        raise SystemExit(f"notecheck scan exited {proc.returncode} on {n} notes")
    with open(out, "rb") as fh:
        lines = sum(1 for _ in fh)
    if lines != n:
        raise SystemExit(f"notecheck scan wrote {lines} records for {n} notes")
    out_mb = out.stat().st_size / 2**20
    src.unlink()
    out.unlink()

    def at(frac: float) -> float:  # RSS sampled nearest to a fraction of the run
        if not samples:
            return float("nan")
        return min(samples, key=lambda s: abs(s[0] - frac * seconds))[1]

    return {
        "n": n, "jobs": jobs, "input_mb": size / 2**20, "output_mb": out_mb, "gen_s": gen_s, "seconds": seconds,
        "notes_s": n / seconds, "peak_mb": usage.ru_maxrss / 1024, "curve": [at(q) for q in (0.1, 0.25, 0.5, 0.75, 0.95)],
        "tree_peak_mb": max((v for _, v in samples), default=float("nan")),
    }


def section(rows: list[dict], command: str, words: tuple[int, int]) -> str:
    lines = [
        "## Memory",
        "",
        f"- command: `{command}`",
        f"- source: {source_state()}",
        f"- date: {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}; {len(os.sched_getaffinity(0))} cores; load average "
        f"{os.getloadavg()[0]:.2f} at the end; notes of {words[0]}-{words[1]} words (bench/notes.py); "
        "scan: `notecheck scan FILE.jsonl --format jsonl -o OUT --jobs N -q` in a subprocess",
        "- peak RSS: the child's `ru_maxrss` (os.wait4: the largest of the scan and its workers); tree: the scan's and "
        "its workers' PSS (`/proc/PID/smaps_rollup`; a page shared by n processes counts 1/n) summed, sampled every "
        "0.5 s (its peak, and at 10/25/50/75/95% of the run; the last moments are interpreter shutdown). "
        "jobs=1 is judged on peak RSS, jobs > 1 on the tree's peak PSS",
        "",
        "| jobs | notes | input | scan time | notes/s | peak RSS (largest process) | tree peak PSS | tree PSS at 10 / 25 / 50 / 75 / 95% |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        curve = " / ".join(f"{v:.0f}" for v in r["curve"])
        lines.append(f"| {r['jobs']} | {r['n']:,} | {r['input_mb']:,.0f} MB | {r['seconds']:,.0f} s | {r['notes_s']:.0f} | "
                     f"{r['peak_mb']:.0f} MB | {r['tree_peak_mb']:.0f} MB | {curve} MB |")
    lines += [
        "",
        f"notecheck rebuilds a pipeline once spaCy's vocabulary has {RENEW_STRINGS:,} more strings than when it was built "
        "(record numbers, dates and times are new words, kept for a pipeline's life), in each worker process: RSS climbs "
        "within each stretch and drops at a rebuild.",
        "",
    ]
    for jobs in sorted({r["jobs"] for r in rows}):
        mine = [r for r in rows if r["jobs"] == jobs]
        key = "peak_mb" if jobs == 1 else "tree_peak_mb"
        lo, hi = min(mine, key=lambda r: r[key]), max(mine, key=lambda r: r[key])
        flat = hi[key] <= 1.10 * lo[key]
        sizes = ", ".join(f"{r['n']:,}" for r in mine)
        what = "peak RSS" if jobs == 1 else "peak PSS of the process tree"
        lines.append(f"jobs={jobs}: over {sizes} notes the {what} ranged from {lo[key]:.0f} MB ({lo['n']:,} notes) to "
                     f"{hi[key]:.0f} MB ({hi['n']:,} notes), {hi[key] / lo[key]:.2f}x: "
                     + ("flat (within 10%)." if flat else "**not flat** (more than 10% apart).")
                     + f" Target <= 500 MB: {'met' if hi[key] <= 500 else '**not met**'}.")
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated note counts (default 10000,100000,1000000)")
    ap.add_argument("--jobs", default="1", help="comma-separated --jobs values to run each size with (default 1)")
    ap.add_argument("--runs", help="explicit JOBS:NOTES pairs instead of every --sizes x --jobs, e.g. 1:10000,2:1000000")
    ap.add_argument("--words", type=int, help="notes of about this many words (+-10%%; default 100-800 words, 450 on average)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tmp", help="folder for the generated export (default: a new temp folder)")
    args = ap.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    jobs_list = [int(j) for j in args.jobs.split(",") if j.strip()]
    runs = [(j, n) for j in jobs_list for n in sizes]
    if args.runs:
        runs = [(int(j), int(n)) for j, n in (pair.split(":") for pair in args.runs.split(",") if pair.strip())]
    words = (round(args.words * 0.9), round(args.words * 1.1)) if args.words else (100, 800)
    command = ".venv/bin/python bench/memory.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    rows = []
    with tempfile.TemporaryDirectory(prefix="notecheck-mem-", dir=args.tmp) as tmp:
        for jobs, n in runs:
            r = measure(n, Path(tmp), args.seed, jobs, words)
            print(f"jobs={jobs} {n} notes: {r['seconds']:.0f} s, peak {r['peak_mb']:.0f} MB, tree peak {r['tree_peak_mb']:.0f} MB, "
                  f"curve {r['curve']}", file=sys.stderr, flush=True)
            rows.append(r)
    text = section(rows, command, words)
    write_section("memory", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
