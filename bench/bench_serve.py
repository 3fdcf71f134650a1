"""A bounded load on `notecheck serve`, on loopback only (issue 9).

    .venv/bin/python bench/bench_serve.py                         # 5000 requests, 16 at a time
    .venv/bin/python bench/bench_serve.py --requests 500          # quicker

Starts `notecheck serve` on a free port of 127.0.0.1, warms it up, then sends ``--requests`` POST /v1/check
requests (generated notes of 100-800 words, bench/notes.py) with ``--concurrency`` in flight at once
(httpx.AsyncClient), then ``--batches`` POST /v1/check/batch requests of ``--batch-size`` notes. Measures
requests/s, p50/p99/max latency, errors (any status but 200, or a failed connection: must be 0), and the
server's RSS after start-up, after the warm-up and after the load (must not grow much). The same notes are
checked in this process with the library first, for the rate the service is measured against.
The load stops by itself: a fixed number of requests, and ``--max-seconds`` at most.
Writes the "serve" section of bench/RESULTS.md (see bench/results.py).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notes import generate  # noqa: E402
from results import write_section  # noqa: E402

NOTECHECK = str(Path(sys.executable).with_name("notecheck"))
HOST = "127.0.0.1"  # loopback only


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def load(base: str, bodies: list[dict], path: str, total: int, concurrency: int, max_seconds: float) -> dict:
    """``total`` requests, ``concurrency`` in flight; stops at ``max_seconds`` whatever is left."""
    import httpx

    latencies: list[float] = []
    errors: dict[str, int] = {}
    next_index = 0
    stop_at = time.monotonic() + max_seconds

    async def worker(client):
        nonlocal next_index
        while next_index < total and time.monotonic() < stop_at:
            body = bodies[next_index % len(bodies)]
            next_index += 1
            t = time.perf_counter()
            try:
                response = await client.post(path, json=body)
                if response.status_code != 200:
                    errors[str(response.status_code)] = errors.get(str(response.status_code), 0) + 1
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            latencies.append(time.perf_counter() - t)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        t = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        seconds = time.perf_counter() - t
    return {"sent": len(latencies), "seconds": seconds, "rps": len(latencies) / seconds, "errors": errors,
            "p50": 1000 * statistics.median(latencies), "p99": 1000 * pct(latencies, 0.99), "max": 1000 * max(latencies)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--batches", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=20)
    ap.add_argument("--distinct", type=int, default=500, help="distinct notes the requests cycle through")
    ap.add_argument("--max-seconds", type=float, default=1200, help="stop each load after this long")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    command = ".venv/bin/python bench/bench_serve.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    load_before = os.getloadavg()[0]

    import httpx

    from notecheck.check import Checker
    from notecheck.models import NoteInput

    notes = list(generate(args.distinct, seed=args.seed))
    bodies = [{"id": n["id"], "text": n["text"], **({"codes": n["codes"]} if n["codes"] else {})} for n in notes]
    words = sum(n["words"] for n in notes) / len(notes)

    checker = Checker()
    items = [NoteInput(b["id"], "request:1", b["text"], b.get("codes")) for b in bodies]
    list(checker.check_many(items[:20]))  # warm, as the server is before it is measured
    t = time.perf_counter()
    list(checker.check_many(items))
    library_rate = len(items) / (time.perf_counter() - t)
    del checker

    port = free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        log = open(Path(tmp) / "server.log", "wb")
        server = subprocess.Popen([NOTECHECK, "serve", "--host", HOST, "--port", str(port), "--max-batch", str(args.batch_size)],
                                  stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while True:
                if server.poll() is not None:
                    raise SystemExit(f"the server exited with {server.returncode}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start within 120 s")
                time.sleep(0.2)
            rss_start = rss_mb(server.pid)
            print("warm-up ...", file=sys.stderr)
            warm = asyncio.run(load(base, bodies, "/v1/check", len(bodies), args.concurrency, args.max_seconds))
            rss_warm = rss_mb(server.pid)
            print(f"{args.requests} requests, {args.concurrency} at a time ...", file=sys.stderr)
            single = asyncio.run(load(base, bodies, "/v1/check", args.requests, args.concurrency, args.max_seconds))
            rss_single = rss_mb(server.pid)
            batches = [{"notes": bodies[i:i + args.batch_size]} for i in range(0, len(bodies) - args.batch_size + 1, args.batch_size)]
            print(f"{args.batches} batches of {args.batch_size} ...", file=sys.stderr)
            batch = asyncio.run(load(base, batches, "/v1/check/batch", args.batches, 4, args.max_seconds))
            rss_end = rss_mb(server.pid)
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()
    load_after = os.getloadavg()[0]

    errors = sum(single["errors"].values()) + sum(batch["errors"].values()) + sum(warm["errors"].values())
    growth = rss_end - rss_warm
    lines = [
        "## Service (bench/bench_serve.py)",
        "",
        f"- command: `{command}`",
        f"- date: {dt.datetime.now():%Y-%m-%d %H:%M}; machine: {os.cpu_count()} cores; load average before {load_before:.2f}, "
        f"after {load_after:.2f}; server and client on the same machine, over {HOST}",
        f"- notes: {len(bodies)} distinct generated notes ({words:.0f} words on average), cycled; default server "
        f"settings (one checker thread), `--max-batch {args.batch_size}`",
        "",
        "| load | requests | seconds | requests/s | notes/s | p50 ms | p99 ms | max ms | errors |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| warm-up, POST /v1/check, {args.concurrency} in flight | {warm['sent']} | {warm['seconds']:.1f} | {warm['rps']:.1f} | "
        f"{warm['rps']:.1f} | {warm['p50']:.0f} | {warm['p99']:.0f} | {warm['max']:.0f} | {sum(warm['errors'].values())} |",
        f"| POST /v1/check, {args.concurrency} in flight | {single['sent']} | {single['seconds']:.1f} | {single['rps']:.1f} | "
        f"{single['rps']:.1f} | {single['p50']:.0f} | {single['p99']:.0f} | {single['max']:.0f} | {sum(single['errors'].values())} |",
        f"| POST /v1/check/batch of {args.batch_size}, 4 in flight | {batch['sent']} | {batch['seconds']:.1f} | {batch['rps']:.1f} | "
        f"{batch['rps'] * args.batch_size:.1f} | {batch['p50']:.0f} | {batch['p99']:.0f} | {batch['max']:.0f} | {sum(batch['errors'].values())} |",
        f"| library, `Checker.check_many` in one process (no HTTP) | {len(items)} | | | {library_rate:.1f} | | | | |",
        "",
        f"Errors: **{errors}**{'' if not errors else ' ' + str({**warm['errors'], **single['errors'], **batch['errors']})}. "
        f"Server RSS: {rss_start:.0f} MB after start-up, {rss_warm:.0f} MB after the warm-up, {rss_single:.0f} MB after "
        f"the single-note load, {rss_end:.0f} MB at the end (**{growth:+.0f} MB** over the load).",
        "",
        "Reading: one checker thread does the work, so the service's notes/s is the library's minus HTTP and JSON "
        "costs, and latency is mostly queueing: with 16 requests in flight each waits for about 15 others "
        "(p50 ≈ 16 × the time of one check). The event loop stays free meanwhile (/healthz answers at once). To use more "
        "cores, run one server per core behind a load balancer; batches save per-request overhead.",
    ]
    text = "\n".join(lines)
    write_section("serve", text)
    print(text)
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
