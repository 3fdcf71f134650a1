"""Payer profiles (patterns/profiles/): which elements a code needs and which policy checks apply."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from notecheck import Checker
from notecheck.cli import app
from notecheck.errors import RuleFileError
from notecheck.models import NoteInput, to_record
from notecheck.profiles import DEFAULT_PROFILE, ProfileRule, adjust, load_profile, profile_names
from notecheck.rules import default_rules_dir, load_rules

runner = CliRunner()
PACK = load_rules()

# a complete limb toxin note except for the immediate response: strict (64642's file) requires it
NO_RESPONSE = ("Indication: post-stroke spasticity. Consent signed. Botox 100 units was injected into the right "
               "gastrocnemius under EMG guidance. Follow up in 12 weeks.")


@pytest.fixture(scope="module")
def cpt_checker():
    return Checker(profile="cpt")


def test_profiles_shipped_ones_load():
    assert {"strict", "cpt", "medicare"} <= set(profile_names(PACK))
    for name in profile_names(PACK):
        prof = load_profile(PACK, name)
        assert prof.name == name and prof.file.source


def test_profiles_default_is_strict_and_keeps_the_code_files():
    assert DEFAULT_PROFILE == "strict"
    strict = load_profile(PACK, None)
    for code, versions in PACK.codes.items():
        assert strict.scoring.codes[code] == versions  # the same rule objects: today's scores


@pytest.mark.parametrize("rules, required, recommended", [
    ([ProfileRule(codes=["*"], recommended={"response": 1})], ["consent", "indication", "muscles", "agent", "volume",
      "laterality", "placement_confirmation", "follow_up"], {"imaging": 1, "response": 1}),
    ([ProfileRule(codes=["64642"], not_asked=["follow_up", "imaging"])], ["consent", "indication", "muscles", "agent",
      "volume", "laterality", "placement_confirmation", "response"], {}),
    ([ProfileRule(codes=["64640-64647"], required=["toxin_units", "imaging"])], ["consent", "indication", "muscles",
      "agent", "volume", "laterality", "placement_confirmation", "response", "follow_up", "toxin_units", "imaging"], {}),
    # a later rule wins
    ([ProfileRule(codes=["*"], recommended={"response": 1}), ProfileRule(codes=["64642"], required=["response"])],
     ["consent", "indication", "muscles", "agent", "volume", "laterality", "placement_confirmation", "follow_up",
      "response"], {"imaging": 1}),
])
def test_profiles_adjust_moves_elements(rules, required, recommended):
    got = adjust(PACK.code_rule("64642"), [r for r in rules if r.covers("64642")])
    assert got.required == required and got.recommended == recommended


def test_profiles_cpt_makes_response_recommended(checker, cpt_checker):
    strict = checker.check(NO_RESPONSE, codes="64642-RT").codes[0]
    cpt = cpt_checker.check(NO_RESPONSE, codes="64642-RT").codes[0]
    assert "response" in strict.missing and strict.status == "incomplete"
    assert "response" not in cpt.missing and cpt.status == "complete" and cpt.score < 100


def test_profiles_every_record_names_its_profile(checker, cpt_checker):
    assert to_record(checker.check(NO_RESPONSE, codes="64642-RT"))["profile"] == "strict"
    assert to_record(cpt_checker.check(NO_RESPONSE, codes="64642-RT"))["profile"] == "cpt"
    err = cpt_checker.check(NoteInput(id="x", source="x", text="phenol", codes="not a code"))
    assert err.status == "error" and to_record(err)["profile"] == "cpt"


def test_profiles_unknown_name_lists_the_known_ones():
    with pytest.raises(RuleFileError) as exc:
        load_profile(PACK, "acme_health")
    assert "acme_health" in str(exc.value) and "medicare" in str(exc.value)


@pytest.mark.parametrize("text, field", [
    ("profile: p1\ntitle: t\nsource: s\neffective_from: 2025-01-01\npayer: x\n", "payer"),
    ("profile: p1\ntitle: t\nsource: s\neffective_from: 2025-01-01\nrules:\n  - codes: ['6464']\n", "rules.0.codes"),
    ("profile: p1\ntitle: t\nsource: s\neffective_from: 2025-01-01\nrules:\n  - codes: ['*']\n    required: [relief]\n",
     "rules.0.required"),
    ("profile: p1\ntitle: t\nsource: s\neffective_from: 2025-01-01\nrules:\n  - codes: ['*']\n    checks:\n"
     "      - {check: min_interval, policy: p, source: s}\n", "rules.0.checks.0"),
])
def test_profiles_bad_file_names_the_field(tmp_path, text, field):
    root = tmp_path / "patterns"
    shutil.copytree(default_rules_dir(), root)
    (root / "profiles" / "p1.yml").write_text(text)
    with pytest.raises(RuleFileError) as exc:
        load_profile(load_rules(root), "p1")
    assert "p1.yml" in str(exc.value) and field in str(exc.value)


def test_profiles_a_maintainer_adds_a_payer_without_python(tmp_path):
    root = tmp_path / "patterns"
    shutil.copytree(default_rules_dir(), root)
    (root / "profiles" / "acme.yml").write_text(
        "profile: acme\ntitle: Acme Health\nsource: Acme policy 12\neffective_from: 2025-01-01\nrules:\n"
        "  - codes: ['64642-64647']\n    not_asked: [response, follow_up]\n")
    notes = tmp_path / "n.jsonl"
    notes.write_text(json.dumps({"id": "a", "text": NO_RESPONSE, "codes": "64642-RT"}) + "\n")
    result = runner.invoke(app, ["scan", str(notes), "--rules", str(root), "--profile", "acme", "-f", "jsonl", "-q"])
    record = json.loads(result.output)
    assert record["profile"] == "acme" and record["codes"][0]["missing"] == []


def test_profiles_explain_lists_what_the_profile_asks():
    result = runner.invoke(app, ["explain", "64635", "--profile", "medicare"])
    assert result.exit_code == 0
    out = result.output
    assert "Profile: medicare" in out and "prior_block_relief" in out
    for check in ("diagnostic_blocks", "repeat_relief", "sessions_per_year", "imaging_modality", "L38803"):
        assert check in out
    strict = runner.invoke(app, ["explain", "64635"]).output
    assert "Profile: strict" in strict and "diagnostic_blocks" not in strict


def test_profiles_every_check_cites_its_source():
    for name in profile_names(PACK):
        for rule in load_profile(PACK, name).file.rules:
            for chk in rule.checks:
                assert chk.policy and len(chk.source.split()) >= 5, (name, chk.check)
                if not chk.verified:
                    assert "not confirmed" in chk.source.lower() or "assumption" in chk.source.lower(), (name, chk.check)
