"""`notecheck serve --workers N`: N server processes, each listening on the port with a socket of its own.

Why not one shared socket: an asyncio server accepts every connection waiting on a shared socket at
once, so a burst of clients lands on whichever worker was idle at that moment, and kept-alive
connections stay there: measured at 16 clients, one of two workers took them all (one core busy of
two). With ``SO_REUSEPORT`` the kernel gives each worker a socket of its own on the same port and
spreads new connections over them by their address hash, so each worker holds about 1/N of the clients.
That balancing is Linux's; elsewhere (macOS hands every connection to the last socket) the workers
share one socket as uvicorn's own process model does (``shared_socket``).

The supervisor holds the port bound (not listening, so it is given no connection) for its life,
starts the workers (spawned: each imports notecheck afresh and builds its checker once), replaces a
worker that dies, and stops them all on SIGINT or SIGTERM. A worker that fails while starting (a rule
pack it cannot load) stops the service: the others would fail the same way.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import time
from collections.abc import Callable

log = logging.getLogger("notecheck.serve")

STARTUP_FAILURE = 3  # a worker's exit code when it cannot build its app (uvicorn uses the same)
POLL_SECONDS = 0.5
STOP_SECONDS = 10  # a worker still running this long after SIGTERM is killed


def balanced() -> bool:
    """Whether the kernel spreads connections over several sockets on one port."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def bind(host: str, port: int, reuse_port: bool) -> socket.socket:
    """A TCP socket bound to ``host:port``; raises OSError when the port cannot be taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    return sock


def _worker(serve_one: Callable[[socket.socket], None], host: str, port: int) -> None:
    """One worker process: its own socket on the shared port, then the server until it is stopped."""
    serve_one(bind(host, port, reuse_port=True))


def supervise(serve_one: Callable[[socket.socket], None], host: str, port: int, workers: int) -> bool:
    """Run ``workers`` processes of ``serve_one(sock)`` until SIGINT/SIGTERM; False if a worker could not start.

    ``serve_one`` must be picklable (the workers are spawned). The caller has bound ``host:port``
    with SO_REUSEPORT and holds it."""
    context = multiprocessing.get_context("spawn")
    stopping = False

    def start() -> multiprocessing.process.BaseProcess:
        process = context.Process(target=_worker, args=(serve_one, host, port), daemon=False)
        process.start()
        return process

    def stop(_signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes = [start() for _ in range(workers)]
    failed = False
    try:
        while not stopping:
            time.sleep(POLL_SECONDS)
            for i, process in enumerate(processes):
                if process.is_alive() or stopping:
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    failed = stopping = True
                    break
                log.warning("worker %d (pid %s) exited with code %s; starting another", i + 1, process.pid, process.exitcode)
                processes[i] = start()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return not failed
