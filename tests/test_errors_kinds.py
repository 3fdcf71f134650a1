"""Every error-record kind the code can give is listed in ``errors.ERROR_KINDS`` and in the README."""

from __future__ import annotations

import re
from pathlib import Path

from notecheck.errors import ERROR_KINDS

ROOT = Path(__file__).resolve().parents[1]
# kind="x", ReadProblem("x", _Problem("x", _Bad("x", error("x", error_result(..., "x", and problem kinds
KIND_LITERAL = re.compile(r'(?:kind=|ReadProblem\(\s*|_Problem\(|_Bad\(|error\(|kind, what = )"([a-z_]+)"')


def test_errors_kinds_every_kind_in_the_code_is_listed():
    used = set()
    for path in (ROOT / "src" / "notecheck").rglob("*.py"):
        used |= set(KIND_LITERAL.findall(path.read_text(encoding="utf-8")))
    for literal in ("internal", "worker_died", "bad_code"):
        used.add(literal)
    assert used, "the pattern found no kinds"
    assert used <= set(ERROR_KINDS), used - set(ERROR_KINDS)


def test_errors_kinds_readme_lists_every_kind():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [kind for kind in ERROR_KINDS if f"`{kind}`" not in readme]
    assert not missing, missing
