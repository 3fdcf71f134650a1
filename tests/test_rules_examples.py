"""Every `match:` / `no_match:` example carried by the rule pack in patterns/ is run here, through the same
library code as `notecheck rules check` (notecheck.rulecheck):

- elements/*.yml, element level: the element is present / absent in the note;
- elements/*.yml, term and token-pattern level: the term's value is / is not among the element's
  values (for elements without values, and for amounts, whose values are the amounts: present / absent);
- context.yml rules: some mention is / no mention is excluded with the reason of the rule's category;
- sections.yml: a mention right after the header sits in that section;
- spelling.yml: a misspelling is corrected to its intended term; `no_match` words are left alone.
"""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from notecheck.cli import app
from notecheck.rulecheck import check_pack, examples, run_example
from notecheck.rules import default_rules_dir, load_rules

PACK = load_rules()
EXAMPLES = examples(PACK)


@pytest.mark.parametrize(
    "kind, at_least",
    [("element", 10), ("term", 10), ("context", 10), ("section", 5), ("spelling", 5), ("left_alone", 3)],
)
def test_rules_examples_are_collected(kind, at_least):
    """The examples below are read from the pack; an empty collection would make them vacuous."""
    assert sum(ex.kind == kind for ex in EXAMPLES) >= at_least


@pytest.mark.parametrize("example", EXAMPLES, ids=[ex.label for ex in EXAMPLES])
def test_rules_example(checker, example):
    assert run_example(checker, example) is None


def test_rules_context_reasons_cover_every_category():
    categories = {r.category for r in PACK.context.rules} | {s.category for s in PACK.sections.sections if s.category}
    assert categories <= set(PACK.context.reasons), categories - set(PACK.context.reasons)


# --------------------------------------------------------------------------- notecheck rules check

runner = CliRunner()


@pytest.fixture(scope="module")
def pack_copy(tmp_path_factory):
    root = tmp_path_factory.mktemp("pack") / "rules"
    shutil.copytree(default_rules_dir(), root)
    return root


def test_rules_check_command_passes_on_the_shipped_pack():
    result = runner.invoke(app, ["rules", "check", str(default_rules_dir())])
    assert result.exit_code == 0, result.output
    assert f"{len(EXAMPLES)} examples" in result.stdout and "all pass" in result.stdout


def test_rules_check_command_names_a_failing_example(pack_copy, tmp_path):
    root = tmp_path / "rules"
    shutil.copytree(pack_copy, root)
    consent = root / "elements" / "consent.yml"
    text = consent.read_text(encoding="utf-8")
    assert "\nno_match:" not in text  # the file has no note-level no_match list of its own yet
    consent.write_text(text + "\nno_match:\n  - Informed consent was obtained from the patient.\n", encoding="utf-8")
    result = runner.invoke(app, ["rules", "check", str(root)])
    assert result.exit_code == 1, result.output
    assert "consent.yml:no_match[0]" in result.stdout and "1 failed" in result.stdout
    assert not check_pack(root).ok


def test_rules_check_command_broken_pack_exits_2(pack_copy, tmp_path):
    root = tmp_path / "rules"
    shutil.copytree(pack_copy, root)
    (root / "codes" / "64640.yml").write_text("code: 64640\ncolour: red\n", encoding="utf-8")
    result = runner.invoke(app, ["rules", "check", str(root)])
    assert result.exit_code == 2, result.output
    assert "64640.yml" in result.stderr and "E001" in result.stderr
