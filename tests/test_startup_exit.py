"""Start-up (issue 18): the console script ends without the interpreter's teardown, with the command's exit code
and every byte written; and no garbage collection runs while notecheck's modules load or a Checker builds.
Checked in fresh interpreters, by what they print and count, not by timing."""

from __future__ import annotations

import json
import subprocess
import sys

# the probe is freed only by the interpreter's teardown: its __del__ shows whether the teardown ran
PRELUDE = """
import atexit, os, sys, types
sys.argv = ["notecheck", *sys.argv[1:]]
from notecheck.cli import app, main
class Teardown:
    def __del__(self, write=os.write):  # os itself may be torn down first
        write(2, b"[teardown]")
probe = types.ModuleType("teardown_probe")  # a module held by sys.modules only: the teardown frees it
probe.tear = Teardown()
sys.modules[probe.__name__] = probe
del probe
atexit.register(lambda: os.write(2, b"[atexit]"))
"""

NOTE = "Left obturator nerve neurolysis with 5 mL of 6% phenol under ultrasound. Consent signed.\nProcedure codes: 64640-LT\n"


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PRELUDE + code, *args], capture_output=True, text=True, timeout=300)


def _notes(tmp_path, n: int):
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(n):
        (folder / f"n{i:03d}.txt").write_text(NOTE.replace("5 mL", f"{i % 9 + 1} mL"))
    return folder


def test_startup_exit_main_skips_the_teardown_and_keeps_every_byte(tmp_path):
    folder = _notes(tmp_path, 40)
    fast, usual = _run("main()", "scan", str(folder), "--format", "jsonl", "-j", "1"), _run(
        "app()", "scan", str(folder), "--format", "jsonl", "-j", "1")
    assert "[teardown]" in usual.stderr  # the check sees a teardown where one runs
    assert "[teardown]" not in fast.stderr
    assert fast.stderr.count("[atexit]") == 1  # atexit functions still run, once
    assert fast.returncode == usual.returncode == 1  # incomplete notes
    assert fast.stdout == usual.stdout  # the whole report, flushed
    records = [json.loads(line) for line in fast.stdout.splitlines()]
    assert len(records) == 40 and "40 notes read" in fast.stderr


def test_startup_exit_main_keeps_the_exit_code_and_message_of_an_error(tmp_path):
    missing = str(tmp_path / "nothing-here")
    fast, usual = _run("main()", "scan", missing), _run("app()", "scan", missing)
    assert "[teardown]" not in fast.stderr
    assert fast.returncode == usual.returncode == 2
    assert fast.stderr.replace("[atexit]", "") == usual.stderr.replace("[atexit]", "").replace("[teardown]", "")
    version = _run("main()", "--version")
    assert version.returncode == 0 and version.stdout.startswith("notecheck ")


def test_startup_exit_main_writes_the_output_file(tmp_path):
    note = tmp_path / "one.txt"
    note.write_text(NOTE)
    out = tmp_path / "out.html"
    done = _run("main()", "scan", str(note), "--format", "html", "-o", str(out), "-q")
    assert done.returncode == 1 and "[teardown]" not in done.stderr
    assert out.read_text().rstrip().endswith("</html>")


def test_startup_exit_main_leaves_the_teardown_to_python_while_a_thread_runs():
    """Another thread could still be writing: the process ends as usual, after it."""
    code = """
import threading, time
def late():
    time.sleep(0.5)
    print("thread done", flush=True)
threading.Thread(target=late).start()
main()
"""
    done = _run(code, "--version")
    assert done.returncode == 0
    assert "thread done" in done.stdout and "[teardown]" in done.stderr


def test_startup_exit_main_exit_codes_of_systemexit_values():
    """``sys.exit`` rules: None is 0; a message is printed and is 1."""
    code = """
import notecheck.cli as cli
cli.app = lambda **kw: sys.exit({value!r})
cli.main()
"""
    none, message = _run(code.format(value=None)), _run(code.format(value="stopped here"))
    assert none.returncode == 0 and "[teardown]" not in none.stderr
    assert message.returncode == 1 and "stopped here" in message.stderr and "[teardown]" not in message.stderr


COUNT = """
import gc, sys
counts = [0, 0, 0]
gc.callbacks.append(lambda phase, info: phase == "start" and counts.__setitem__(info["generation"], counts[info["generation"]] + 1))
import notecheck
imported = list(counts)
enabled, frozen = gc.isenabled(), gc.get_freeze_count()
notecheck.Checker()
import json
print(json.dumps({"import": imported, "build": [b - a for a, b in zip(imported, counts)], "enabled": [enabled, gc.isenabled()],
                  "frozen": frozen}))
"""


def test_startup_exit_no_collection_while_modules_load_or_the_pipeline_builds():
    """About 200 collections ran while notecheck's modules loaded, each walking every object made so far, and a
    full one when the first Checker froze its pipeline; the collector is on again afterwards."""
    done = subprocess.run([sys.executable, "-c", COUNT], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout)
    assert sum(got["import"]) <= 5
    assert sum(got["build"]) <= 3 and got["build"][2] == 0  # no full collection at the first build
    assert got["enabled"] == [True, True] and got["frozen"] > 0
