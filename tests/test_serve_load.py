"""`notecheck serve` under load, over real HTTP on loopback: 64 clients at once get no error, a burst
past the queue depth gets 503 with Retry-After, and several workers answer what the library gives.
Bounded: a fixed number of requests, short notes, timeouts on every wait."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx", reason="the service needs notecheck[serve] (fastapi, uvicorn, httpx)")
pytest.importorskip("fastapi", reason="the service needs notecheck[serve]")
pytest.importorskip("uvicorn", reason="the service needs notecheck[serve]")

from notecheck.check import Checker  # noqa: E402
from notecheck.models import NoteInput, to_record  # noqa: E402
from serve_helpers import serving  # noqa: E402

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; SO_REUSEPORT balancing is Linux's")

SIDES = ["left", "right"]
TARGETS = ["obturator nerve", "genicular nerves", "medial branch nerves at L4-L5", "suprascapular nerve"]
AGENTS = ["5 mL of 6% phenol", "thermal radiofrequency at 80 C for 90 seconds", "100 units of onabotulinumtoxinA"]
CODES = ["64640", "64624", "64636", "64642", None]


def note(i: int) -> dict:
    """Distinct short notes: sides, targets, agents and billed codes vary with i."""
    side, target, agent, code = SIDES[i % 2], TARGETS[i % 4], AGENTS[i % 3], CODES[i % 5]
    text = (f"Note {i}. CONSENT: written consent obtained. Under {'ultrasound' if i % 2 else 'fluoroscopic'} guidance "
            f"the {side} {target} was treated with {agent}. The patient tolerated it well.")
    return {"id": f"n{i}", "text": text, **({"codes": f"{code}-{'LT' if side == 'left' else 'RT'}"} if code else {})}


async def post_all(base: str, bodies: list[dict], clients: int) -> list[httpx.Response | Exception]:
    """Every body once, ``clients`` connections sending at the same time."""
    queue = list(enumerate(bodies))
    out: list = [None] * len(bodies)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        async def one_client():
            while queue:
                i, body = queue.pop()
                try:
                    out[i] = await client.post("/v1/check", json=body)
                except httpx.HTTPError as exc:
                    out[i] = exc
        await asyncio.wait_for(asyncio.gather(*(one_client() for _ in range(clients))), 300)
    return out


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("serve-load"), "--workers", "2") as running:
        yield running[0]


@pytest.fixture(scope="module")
def checker():
    return Checker()


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("serve-load-1"), "--workers", "1") as running:
        yield running[0]


@pytest.mark.parametrize("server", ["one_worker", "two_workers"])
def test_serve_64_clients_no_errors(request, server):
    """64 open connections, all sending: they wait in the queue (the default depth is 256), none is refused."""
    client = request.getfixturevalue(server)
    bodies = [note(i) for i in range(256)]
    responses = asyncio.run(post_all(str(client.base_url), bodies, 64))
    failed = [r if isinstance(r, Exception) else r.status_code for r in responses
              if isinstance(r, Exception) or r.status_code != 200]
    assert failed == []


def test_serve_two_workers_answer_as_the_library(two_workers, checker):
    bodies = [note(i) for i in range(40)]
    responses = asyncio.run(post_all(str(two_workers.base_url), bodies, 8))
    for body, response in zip(bodies, responses):
        expected = to_record(checker.check(NoteInput(body["id"], "request:1", body["text"], body.get("codes"))))
        assert response.json() == expected


def worker_pids(supervisor: int) -> list[int]:
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return [int(pid) for pid in children if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()]


def listening_inodes(port: int) -> set[str]:
    """Inodes of the TCP sockets listening on ``port`` (state 0A in /proc/net/tcp and tcp6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                inodes.add(fields[9])
    return inodes


def socket_inodes(pid: int) -> set[str]:
    out = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[8:-1])
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_serve_two_workers_are_two_processes(two_workers):
    """The supervisor starts one process per worker, each with its own checker."""
    assert len(worker_pids(two_workers.pid)) == 2


@linux_only
def test_serve_each_worker_listens_on_a_socket_of_its_own(two_workers):
    """With one shared socket, whichever worker was idle took a whole burst of connections (measured: all
    16 of 16 on one worker); with a socket each on the port, the kernel spreads them."""
    listening = listening_inodes(two_workers.port)
    owners = [socket_inodes(pid) & listening for pid in worker_pids(two_workers.pid)]
    assert len(listening) == 2 and all(len(own) == 1 for own in owners) and owners[0] != owners[1]
    assert not socket_inodes(two_workers.pid) & listening  # the supervisor holds the port but takes no connection


@linux_only
def test_serve_64_clients_keep_both_workers_busy(two_workers):
    workers = worker_pids(two_workers.pid)
    before = [cpu_seconds(pid) for pid in workers]
    responses = asyncio.run(post_all(str(two_workers.base_url), [note(i) for i in range(384)], 64))
    assert all(not isinstance(r, Exception) and r.status_code == 200 for r in responses)
    used = [cpu_seconds(pid) - b for pid, b in zip(workers, before)]
    assert min(used) >= 0.25 * sum(used), used


@linux_only
def test_serve_replaces_a_worker_that_dies(tmp_path):
    with serving(tmp_path, "--workers", "2") as (client, _out, err):
        first, second = worker_pids(client.pid)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = worker_pids(client.pid)
            if len(now) == 2 and first not in now:
                break
            time.sleep(0.2)
        assert len(now) == 2 and first not in now and second in now
        assert "exited with code -9; starting another" in err.read_text()
        deadline = time.monotonic() + 60
        while len(listening_inodes(client.port)) < 2 and time.monotonic() < deadline:  # the new one is up
            time.sleep(0.2)
        responses = asyncio.run(post_all(str(client.base_url), [note(i) for i in range(32)], 16))
        assert all(not isinstance(r, Exception) and r.status_code == 200 for r in responses)


SLOW = ("INDICATION: spasticity. CONSENT: obtained. The left obturator nerve was injected with 5 mL of 6% phenol "
        "under ultrasound guidance. ") * 100  # about 13 kB, tens of milliseconds to check


def test_serve_past_queue_depth_is_503_with_retry_after(tmp_path):
    with serving(tmp_path, "--workers", "1", "--queue-depth", "2") as (client, _out, _err):
        responses = asyncio.run(post_all(str(client.base_url), [{"id": f"s{i}", "text": SLOW} for i in range(16)], 16))
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) == {200, 503} and statuses.count(200) >= 2
        for response in responses:
            if response.status_code == 503:
                assert response.headers["retry-after"] == "1"
                assert "--queue-depth 2" in response.json()["detail"] and "obturator" not in response.text
        assert client.post("/v1/check", json={"text": SLOW}).status_code == 200  # and it serves again
