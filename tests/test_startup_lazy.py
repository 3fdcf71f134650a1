"""Start-up (issue 18): a scan imports none of the library parts it does not use, and those parts still work
when something asks for them (``notecheck.lazy``). Checked through ``sys.modules`` in a fresh interpreter,
not by timing."""

from __future__ import annotations

import json
import subprocess
import sys

# modules a one-note JSONL scan must not import: spaCy's command line and what it pulls in, medspaCy's
# components (PyRuSH, loguru), QuickUMLS and nltk, and the libraries of other outputs and inputs
UNUSED = ("spacy.cli", "spacy.cli.info", "requests", "weasel", "quickumls", "quickumls.spacy_component", "nltk",
          "langcodes", "PyRuSH", "loguru", "medspacy.sentence_splitting", "medspacy.section_detection", "jinja2", "rich", "pyarrow")

SCAN = """
import json, sys, types
from notecheck.cli import app
try:
    app(["scan", sys.argv[1], "--format", "jsonl", "-o", sys.argv[2], "-q", "-j", "1"])
except SystemExit:
    pass
real = [m for m in {unused!r} if isinstance(sys.modules.get(m), types.ModuleType)
        and type(sys.modules[m]) is types.ModuleType]
print(json.dumps(real))
"""


def _python(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_startup_lazy_scan_imports_no_unused_library(tmp_path):
    note = tmp_path / "one.txt"
    note.write_text("Left obturator nerve neurolysis with 5 mL of 6% phenol under ultrasound. Consent signed.\n"
                    "Procedure codes: 64640-LT\n")
    out = tmp_path / "out.jsonl"
    imported = json.loads(_python(SCAN.format(unused=UNUSED), str(note), str(out)))
    assert imported == []
    record = json.loads(out.read_text())
    assert record["source"] == str(note) and record["elements"]["agent"]["present"]


def test_startup_lazy_deferred_parts_work_when_asked_for():
    """``spacy.info``, ``spacy.cli``, ``medspacy.load`` and QuickUMLS's factory after notecheck is imported;
    medspaCy's first use silences loguru as an import of it used to."""
    code = """
import sys, types
import notecheck, spacy, medspacy
assert type(sys.modules["spacy.cli"]) is not types.ModuleType  # still deferred
from spacy.cli.init_config import init_config  # a submodule imports as usual
assert callable(init_config) and type(sys.modules["spacy.cli"]) is not types.ModuleType
assert callable(spacy.cli.download) and "spacy.cli.download" in sys.modules  # spacy.cli used: imported for real
assert spacy.info()["spacy_version"] == spacy.__version__
from spacy.util import find_matching_language
assert find_matching_language("en-US") == "en"  # langcodes, imported now
nlp = medspacy.load(medspacy_enable=["medspacy_target_matcher"])
assert "medspacy_target_matcher" in nlp.pipe_names and medspacy.__version__
from spacy.language import Language
assert Language.has_factory("medspacy_quickumls") and Language.has_factory("medspacy_pyrush")
from loguru import logger
assert not logger._core.handlers  # loguru's default handler (stderr) was removed
print("ok")
"""
    assert _python(code).strip() == "ok"
