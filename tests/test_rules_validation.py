"""A broken rule pack is refused when it loads, with a RuleFileError that names the file, the field
and (where YAML knows it) the line. Each test copies patterns/ to tmp_path and breaks one file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from notecheck.errors import NotecheckError, RuleFileError
from notecheck.rules import default_rules_dir, load_rules

SHIPPED = default_rules_dir()


@pytest.fixture
def pack(tmp_path) -> Path:
    root = tmp_path / "patterns"
    shutil.copytree(SHIPPED, root)
    return root


def line_of(path: Path, marker: str) -> int:
    """1-based number of the line holding ``marker``."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if marker in line:
            return n
    raise AssertionError(f"{marker!r} not in {path}")


def load_error(root: Path) -> RuleFileError:
    with pytest.raises(RuleFileError) as info:
        load_rules(root)
    err = info.value
    assert isinstance(err, NotecheckError) and err.code == "E001"
    assert str(err).startswith("[E001] ")
    return err


def test_rules_validation_shipped_pack_loads(pack):
    rules = load_rules(pack)
    assert set(rules.elements) >= {"agent", "nerve_target", "muscles"} and rules.codes
    assert rules.version.startswith(rules.pack.name + "@")


def test_rules_validation_bad_yaml(pack):
    path = pack / "context.yml"
    path.write_text(path.read_text(encoding="utf-8") + "  - {literal: broken, category: [PLANNED\n", encoding="utf-8")
    err = load_error(pack)
    assert "context.yml" in err.message
    assert "not valid YAML" in err.message
    assert re.search(r"line \d+", err.message)


@pytest.mark.parametrize(
    "rel, append, field",
    [
        pytest.param("elements/agent.yml", "colour: red\n", "colour", id="element-top-level"),
        pytest.param("context.yml", "colour: red\n", "colour", id="context"),
        pytest.param("sections.yml", "colour: red\n", "colour", id="sections"),
        pytest.param("spelling.yml", "colour: red\n", "colour", id="spelling"),
        pytest.param("abbreviations.yml", "colour: red\n", "colour", id="abbreviations"),
        pytest.param("pack.yml", "colour: red\n", "colour", id="pack"),
        pytest.param("codes/64681.yml", "colour: red\n", "colour", id="code"),
    ],
)
def test_rules_validation_unknown_field(pack, rel, append, field):
    path = pack / rel
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + append, encoding="utf-8")
    err = load_error(pack)
    assert rel in err.message
    assert f"field '{field}'" in err.message
    assert f"line {line_of(path, 'colour: red')}" in err.message


def test_rules_validation_unknown_field_in_a_term(pack):
    path = pack / "elements/imaging.yml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  - value: ultrasound\n", "  - value: ultrasound\n    synonyms: [sono]\n", 1)
    path.write_text(text, encoding="utf-8")
    err = load_error(pack)
    assert "elements/imaging.yml" in err.message
    assert re.search(r"field 'terms\.\d+\.synonyms'", err.message), err.message
    assert f"line {line_of(path, 'synonyms: [sono]')}" in err.message


@pytest.mark.parametrize(
    "rel, old, new, field, marker",
    [
        pytest.param("spelling.yml", "score_cutoff: 85", "score_cutoff: high", "score_cutoff", "score_cutoff: high",
                     id="number-as-word"),
        pytest.param("spelling.yml", "score_cutoff: 85", "score_cutoff: 20", "score_cutoff", "score_cutoff: 20",
                     id="number-out-of-range"),
        pytest.param("elements/consent.yml", "reports_values: false", "reports_values: [no]", "reports_values",
                     "reports_values: [no]", id="list-for-bool"),
        pytest.param("elements/consent.yml", "element: consent", "element: agreement", "element", "element: agreement",
                     id="unknown-element-name"),
        pytest.param("codes/64681.yml", 'code: "64681"', 'code: "6468"', "code", 'code: "6468"', id="bad-code-number"),
        pytest.param("codes/64681.yml", "family: destruction", "family: surgery", "family", "family: surgery",
                     id="unknown-family"),
        pytest.param("codes/64681.yml", "effective_from: 2000-01-01", "effective_from: someday", "effective_from",
                     "effective_from: someday", id="bad-date"),
        pytest.param("codes/64681.yml", "required: [consent, indication, nerve_target, agent, placement_confirmation, response, follow_up]",
                     "required: [consent, indication, nerve_targt, agent]", "required.2",
                     "nerve_targt", id="unknown-required-element"),
        pytest.param("codes/64681.yml", "required: [consent, indication, nerve_target, agent, placement_confirmation, response, follow_up]",
                     "required: [consent, consent, nerve_target, agent]", "required", "consent, consent",
                     id="element-listed-twice"),
    ],
)
def test_rules_validation_wrong_value(pack, rel, old, new, field, marker):
    path = pack / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{rel} no longer holds {old!r}; update this test's table"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    err = load_error(pack)
    assert rel in err.message
    assert f"field '{field}'" in err.message
    assert f"line {line_of(path, marker)}" in err.message


def test_rules_validation_empty_element_file(pack):
    (pack / "elements/volume.yml").write_text("", encoding="utf-8")
    err = load_error(pack)
    assert "elements/volume.yml" in err.message
    assert "field 'element'" in err.message and "field 'description'" in err.message


def test_rules_validation_unknown_agent_named_by_code(pack):
    path = pack / "codes/64681.yml"
    text = path.read_text(encoding="utf-8")
    old = re.search(r"^agents: \[(.*)\]$", text, re.M)
    assert old, "codes/64681.yml lists no agents; update this test"
    path.write_text(text.replace(old.group(0), "agents: [phenol, unobtainium]"), encoding="utf-8")
    err = load_error(pack)
    assert "unobtainium" in err.message
    assert "64681" in err.message
    assert "agent.yml" in err.message  # where the values come from
    assert "codes/64681.yml" in err.message  # the file to fix


def test_rules_validation_unknown_target_named_by_code(pack):
    path = pack / "codes/64681.yml"
    text = path.read_text(encoding="utf-8")
    assert "targets: [superior_hypogastric_plexus]" in text
    path.write_text(text.replace("targets: [superior_hypogastric_plexus]", "targets: [inferior_hypogastric_plexus]"),
                    encoding="utf-8")
    err = load_error(pack)
    assert "inferior_hypogastric_plexus" in err.message and "nerve_target.yml" in err.message
    assert "codes/64681.yml" in err.message


@pytest.mark.parametrize("element", ["muscles", "agent", "follow_up"])
def test_rules_validation_missing_element_file(pack, element):
    (pack / "elements" / f"{element}.yml").unlink()
    err = load_error(pack)
    assert "elements" in err.message
    assert element in err.message


def test_rules_validation_element_defined_twice(pack):
    shutil.copy(pack / "elements/agent.yml", pack / "elements/agent_copy.yml")
    err = load_error(pack)
    assert "agent_copy.yml" in err.message or "agent.yml" in err.message
    assert "'agent'" in err.message and "twice" in err.message


@pytest.mark.parametrize("rel", ["context.yml", "sections.yml", "spelling.yml", "abbreviations.yml"])
def test_rules_validation_missing_file(pack, rel):
    (pack / rel).unlink()
    err = load_error(pack)
    assert rel in err.message


def test_rules_validation_missing_pack_file(pack):
    (pack / "pack.yml").unlink()
    err = load_error(pack)
    assert "pack.yml" in err.message


def test_rules_validation_abbreviation_to_unknown_phrase(pack):
    """Abbreviations are checked against the element phrases when the pipeline is built."""
    from notecheck import Checker

    path = pack / "abbreviations.yml"
    path.write_text(path.read_text(encoding="utf-8") + "  - {abbr: XYZ, expands_to: no such phrase}\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        Checker(pack)
    assert "abbreviations.yml" in info.value.message
    assert "XYZ" in info.value.message and "no such phrase" in info.value.message


def test_rules_validation_part_file_names_its_element(pack):
    part = pack / "elements" / "agent.injectates.yml"
    part.write_text(part.read_text(encoding="utf-8").replace("element: agent", "element: volume"), encoding="utf-8")
    err = load_error(pack)
    assert "agent.injectates.yml" in err.message and "'volume'" in err.message


def test_rules_validation_part_file_adds_terms_and_phrases(pack):
    from notecheck.rules import load_rules

    (pack / "elements" / "consent.extra.yml").write_text(
        "element: consent\ndescription: more consent wording\nterms:\n  - value: consent\n    phrases: [patient nodded yes]\n",
        encoding="utf-8")
    rules = load_rules(pack)
    assert "patient nodded yes" in rules.terms["consent"]["consent"].phrases
    assert "sacroiliac_joint" in rules.injection_sites and "hyaluronan" in rules.terms["agent"]
