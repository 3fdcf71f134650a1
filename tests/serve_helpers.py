"""Start `notecheck serve` on a loopback port for the service tests (shared by test_serve_*.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(tmp_path: Path, *args: str):
    """`notecheck serve` on a free loopback port in a subprocess, up once /healthz answers.
    Yields ``(client, stdout path, stderr path)``; the client has ``.port`` and ``.pid`` set."""
    exe = Path(sys.executable).with_name("notecheck")
    command = [str(exe)] if exe.exists() else [sys.executable, "-c", "from notecheck.cli import app; app()"]
    port = free_port()
    out, err = tmp_path / "server.out", tmp_path / "server.err"
    if "--workers" not in args:
        args = ("--workers", "1", *args)  # one checker per test server, unless a test asks for more
    with open(out, "wb") as out_fh, open(err, "wb") as err_fh:
        proc = subprocess.Popen([*command, "serve", "--port", str(port), *args], stdout=out_fh, stderr=err_fh)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}: {err.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer /healthz within 90 s")
            time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=60) as client:
            client.port, client.pid = port, proc.pid
            yield client, out, err
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
