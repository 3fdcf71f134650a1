"""Peak memory of `notecheck scan` against input size (issue 6): it should stay flat.

    .venv/bin/python bench/memory.py                         # 10k vs 1M notes (1M takes hours on 2 cores)
    .venv/bin/python bench/memory.py --sizes 10000,100000    # the quicker run

For each size a JSONL export (id, text, codes) of generated notes is streamed to a temp folder, then
`notecheck scan FILE --format jsonl -o OUT --jobs 1 -q` runs in a subprocess. Its peak RSS comes from
its own rusage (os.wait4, i.e. getrusage of that child); its RSS is also sampled from /proc every
half second to show the curve. Results replace the "memory" section of bench/RESULTS.md (see bench/results.py).
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

from notecheck.check import RENEW_EVERY  # noqa: E402

NOTECHECK = str(Path(sys.executable).with_name("notecheck"))


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure(n: int, tmp: Path, seed: int, interval: float = 0.5) -> dict:
    src, out = tmp / f"notes_{n}.jsonl", tmp / f"out_{n}.jsonl"
    t = time.perf_counter()
    size = write_jsonl(src, n, seed)
    gen_s = time.perf_counter() - t
    cmd = [NOTECHECK, "scan", str(src), "--format", "jsonl", "-o", str(out), "--jobs", "1", "-q"]
    samples: list[tuple[float, float]] = []
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(interval):
            value = rss_mb(proc.pid)
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
        "n": n, "input_mb": size / 2**20, "output_mb": out_mb, "gen_s": gen_s, "seconds": seconds,
        "notes_s": n / seconds, "peak_mb": usage.ru_maxrss / 1024, "curve": [at(q) for q in (0.1, 0.25, 0.5, 0.75, 0.95)],
    }


def section(rows: list[dict], command: str) -> str:
    lines = [
        "## Memory",
        "",
        f"- command: `{command}`",
        f"- source: {source_state()}",
        f"- date: {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}; {len(os.sched_getaffinity(0))} cores; "
        "scan: `notecheck scan FILE.jsonl --format jsonl -o OUT --jobs 1 -q` in a subprocess",
        "- peak RSS: the child's own `ru_maxrss` (os.wait4); RSS curve: /proc/PID/status VmRSS sampled every 0.5 s, "
        "at 10/25/50/75/95% of the run (the last moments are interpreter shutdown)",
        "",
        "| notes | input | scan time | notes/s | peak RSS | RSS at 10 / 25 / 50 / 75 / 95% of the run |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        curve = " / ".join(f"{v:.0f}" for v in r["curve"])
        lines.append(f"| {r['n']:,} | {r['input_mb']:,.0f} MB | {r['seconds']:,.0f} s | {r['notes_s']:.0f} | "
                     f"{r['peak_mb']:.0f} MB | {curve} MB |")
    # the pipeline is rebuilt every RENEW_EVERY notes: RSS rises within each stretch and falls back, so sizes
    # past the first rebuild are compared with each other when there are two
    past = [r for r in rows if r["n"] > RENEW_EVERY]
    small, big = (past[0], past[-1]) if len(past) >= 2 else (rows[0], rows[-1])
    growth = big["peak_mb"] - small["peak_mb"]
    flat = growth <= max(25.0, 0.10 * small["peak_mb"])
    lines += [
        "",
        f"notecheck rebuilds its pipeline every {RENEW_EVERY:,} notes (spaCy keeps every new word, such as record "
        "numbers and dates, for a pipeline's life), so RSS climbs within each stretch and drops at a rebuild."
        + (" Sizes past the first rebuild are compared." if len(past) >= 2 else ""),
        "",
        f"From {small['n']:,} to {big['n']:,} notes ({big['n'] / small['n']:g}x the input) peak RSS went from "
        f"{small['peak_mb']:.0f} MB to {big['peak_mb']:.0f} MB ({growth:+.0f} MB, {big['peak_mb'] / small['peak_mb']:.2f}x): "
        + ("flat (within 10% or 25 MB)." if flat else "**not flat**: memory grows with the input.")
        + f" Target <= 500 MB: {'met' if big['peak_mb'] <= 500 else '**not met**'} at {big['n']:,} notes.",
    ]
    slope = growth / (big["n"] - small["n"]) if big["n"] > small["n"] else 0.0
    if not flat and big["n"] < 1_000_000:
        at_1m = big["peak_mb"] + slope * (1_000_000 - big["n"])
        lines.append(f"At that slope (about {slope * 2**20:,.0f} bytes per note, {slope * 1e6:,.0f} MB per million notes) "
                     f"a 1,000,000-note scan would peak near {at_1m:,.0f} MB.")
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,1000000", help="comma-separated note counts (default 10000,1000000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tmp", help="folder for the generated export (default: a new temp folder)")
    args = ap.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    command = ".venv/bin/python bench/memory.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    rows = []
    with tempfile.TemporaryDirectory(prefix="notecheck-mem-", dir=args.tmp) as tmp:
        for n in sizes:
            r = measure(n, Path(tmp), args.seed)
            print(f"{n} notes: {r['seconds']:.0f} s, peak {r['peak_mb']:.0f} MB, curve {r['curve']}", file=sys.stderr, flush=True)
            rows.append(r)
    text = section(rows, command)
    write_section("memory", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
