"""A bounded load on `notecheck serve`, on loopback only (issues 9 and 20).

    .venv/bin/python bench/bench_serve.py                          # 16, 64 and 256 clients, 2000 requests each
    .venv/bin/python bench/bench_serve.py --requests 600           # quicker
    .venv/bin/python bench/bench_serve.py --workers 1              # one server process

Starts `notecheck serve --workers N` (default: all cores) on a free port of 127.0.0.1, warms it up, then
for each level of ``--clients`` sends ``--requests`` POST /v1/check requests (generated notes of 100-800 words,
bench/notes.py) from that many kept-alive connections at once (plain asyncio streams in one process, light
enough to leave the server its cores: httpx.AsyncClient took a whole core at 64 connections), then ``--batches``
batch requests. Per level: requests/s, p50/p99/max latency, errors (any status but 200, or a failed
connection: must be 0) and the cores the server's processes used (their CPU seconds over the wall time:
2.0 is two cores busy). The server's RSS (all its processes) after start-up, after the warm-up and at the
end. The same notes are checked in this process with the library first, for the rate the service is
measured against. Every load stops by itself: a fixed number of requests, and ``--max-seconds`` at most.
The client shares the machine with the server: on 2 cores it takes part of one, so run it on a quiet machine.
Writes the "serve" section of bench/RESULTS.md (see bench/results.py).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
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
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            pass
    return out


def rss_mb(pid: int) -> float:
    total = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / TICKS


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Closed(Exception):
    pass


async def _exchange(reader, writer, request: bytes) -> int:
    """Send one HTTP/1.1 request on a kept-alive connection and read its answer; the status code."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    close = False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection" and value.strip().lower() == b"close":
            close = True
    await reader.readexactly(length)
    if close:
        raise _Closed(status)
    return status


async def load(host: str, port: int, bodies: list[bytes], path: str, total: int, clients: int, max_seconds: float,
               pid: int) -> dict:
    """``total`` requests from ``clients`` kept-alive connections at once; stops at ``max_seconds`` whatever is left.

    The client is plain asyncio streams over pre-encoded requests, so that on a 2-core machine it takes
    little of the CPU the server is measured on (httpx.AsyncClient took a whole core at 64 connections)."""
    requests = [(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(b)}\r\n\r\n").encode() + b for b in bodies]
    latencies: list[float] = []
    errors: dict[str, int] = {}
    next_index = 0
    stop_at = time.monotonic() + max_seconds

    def error(kind: str) -> None:
        errors[kind] = errors.get(kind, 0) + 1

    async def client_loop():
        nonlocal next_index
        reader = writer = None
        while next_index < total and time.monotonic() < stop_at:
            request = requests[next_index % len(requests)]
            next_index += 1
            t = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                status = await _exchange(reader, writer, request)
            except _Closed as closed:
                status = closed.args[0]
                writer.close()
                writer = None
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                error(type(exc).__name__)
                if writer is not None:
                    writer.close()
                writer = None
                latencies.append(time.perf_counter() - t)
                continue
            if status != 200:
                error(str(status))
            latencies.append(time.perf_counter() - t)
        if writer is not None:
            writer.close()

    cpu = cpu_seconds(pid)
    own = time.process_time()
    t = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(clients)))
    seconds = time.perf_counter() - t
    return {"sent": len(latencies), "seconds": seconds, "rps": len(latencies) / seconds, "errors": errors,
            "p50": 1000 * statistics.median(latencies), "p99": 1000 * pct(latencies, 0.99),
            "max": 1000 * max(latencies), "cores": (cpu_seconds(pid) - cpu) / seconds,
            "client": (time.process_time() - own) / seconds}


def row(name: str, r: dict, notes_per_request: int = 1) -> str:
    errors = sum(r["errors"].values())
    shown = f"{errors}" + (f" {r['errors']}" if errors else "")
    return (f"| {name} | {r['sent']} | {r['seconds']:.1f} | {r['rps']:.1f} | {r['rps'] * notes_per_request:.1f} | "
            f"{r['p50']:.0f} | {r['p99']:.0f} | {r['max']:.0f} | {r['cores']:.2f} | {r['client']:.2f} | {shown} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", default="16,64,256", help="comma-separated levels of concurrent clients")
    ap.add_argument("--requests", type=int, default=2000, help="requests per level")
    ap.add_argument("--workers", type=int, default=None, help="server processes (default: the server's, all cores)")
    ap.add_argument("--batches", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=20)
    ap.add_argument("--distinct", type=int, default=500, help="distinct notes the requests cycle through")
    ap.add_argument("--max-seconds", type=float, default=600, help="stop each load after this long")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    levels = [int(x) for x in args.clients.split(",") if x.strip()]
    command = ".venv/bin/python bench/bench_serve.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    load_before = os.getloadavg()[0]

    import httpx

    from notecheck.check import Checker
    from notecheck.models import NoteInput

    notes = list(generate(args.distinct, seed=args.seed))
    bodies = [{"id": n["id"], "text": n["text"], **({"codes": n["codes"]} if n["codes"] else {})} for n in notes]
    encoded = [json.dumps(b).encode() for b in bodies]
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
    workers = ["--workers", str(args.workers)] if args.workers else []
    results: list[tuple[str, dict, int]] = []
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        log = open(Path(tmp) / "server.log", "wb")
        server = subprocess.Popen([NOTECHECK, "serve", "--host", HOST, "--port", str(port), "--max-batch", str(args.batch_size),
                                   *workers], stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 180
            while True:
                if server.poll() is not None:
                    raise SystemExit(f"the server exited with {server.returncode}")
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start within 180 s")
                time.sleep(0.2)
            time.sleep(3)  # every worker up (healthz answers once the first is)
            processes = len(tree(server.pid))
            rss_start = rss_mb(server.pid)
            print("warm-up ...", file=sys.stderr)
            warm = asyncio.run(load(HOST, port, encoded, "/v1/check", len(bodies), 16, args.max_seconds, server.pid))
            results.append(("warm-up, POST /v1/check, 16 clients", warm, 1))
            rss_warm = rss_mb(server.pid)
            for clients in levels:
                print(f"{args.requests} requests from {clients} clients ...", file=sys.stderr)
                r = asyncio.run(load(HOST, port, encoded, "/v1/check", args.requests, clients, args.max_seconds, server.pid))
                results.append((f"POST /v1/check, **{clients} clients**", r, 1))
            batches = [json.dumps({"notes": bodies[i:i + args.batch_size]}).encode()
                       for i in range(0, len(bodies) - args.batch_size + 1, args.batch_size)]
            print(f"{args.batches} batches of {args.batch_size} ...", file=sys.stderr)
            batch = asyncio.run(load(HOST, port, batches, "/v1/check/batch", args.batches, 4, args.max_seconds, server.pid))
            results.append((f"POST /v1/check/batch of {args.batch_size}, 4 clients", batch, args.batch_size))
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

    errors = sum(sum(r["errors"].values()) for _n, r, _k in results)
    by_level = {name: r for name, r, _k in results}
    p99 = {c: by_level[f"POST /v1/check, **{c} clients**"]["p99"] for c in levels}
    ratio = "; ".join(f"p99 at {c} clients is {p99[c] / p99[levels[0]]:.1f}x that at {levels[0]}" for c in levels[1:])
    lines = [
        "## Service (bench/bench_serve.py)",
        "",
        f"- command: `{command}`",
        f"- date: {dt.datetime.now():%Y-%m-%d %H:%M}; machine: {os.cpu_count()} cores; load average before {load_before:.2f}, "
        f"after {load_after:.2f}; server and client (one Python process, asyncio streams) on the same machine, over {HOST}",
        f"- server: `notecheck serve {' '.join(workers) or '(default --workers: all cores)'}`, {processes} processes "
        f"(the supervisor and its workers); `--max-batch {args.batch_size}`; notes: {len(bodies)} distinct generated notes "
        f"({words:.0f} words on average), cycled",
        "",
        "| load | requests | seconds | requests/s | notes/s | p50 ms | p99 ms | max ms | server cores busy | client cores busy | errors |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *(row(name, r, k) for name, r, k in results),
        f"| library, `Checker.check_many` in one process (no HTTP) | {len(items)} | | | {library_rate:.1f} | | | | 1 | | |",
        "",
        f"Errors: **{errors}**. {ratio}. Server RSS (all its processes): {rss_start:.0f} MB after start-up, "
        f"{rss_warm:.0f} MB after the warm-up, {rss_end:.0f} MB at the end (**{rss_end - rss_warm:+.0f} MB** over the load).",
        "",
        "Reading: each worker runs one checker and listens on a socket of its own, so the kernel spreads the "
        "connections over the workers; a request waits in its worker's queue (up to `--queue-depth`, 256) rather "
        "than being refused, so latency grows with the clients (p50 ≈ clients / workers × the time of one check) "
        "while errors stay at 0. 'Server cores busy' near 2 means both workers were checking all along; 'client "
        "cores busy' is this process's share, taken from the same 2 cores.",
    ]
    text = "\n".join(lines)
    write_section("serve", text)
    print(text)
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
